/**
 * A fake for every OpenAI-compatible provider: it answers OpenAI's chat completions (JSON and SSE with
 * the usage chunk and `data: [DONE]`), legacy completions and embeddings at whatever base path the
 * provider uses, validates chat and embeddings requests against OpenAI's OpenAPI schema, and records
 * each request with the full URL the gateway meant to reach (see helpers/redirect-dispatcher.ts).
 * Anything it does not know is a 404 in OpenAI's error shape; a request without credentials is a 401.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateOpenAI as validateOpenAISpec } from '../helpers/openai-schema.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { ORIGINAL_ORIGIN_HEADER } from '../helpers/redirect-dispatcher.js';

// Without ../shared/specs the fake still serves, unchecked (a throw inside its handler would never answer).
const validateOpenAI = checkedIfPresent('openai/openapi.yaml', validateOpenAISpec, []);

export interface CompatRequest {
  method: string;
  /** The full URL the gateway sent the request to: original origin + path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** The body as received, for signature checks. */
  raw: string;
}

export interface FakeCompat {
  origin: string;
  requests: CompatRequest[];
  /** Extra handlers by path suffix (e.g. '/rerank'); a handler returning undefined lets the next one answer. */
  route(suffix: string, reply: (req: CompatRequest) => { status: number; body: unknown } | undefined): void;
  close(): Promise<void>;
}

function send(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const error = (message: string, type = 'invalid_request_error') => ({ error: { message, type, param: null, code: null } });

export async function startFakeCompat(): Promise<FakeCompat> {
  const requests: CompatRequest[] = [];
  const routes = new Map<string, (req: CompatRequest) => { status: number; body: unknown } | undefined>();
  let seq = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      return send(res, 400, error('Request body is not JSON.'));
    }
    const origin = String(req.headers[ORIGINAL_ORIGIN_HEADER] ?? `http://${req.headers.host}`);
    const recorded: CompatRequest = { method: req.method ?? 'GET', url: origin + (req.url ?? '/'), headers: req.headers, body, raw };
    requests.push(recorded);
    const path = (req.url ?? '/').split('?')[0];
    for (const [suffix, reply] of routes) {
      if (path.endsWith(suffix)) {
        const r = reply(recorded);
        if (r) return send(res, r.status, r.body);
      }
    }
    const hasKey = /^Bearer \S+$/.test(String(req.headers.authorization ?? '')) || !!req.headers['api-key'];
    if (!hasKey) return send(res, 401, error('Missing API key: send Authorization: Bearer <key>.', 'authentication_error'));
    const id = ++seq;
    if (req.method === 'POST' && path.endsWith('/chat/completions')) {
      const problems = validateOpenAI('CreateChatCompletionRequest', body);
      if (problems.length) return send(res, 400, error(`Invalid chat request: ${problems.join('; ')}`));
      const text = `echo: ${body.messages.at(-1)?.content ?? ''}`.slice(0, 200);
      const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
      if (!body.stream) {
        return send(res, 200, {
          id: `chatcmpl-${id}`, object: 'chat.completion', created: 1_700_000_000, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }], usage,
        });
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: object, finish: string | null, extra: object = {}) =>
        `data: ${JSON.stringify({ id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model, choices: finish === 'none' ? [] : [{ index: 0, delta, finish_reason: finish === 'none' ? null : finish, logprobs: null }], ...extra })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      res.write(chunk({ content: text }, null));
      res.write(chunk({}, 'stop'));
      if (body.stream_options?.include_usage) res.write(chunk({}, 'none', { usage }));
      return res.end('data: [DONE]\n\n');
    }
    if (req.method === 'POST' && path.endsWith('/embeddings')) {
      const problems = validateOpenAI('CreateEmbeddingRequest', body);
      if (problems.length) return send(res, 400, error(`Invalid embeddings request: ${problems.join('; ')}`));
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return send(res, 200, {
        object: 'list', model: body.model, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
        data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, 0.2, index] })),
      });
    }
    return send(res, 404, error(`Unknown path ${req.method} ${path}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    route: (suffix, reply) => routes.set(suffix, reply),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
