import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chat, chatRequestText, rawClient, timed, type RawClient } from './bounds-helpers.js';

/**
 * Attack catalogue, item 6 of issue 24: one tenant's slow requests cannot take the whole connection pool
 * to an upstream, and a client cannot hold one for longer than the operator allows. Held means (the
 * issue's words): with a pool of 8 and 24 of tenant A's clients that never read, tenant B's request to
 * the same upstream is answered within 5 s.
 */
let fake: FakeOpenAI;
let gw: TestGateway;
const A = 'pk-share-tenant-a';
const B = 'pk-share-tenant-b';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const clients: RawClient[] = [];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ UPSTREAM_CONNECTIONS: '8' }, { entities: ENTITIES });
});
afterAll(async () => {
  for (const c of clients) c.socket.destroy();
  await gw?.close();
  await fake?.close();
});

const ENTITIES = `keys:
  - id: a
    key_hash: ${sha(A)}
    workspace: wsA
  - id: b
    key_hash: ${sha(B)}
    workspace: wsB
`;

describe('attack: tenant A opens 24 long streams to one upstream (a pool of 8) and never reads them', () => {
  it('tenant B\'s request to the same upstream is answered within 5 s', async () => {
    // Each stream sends a word every 50 ms for about 100 s: the connection stays busy, whatever the client does.
    fake.setDefault({ text: 'word '.repeat(2000), eventDelayMs: 50 });
    // Each client says its index, so the fake's log tells which of A's requests reached the upstream.
    for (let i = 0; i < 24; i++) {
      const streamBody = JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: `talk ${i}` }] });
      clients.push(await rawClient(gw.url, chatRequestText(fake.baseUrl, streamBody, { 'x-portkey-api-key': A }), { read: false }));
    }
    await eventually(() => expect(fake.requests.length).toBeGreaterThanOrEqual(4), 10_000);
    // Every one of A's 24 requests has reached the gateway: 4 at the upstream, 20 waiting for A's share.
    await eventually(() => expect(gw.gateway.deps.tenantShares.load(new URL(fake.url).origin, 'ws:wsA')).toEqual({ active: 4, waiting: 20 }), 10_000, 20);

    // Only B's request gets a short answer: the default stays the long stream, so A's waiting requests,
    // which reach the upstream only later, are long streams too (the next test counts on them holding).
    fake.enqueue({});
    const { ms, value: res } = await timed(() => chat(gw.url, fake.baseUrl, { headers: { 'x-portkey-api-key': B }, signal: AbortSignal.timeout(5000) }));
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe('Echo: hello');
    expect(ms).toBeLessThan(5000);
    // A holds its share (half the pool); its other requests wait in the gateway, not in undici's queue.
    expect(gw.gateway.deps.tenantShares.load(new URL(fake.url).origin, 'ws:wsA')).toEqual({ active: 4, waiting: 20 });
  }, 30_000);

  it('A\'s waiting requests still run, in turn, as its own streams end', async () => {
    const origin = new URL(fake.url).origin;
    const reachedUpstream = () => fake.requests.map((r) => Number(/^talk (\d+)$/.exec(r.body.messages[0].content)?.[1])).filter((i) => !Number.isNaN(i));
    const running = reachedUpstream();
    expect(running).toHaveLength(4);
    // End A's four running streams: four of its waiting requests take their places and reach the upstream.
    for (const i of running) clients[i].socket.destroy();
    await eventually(() => expect(gw.gateway.deps.tenantShares.load(origin, 'ws:wsA')).toEqual({ active: 4, waiting: 16 }), 5000);
    await eventually(() => expect(reachedUpstream()).toHaveLength(8), 5000);
    for (const c of clients.splice(0)) c.socket.destroy();
    await eventually(() => expect(gw.gateway.deps.tenantShares.load(origin, 'ws:wsA')).toEqual({ active: 0, waiting: 0 }), 10_000);
    fake.setDefault({});
  });
});

describe('attack: request_timeout of 999,999,999 ms on a target that never answers', () => {
  let capped: TestGateway;
  beforeAll(async () => {
    capped = await startTestGateway({ MAX_REQUEST_TIMEOUT_MS: '2000', DEFAULT_REQUEST_TIMEOUT_MS: '2000' }, { entities: ENTITIES });
  });
  afterAll(() => capped?.close());

  it('is cut at the server\'s ceiling, MAX_REQUEST_TIMEOUT_MS (2 s here), with a 408', async () => {
    fake.enqueue({ delayMs: 6000 });
    const config = { request_timeout: 999_999_999, provider: 'openai', custom_host: fake.baseUrl, api_key: 'sk-upstream-test' };
    const { ms, value: res } = await timed(() => chat(capped.url, fake.baseUrl, { headers: { 'x-portkey-api-key': B }, config }));
    expect(res.status).toBe(408);
    expect((await res.json()).error.code).toBe('request_timeout');
    expect(ms).toBeLessThan(4000);
  });
  it('and so is x-portkey-request-timeout', async () => {
    fake.enqueue({ delayMs: 6000 });
    const { ms, value: res } = await timed(() => chat(capped.url, fake.baseUrl, { headers: { 'x-portkey-api-key': B, 'x-portkey-request-timeout': '999999999' } }));
    expect(res.status).toBe(408);
    await res.text();
    expect(ms).toBeLessThan(4000);
  });
});
