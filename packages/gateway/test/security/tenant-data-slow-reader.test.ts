/**
 * Attack on the gateway's own resources by a slow reader (issue #24 item 13a): a client reads a long
 * stream slowly, so every write waits for 'drain' again and again. Expected outcome: each wait removes
 * its listeners; the response never holds more than a handful, and Node never warns
 * MaxListenersExceededWarning. The test counts the listeners themselves: raising the limit is no fix.
 */
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const PIECES = 400;
const PIECE_TEXT = 'x'.repeat(16 * 1024);
let gw: TestGateway;
let upstream: Server;
let upstreamUrl = '';

/** An OpenAI chat stream in the published SSE format, large enough to fill every buffer on the way. */
function streamChat(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  let i = 0;
  const pump = () => {
    while (i < PIECES) {
      const ok = res.write(chunk(i === 0 ? { role: 'assistant', content: PIECE_TEXT } : { content: PIECE_TEXT }, null));
      i++;
      if (!ok) return void res.once('drain', pump);
    }
    res.write(chunk({}, 'stop'));
    res.write(`data: ${JSON.stringify({ id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 3, completion_tokens: PIECES, total_tokens: PIECES + 3 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  };
  pump();
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => streamChat(res));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  gw = await startTestGateway({ LOG_STORE: 'none' });
});
afterAll(async () => {
  await gw?.close();
  upstream?.closeAllConnections();
  await new Promise<void>((r) => upstream?.close(() => r()));
});

describe('attack: a client that reads a long stream slowly', () => {
  it('leaves no close or error listeners behind per drain wait, and Node never warns', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    let response: ServerResponse | undefined;
    const capture = (_req: unknown, res: ServerResponse) => {
      if (!response) response = res;
    };
    gw.gateway.server.prependListener('request', capture);
    let drains = 0;
    let most = 0;
    const sampler = setInterval(() => {
      if (!response) return;
      most = Math.max(most, response.listenerCount('close'), response.listenerCount('error'), response.listenerCount('drain'));
    }, 2);
    try {
      const received = await new Promise<number>((resolve, reject) => {
        const payload = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'long answer please' }] });
        const req = httpRequest(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl, authorization: 'Bearer sk-slow-reader-0123456789' },
        }, (res) => {
          let bytes = 0;
          // Read a little, stop, read again: the gateway's writes back up and wait for drain each time.
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            res.pause();
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(bytes));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(payload);
      });
      expect(received).toBeGreaterThan(PIECES * PIECE_TEXT.length);
      response!.on('drain', () => drains++);
    } finally {
      clearInterval(sampler);
      gw.gateway.server.off('request', capture);
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    // One close listener of the server, one of the pipeline, one of the pump, one of the drain wait.
    expect(most).toBeLessThanOrEqual(6);
    void drains;
  }, 60_000);
});
