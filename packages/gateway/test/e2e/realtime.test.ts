/**
 * /v1/realtime through the openai SDK's realtime client: the gateway proxies the WebSocket to the
 * provider chosen by the routing headers, logs one document per session with its usage, and refuses
 * other upgrades with a 4xx.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_REALTIME_USAGE, startFakeRealtime, type FakeRealtime } from '../fakes/openai-realtime.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeCertificates } from '@portico/test-support/redis';

let fake: FakeRealtime;
let gw: TestGateway;
/** The SDK always dials wss://: TLS is terminated in front of the gateway, as the load balancer does. */
let tlsFront: TlsServer;
let wssBase: string;
let ca: Buffer;
let certDir: string;
const open = new Set<{ destroy(): void }>();

beforeAll(async () => {
  fake = await startFakeRealtime();
  gw = await startTestGateway();
  certDir = mkdtempSync(join(tmpdir(), 'portico-realtime-tls-'));
  const certs = await makeCertificates(certDir);
  ca = readFileSync(certs.caFile);
  const gwPort = Number(new URL(gw.url).port);
  tlsFront = createTlsServer({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }, (tlsSocket) => {
    const plain = connect(gwPort, '127.0.0.1');
    open.add(tlsSocket).add(plain);
    tlsSocket.pipe(plain).pipe(tlsSocket);
    plain.on('error', () => tlsSocket.destroy());
    tlsSocket.on('error', () => plain.destroy());
  });
  await new Promise<void>((r) => tlsFront.listen(0, '127.0.0.1', r));
  wssBase = `https://localhost:${(tlsFront.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise((r) => (tlsFront ? tlsFront.close(r) : r(undefined)));
  await gw?.close();
  await fake?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

function next(rt: OpenAIRealtimeWS, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within 5 s`)), 5000);
    rt.on(type as never, ((ev: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve(ev);
    }) as never);
  });
}

/** An upgrade the gateway refuses: its status and JSON body. */
function refused(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gw.url.replace('http', 'ws')}${path}`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
  });
}

describe('/v1/realtime', () => {
  it('relays a session both ways and logs it once, with its usage', async () => {
    const client = new OpenAI({ apiKey: 'sk-realtime-good', baseURL: wssBase, maxRetries: 0 });
    const rt = new OpenAIRealtimeWS({
      model: 'gpt-realtime',
      options: { ca, headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl, 'x-portkey-trace-id': 'realtime-session-1' } },
    }, client);
    const created = await next(rt, 'session.created');
    expect(created.session).toMatchObject({ model: 'gpt-realtime' });
    rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.' } });
    expect((await next(rt, 'session.updated')).session).toMatchObject({ instructions: 'Be brief.' });
    let text = '';
    rt.on('response.output_text.delta', (ev) => (text += ev.delta));
    rt.send({ type: 'response.create' });
    const done = await next(rt, 'response.done');
    expect(text).toBe('Hello from realtime');
    expect((done.response as { usage: unknown }).usage).toEqual(FAKE_REALTIME_USAGE);
    rt.close();

    expect(fake.handshakes.at(-1)).toMatchObject({ path: '/v1/realtime?model=gpt-realtime', headers: { authorization: 'Bearer sk-realtime-good' } });
    expect(fake.received).toEqual(['session.update', 'response.create']);
    const doc = await eventually(() => {
      const line = readAllLogs(gw).split('\n').find((l) => l.includes('"trace_id":"realtime-session-1"'));
      if (!line) throw new Error('not written yet');
      return JSON.parse(line);
    });
    expect(doc).toMatchObject({ provider: 'openai', model: 'gpt-realtime', response: { status: 101 }, stream_outcome: 'complete' });
    expect(doc.usage).toEqual({ prompt_tokens: 40, completion_tokens: 17, total_tokens: 57, cached_tokens: 8 });
    expect(doc.request.path).toBe('/v1/realtime?model=gpt-realtime');
  });

  it("answers the provider's refusal in the handshake with its status", async () => {
    const { status, body } = await refused('/v1/realtime?model=gpt-realtime', { authorization: 'Bearer sk-wrong', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl });
    expect(status).toBe(401);
    expect(body.error.message).toMatch(/Incorrect API key/);
  });

  it('refuses a provider with no Realtime API, and any other upgrade, with a 4xx naming why', async () => {
    const anthropic = await refused('/v1/realtime?model=claude', { authorization: 'Bearer sk-x', 'x-portkey-provider': 'anthropic' });
    expect([anthropic.status, anthropic.body.error.code]).toEqual([400, 'unsupported_operation']);
    const other = await refused('/v1/chat/completions', { authorization: 'Bearer sk-x', 'x-portkey-provider': 'openai' });
    expect([other.status, other.body.error.code]).toEqual([404, 'route_not_found']);
    expect(other.body.error.message).toContain('/v1/realtime');
  });
});
