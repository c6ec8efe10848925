import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI upstream in the published chat-completions format: a JSON chat.completion, or a
 * server-sent-event stream of chat.completion.chunk objects ending in "data: [DONE]". Streams send one
 * word every `chunkDelayMs`, so a browser test can watch the text arrive.
 */
export interface FakeOpenAI {
  url: string;
  requests: Array<{ path: string; authorization?: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const STREAM_WORDS = ['Autumn ', 'wind ', 'carries ', 'leaves ', 'home.'];

export async function startFakeOpenAI(chunkDelayMs = 250): Promise<FakeOpenAI> {
  const requests: FakeOpenAI['requests'] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', async () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw || '{}') as Record<string, unknown>;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
      if (!req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.url}`, type: 'invalid_request_error', param: null, code: 'not_found' } }));
        return;
      }
      const model = String(body.model ?? 'gpt-4o-mini');
      const id = `chatcmpl-${requests.length}`;
      const created = Math.floor(Date.now() / 1000);
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          id, object: 'chat.completion', created, model,
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the fake upstream.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
        }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      const chunk = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
      res.write(chunk({ role: 'assistant', content: '' }, null));
      for (const word of STREAM_WORDS) {
        await new Promise((r) => setTimeout(r, chunkDelayMs));
        if (res.destroyed) return;
        res.write(chunk({ content: word }, null));
      }
      res.write(chunk({}, 'stop', { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
