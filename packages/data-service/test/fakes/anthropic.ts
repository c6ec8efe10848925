import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A small fake of Anthropic's Messages API (anthropic-version 2023-06-01), as published:
 * POST /v1/messages with `x-api-key` and `anthropic-version`; `model`, `max_tokens` and `messages`
 * required; replies `{"id":"msg_…","type":"message","role":"assistant","content":[{"type":"text",…}],
 * "model","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens","output_tokens"}}`;
 * errors `{"type":"error","error":{"type","message"}}`. Unknown models get 404 not_found_error.
 *
 * Scripting: `rateLimitEvery` answers every Nth request 429 with retry-after; `delayMs` waits before
 * answering; `inFlight`/`maxInFlight` show the concurrency the caller used; `seen` counts requests by
 * the text of the last user message.
 */
export interface FakeAnthropic {
  baseUrl: string;
  requests: number;
  inFlight: number;
  maxInFlight: number;
  seen: Map<string, number>;
  opts: { delayMs: number; rateLimitEvery: number; retryAfterS: string; failText?: string };
  close(): Promise<void>;
}

export const FAKE_ANTHROPIC_MODELS = ['claude-3-5-haiku-20241022', 'claude-sonnet-4-20250514'];

export async function startFakeAnthropic(opts: Partial<FakeAnthropic['opts']> = {}): Promise<FakeAnthropic> {
  const state: FakeAnthropic = {
    baseUrl: '',
    requests: 0,
    inFlight: 0,
    maxInFlight: 0,
    seen: new Map(),
    opts: { delayMs: 0, rateLimitEvery: 0, retryAfterS: '1', ...opts },
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const error = (status: number, type: string, message: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ type: 'error', error: { type, message } }));
    };
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', async () => {
      if (req.method !== 'POST' || req.url !== '/v1/messages') return error(404, 'not_found_error', `${req.method} ${req.url} not found`);
      if (!req.headers['x-api-key']) return error(401, 'authentication_error', 'x-api-key header is required');
      if (!req.headers['anthropic-version']) return error(400, 'invalid_request_error', 'anthropic-version header is required');
      state.requests++;
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      try {
        if (state.opts.delayMs) await new Promise((r) => setTimeout(r, state.opts.delayMs));
        let body: { model?: string; max_tokens?: number; messages?: Array<{ role: string; content: unknown }> };
        try {
          body = JSON.parse(text);
        } catch {
          return error(400, 'invalid_request_error', 'body is not JSON');
        }
        if (!body.model || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages)) return error(400, 'invalid_request_error', 'model, max_tokens and messages are required');
        if (!FAKE_ANTHROPIC_MODELS.includes(body.model)) return error(404, 'not_found_error', `model: ${body.model}`);
        if (state.opts.rateLimitEvery && state.requests % state.opts.rateLimitEvery === 0) return error(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit', { 'retry-after': state.opts.retryAfterS });
        const last = body.messages[body.messages.length - 1];
        const said = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content);
        state.seen.set(said, (state.seen.get(said) ?? 0) + 1);
        if (state.opts.failText && said.includes(state.opts.failText)) return error(400, 'invalid_request_error', 'messages: this text is refused by the fake');
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` });
        res.end(JSON.stringify({
          id: `msg_${randomBytes(8).toString('hex')}`, type: 'message', role: 'assistant', model: body.model,
          content: [{ type: 'text', text: `Echo: ${said}` }], stop_reason: 'end_turn', stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 5 },
        }));
      } finally {
        state.inFlight--;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return state;
}
