/**
 * Fake Cohere API v2 (node:http): /v2/chat (JSON or SSE `event:` + `data:` stream) and /v2/embed.
 * Requests are checked against the v2 reference (test/providers/cohere/cohere-schema.ts) and rejected the
 * way Cohere does: 401 without a bearer key, 422 for an unknown field, 400 for an invalid value,
 * 404 for an unknown model. Its own responses are checked against the same schemas before they go out.
 * Faults are scripted per request: an HTTP status, a stream cut after N events, or a stream ending in ERROR.
 */
import http from 'node:http';
import { answerFailure, createFakeServer } from '../helpers/fake-server.js';
import type { AddressInfo } from 'node:net';
import { validateCohere } from '../providers/cohere/cohere-schema.js';

export interface FakeRequest { method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown }

/** Shared plumbing for the fakes in this folder: a JSON-body HTTP server on port 0 that records requests. */
export async function startHttpFake(
  handle: (req: FakeRequest, res: http.ServerResponse) => void | Promise<void>,
  onBadJson: (res: http.ServerResponse) => void,
): Promise<{ url: string; requests: FakeRequest[]; close(): Promise<void> }> {
  const requests: FakeRequest[] = [];
  const server = createFakeServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (raw) {
        try {
          body = JSON.parse(raw);
        } catch {
          requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: raw });
          return onBadJson(res);
        }
      }
      const r: FakeRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(r);
      Promise.resolve()
        .then(() => handle(r, res))
        .catch((e: unknown) => answerFailure(res, e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export type CohereFault =
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  | { kind: 'cut-stream'; afterEvents: number }
  | { kind: 'stream-error'; message: string };

export interface CohereReply {
  text?: string;
  thinking?: string;
  toolPlan?: string;
  toolCalls?: Array<{ name: string; arguments: string }>;
}

export interface FakeCohere {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
  /** Applies to the next request only. */
  fault(f: CohereFault): void;
  /** Replaces the default reply logic for the next chat request. */
  reply(r: CohereReply): void;
}

const KNOWN_MODEL = /^(command|c4ai-|embed-)/;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const pieces = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];

function messageText(m: { content?: unknown }): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p: { text?: string }) => p.text ?? '').join(' ');
  return '';
}

function checkBody(res: http.ServerResponse, name: string, body: unknown, endpoint: string): boolean {
  const errors = validateCohere(name, body);
  if (!errors.length) return true;
  const unknown = errors.find((e) => e.includes('additionalProperty'));
  if (unknown && body && typeof body === 'object') {
    const field = /"additionalProperty":"([^"]+)"/.exec(unknown)?.[1] ?? '?';
    sendJson(res, 422, { message: `unknown field: parameter ${field} is not a valid field. For proper usage, please refer to https://docs.cohere.com/reference/${endpoint}` });
  } else sendJson(res, 400, { message: `invalid request: ${errors[0]}` });
  return false;
}

export async function startFakeCohere(): Promise<FakeCohere> {
  const faults: CohereFault[] = [];
  const replies: CohereReply[] = [];
  let seq = 0;

  const server = await startHttpFake(
    async (req, res) => {
      const auth = req.headers.authorization ?? '';
      if (!/^Bearer \S+$/.test(auth)) return sendJson(res, 401, { message: 'no api key supplied' });
      if (auth === 'Bearer bad-key') return sendJson(res, 401, { message: 'invalid api token' });
      const fault = faults.shift();
      if (fault?.kind === 'status') return sendJson(res, fault.status, { message: fault.message ?? `fake status ${fault.status}` }, fault.headers);
      if (req.method === 'POST' && req.path === '/v2/chat') return chat(req.body, res, fault);
      if (req.method === 'POST' && req.path === '/v2/embed') return embed(req.body, res);
      return sendJson(res, 404, { message: `no route for ${req.method} ${req.path}` });
    },
    (res) => sendJson(res, 400, { message: 'invalid request: could not parse request body as JSON' }),
  );

  async function chat(body: unknown, res: http.ServerResponse, fault: CohereFault | undefined): Promise<void> {
    if (!checkBody(res, 'ChatRequest', body, 'chat')) return;
    const b = body as { model: string; stream?: boolean; messages: Array<{ role: string; content?: unknown; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>; tools?: Array<{ function: { name: string } }>; tool_choice?: string; max_tokens?: number };
    if (!KNOWN_MODEL.test(b.model)) return sendJson(res, 404, { message: `model '${b.model}' not found, make sure the correct model ID was used and that you have access to the model.` });
    const callIds = new Set<string>();
    for (const m of b.messages) {
      for (const tc of m.tool_calls ?? []) callIds.add(tc.id);
      if (m.role === 'tool' && !callIds.has(m.tool_call_id ?? '')) return sendJson(res, 400, { message: `invalid request: tool_call_id ${m.tool_call_id} does not match any tool call in a previous assistant message` });
    }
    if (b.tool_choice && !b.tools?.length) return sendJson(res, 400, { message: 'invalid request: tool_choice requires tools to be specified' });

    const last = b.messages[b.messages.length - 1];
    let reply = replies.shift();
    if (!reply) {
      if (b.tools?.length && last.role === 'user' && b.tool_choice !== 'NONE') reply = { toolPlan: 'I will look that up.', toolCalls: [{ name: b.tools[0].function.name, arguments: '{"location":"Paris"}' }] };
      else if (last.role === 'tool') reply = { text: `The tool said: ${messageText(last)}` };
      else reply = { text: 'Hello from the fake Cohere. How can I help?' };
    }
    let text = reply.text ?? '';
    let finish = reply.toolCalls?.length ? 'TOOL_CALL' : 'COMPLETE';
    if (b.max_tokens && words(text) > b.max_tokens) {
      text = (text.match(/\S+\s*/g) ?? []).slice(0, b.max_tokens).join('').trimEnd();
      finish = 'MAX_TOKENS';
    }
    const inTokens = b.messages.reduce((n, m) => n + words(messageText(m)), 0);
    const outTokens = words(text) + words(reply.thinking ?? '') + (reply.toolCalls?.length ?? 0) * 8;
    const usage = { billed_units: { input_tokens: inTokens, output_tokens: outTokens }, tokens: { input_tokens: inTokens + 50, output_tokens: outTokens + 2 } };
    const id = `fake-cohere-${++seq}`;
    const toolCalls = (reply.toolCalls ?? []).map((tc, i) => ({ id: `${tc.name}_${seq}_${i}`, type: 'function' as const, function: tc }));

    if (!b.stream) {
      const content = [...(reply.thinking ? [{ type: 'thinking', thinking: reply.thinking }] : []), ...(text ? [{ type: 'text', text }] : [])];
      const out = {
        id,
        finish_reason: finish,
        message: { role: 'assistant', ...(content.length ? { content } : {}), ...(reply.toolPlan ? { tool_plan: reply.toolPlan } : {}), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        usage,
      };
      const errs = validateCohere('ChatResponse', out);
      if (errs.length) throw new Error(`fake produced an invalid ChatResponse: ${errs.join('; ')}`);
      return sendJson(res, 200, out);
    }

    const events: Array<Record<string, unknown>> = [{ type: 'message-start', id, delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } }];
    let idx = 0;
    if (reply.thinking) {
      events.push({ type: 'content-start', index: idx, delta: { message: { content: { type: 'thinking', thinking: '' } } } });
      for (const p of pieces(reply.thinking)) events.push({ type: 'content-delta', index: idx, delta: { message: { content: { thinking: p } } } });
      events.push({ type: 'content-end', index: idx++ });
    }
    if (reply.toolPlan) for (const p of pieces(reply.toolPlan)) events.push({ type: 'tool-plan-delta', delta: { message: { tool_plan: p } } });
    toolCalls.forEach((tc, i) => {
      events.push({ type: 'tool-call-start', index: i, delta: { message: { tool_calls: { id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } } } } });
      for (let k = 0; k < tc.function.arguments.length; k += 5) events.push({ type: 'tool-call-delta', index: i, delta: { message: { tool_calls: { function: { arguments: tc.function.arguments.slice(k, k + 5) } } } } });
      events.push({ type: 'tool-call-end', index: i });
    });
    if (text) {
      events.push({ type: 'content-start', index: idx, delta: { message: { content: { type: 'text', text: '' } } } });
      for (const p of pieces(text)) events.push({ type: 'content-delta', index: idx, delta: { message: { content: { text: p } } } });
      events.push({ type: 'content-end', index: idx });
    }
    if (fault?.kind === 'stream-error') events.push({ type: 'message-end', delta: { finish_reason: 'ERROR', error: fault.message, usage } });
    else events.push({ type: 'message-end', delta: { finish_reason: finish, usage } });
    for (const e of events) {
      const errs = validateCohere('StreamEvent', e);
      if (errs.length) throw new Error(`fake produced an invalid stream event ${JSON.stringify(e)}: ${errs.join('; ')}`);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const cutAt = fault?.kind === 'cut-stream' ? fault.afterEvents : Infinity;
    const wire = events.slice(0, cutAt).map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');
    if (cutAt === Infinity) return void res.end(wire);
    // Let the bytes reach the client before cutting the connection, as a dropped upstream would.
    await new Promise<void>((resolve) => res.write(wire, () => resolve()));
    await new Promise((r) => setTimeout(r, 20));
    res.destroy();
  }

  function embed(body: unknown, res: http.ServerResponse): void {
    if (!checkBody(res, 'EmbedRequest', body, 'embed')) return;
    const b = body as { model: string; texts?: string[]; input_type?: string; embedding_types: string[]; output_dimension?: number };
    if (!KNOWN_MODEL.test(b.model)) return sendJson(res, 404, { message: `model '${b.model}' not found, make sure the correct model ID was used and that you have access to the model.` });
    if (!b.texts?.length) return sendJson(res, 400, { message: 'invalid request: texts, images or inputs must be provided' });
    if (!b.input_type) return sendJson(res, 400, { message: 'invalid request: valid input_type must be provided with the provided model' });
    const dim = b.output_dimension ?? 8;
    const vec = (t: string) => Array.from({ length: dim }, (_, i) => Number((((t.length + 1) * (i + 1)) % 97 / 97).toFixed(6)));
    const embeddings: Record<string, number[][]> = {};
    for (const t of b.embedding_types) embeddings[t] = b.texts.map(vec);
    const out = {
      id: `fake-embed-${++seq}`,
      response_type: 'embeddings_by_type',
      embeddings,
      texts: b.texts,
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: b.texts.reduce((n, t) => n + words(t), 0) } },
    };
    sendJson(res, 200, out);
  }

  return { ...server, fault: (f) => void faults.push(f), reply: (r) => void replies.push(r) };
}
