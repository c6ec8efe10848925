import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * An upstream that breaks HTTP itself, over a raw socket: no answer, a garbage status line, a body
 * shorter than its content-length, broken chunked encoding, silence after the headers. The gateway
 * must answer each with an error in OpenAI's shape, never hang or crash, and stay healthy.
 */
let upstream: Server;
let gw: TestGateway;
let behaviour: (socket: Socket) => void = () => {};
const sockets = new Set<Socket>();

beforeAll(async () => {
  upstream = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    // Answer once the request head has arrived.
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d;
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      behaviour(socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => upstream.close(r));
});

const ask = (stream = false, timeoutMs?: number) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-faults',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`,
      ...(timeoutMs ? { 'x-portkey-request-timeout': String(timeoutMs) } : {}),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

async function expectError(res: Response, status: number, message: RegExp): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { message: string; type: string } };
  expect(body.error.message).toMatch(message);
  expect(body.error.message).not.toContain("sk-faults");
}

describe('an upstream that breaks HTTP', () => {
  it('closes the connection without answering → 502', async () => {
    behaviour = (s) => s.destroy();
    await expectError(await ask(), 502, /Could not reach openai: the connection was reset/);
  });

  it('answers with a garbage status line → 502', async () => {
    behaviour = (s) => s.end('HTTP/1.1 banana\r\n\r\n');
    await expectError(await ask(), 502, /openai sent a response that is not valid HTTP/);
  });

  it('sends less body than its content-length, then closes → 502, the response is incomplete', async () => {
    behaviour = (s) => s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":"chatcmpl-1"');
    await expectError(await ask(), 502, /lost mid-response; the response is incomplete/);
  });

  it('breaks its chunked encoding → 502', async () => {
    behaviour = (s) => s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n');
    await expectError(await ask(), 502, /openai broke HTTP in the middle of its response; the response is incomplete/);
  });

  it('goes silent after its headers → 408 at the request timeout', async () => {
    behaviour = (s) => s.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 50\r\n\r\n{');
    const started = Date.now();
    await expectError(await ask(false, 300), 408, /timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('breaks a stream after its first event → the client stream ends with an error event, not [DONE]', async () => {
    const chunk = JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, logprobs: null, finish_reason: null }] });
    behaviour = (s) => {
      const event = `data: ${chunk}\n\n`;
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n${event.length.toString(16)}\r\n${event}\r\n`);
      setTimeout(() => s.end('not-a-chunk-size\r\n'), 30);
    };
    const res = await ask(true);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"Hel"');
    expect(text).toMatch(/"error":\{/);
    expect(text).not.toContain('[DONE]');
  });

  it('is still healthy afterwards', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
  });
});
