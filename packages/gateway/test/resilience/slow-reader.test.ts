/**
 * A client that stops reading a stream: the gateway waits for it up to request_timeout, then cuts it
 * (stream_outcome client_too_slow) and releases the upstream, without blaming the provider (no
 * stream_stalled error, no provider stream error). A client that pauses for less carries on to a clean end.
 */
import { createServer, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const REQUEST_TIMEOUT_MS = 800;
const CHUNKS = 240;
const PAD = 'a'.repeat(64 * 1024);
let gw: TestGateway;
let upstream: Server;
let upstreamUrl: string;
const upstreamClosedEarly: boolean[] = [];

beforeAll(async () => {
  // An OpenAI chat stream of big chunks, sent as fast as the gateway takes them (honouring backpressure).
  upstream = createServer(async (req, res) => {
    for await (const _ of req) void _;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      if (i < CHUNKS) upstreamClosedEarly.push(true);
    });
    const chunk = (content: string, finish: string | null) => `data: ${JSON.stringify({ id: 'chatcmpl-slow', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: finish, logprobs: null }] })}\n\n`;
    while (i < CHUNKS && !closed) {
      i += 1;
      if (!res.write(chunk(PAD, null))) await new Promise((r) => res.once('drain', r).once('close', r));
    }
    if (!closed) res.end(chunk('', 'stop') + 'data: [DONE]\n\n');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  gw = await startTestGateway({ LOG_STORE_BATCH_MAX_AGE_MS: '20' });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await new Promise((r) => upstream?.close(r));
});

/** Reads the stream over a raw socket, pausing once for `pauseMs` after the first bytes. */
function readWithPause(traceId: string, pauseMs: number): Promise<{ text: string; closedByGateway: boolean }> {
  const { port } = new URL(gw.url);
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const config = JSON.stringify({ provider: 'openai', api_key: 'sk-test', custom_host: upstreamUrl, request_timeout: REQUEST_TIMEOUT_MS });
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    // Small buffers, so that a paused reader pushes back on the gateway at once.
    socket.setNoDelay(true);
    let text = '';
    let paused = false;
    socket.on('data', (d) => {
      text += d.toString('latin1');
      if (!paused) {
        paused = true;
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      }
    });
    socket.on('end', () => resolve({ text, closedByGateway: !text.includes('data: [DONE]') }));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve({ text, closedByGateway: true }) : reject(e)));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nx-portkey-config: ${config}\r\nx-portkey-trace-id: ${traceId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}

async function documentOf(traceId: string): Promise<any> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(traceId));
    if (!line) throw new Error(`no log document for ${traceId} yet`);
    return JSON.parse(line);
  });
}

it('a reader that pauses for less than request_timeout gets the whole stream', async () => {
  const r = await readWithPause(`slow-ok-${Date.now()}`, REQUEST_TIMEOUT_MS / 4);
  expect(r.closedByGateway).toBe(false);
  expect(r.text).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
}, 30_000);

it('a reader that stops for longer is cut as client_too_slow; the upstream is released and not blamed', async () => {
  const traceId = `slow-cut-${Date.now()}`;
  const before = upstreamClosedEarly.length;
  const r = await readWithPause(traceId, REQUEST_TIMEOUT_MS * 4);
  expect(r.closedByGateway).toBe(true);
  expect(r.text).not.toContain('stream_stalled');
  const doc = await documentOf(traceId);
  expect(doc.stream_outcome).toBe('client_too_slow');
  expect(doc.error_stage).toBeUndefined();
  await eventually(() => expect(upstreamClosedEarly.length).toBe(before + 1));
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).not.toMatch(/stream_errors_total\{[^}]*provider="openai"[^}]*\} [1-9]/);
}, 30_000);
