/**
 * Circuit breakers end to end: real gateways in process, fake OpenAI upstreams, and a real
 * redis-server shared by two gateways. CIRCUIT_BREAKER_MIN_COOLDOWN_MS is lowered so cooldowns
 * take a fraction of a second.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';

let a: FakeOpenAI;
let b: FakeOpenAI;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  a.reset();
  b.reset();
  a.setDefault({});
  b.setDefault({});
});

async function gateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ CIRCUIT_BREAKER_MIN_COOLDOWN_MS: '100', LOG_STORE_BATCH_MAX_AGE_MS: '20', ...env });
  gateways.push(gw);
  return gw;
}

const target = (f: FakeOpenAI, name: string) => ({ name, provider: 'openai', api_key: 'sk-test', custom_host: f.baseUrl });

function config(mode: 'fallback' | 'loadbalance', cb: Record<string, unknown>, targets = [target(a, 'a'), target(b, 'b')]): string {
  return JSON.stringify({ strategy: { mode, cb_config: cb }, targets });
}

let seq = 0;
async function chat(gw: TestGateway, cfg: string) {
  const traceId = `cb-${++seq}-${Date.now()}`;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-portkey-config': cfg, 'x-portkey-trace-id': traceId },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }),
  });
  return { res, body: (await res.json()) as any, traceId };
}

async function logOf(gw: TestGateway, traceId: string): Promise<any> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(traceId));
    if (!line) throw new Error(`no log document for ${traceId} yet`);
    return JSON.parse(line);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker, in process', () => {
  it('opens after failure_threshold failures, skips the open target, reports it, and closes after a good probe', async () => {
    const gw = await gateway();
    const cfg = config('fallback', { failure_threshold: 2, cooldown_interval: 3000 });
    a.setDefault({ status: 500 });
    for (let i = 0; i < 2; i++) {
      const { res } = await chat(gw, cfg);
      expect(res.status).toBe(200);
    }
    expect(a.requests.length).toBe(2);

    // Open: a is not called, b answers, and the document says why.
    const skipped = await chat(gw, cfg);
    expect(skipped.res.status).toBe(200);
    expect(a.requests.length).toBe(2);
    const doc = await logOf(gw, skipped.traceId);
    expect(doc.attempts[0]).toMatchObject({ target: 'config.targets[0]', status: 503, ms: 0, breaker: 'open' });
    expect(doc.attempts[1]).toMatchObject({ target: 'config.targets[1]', status: 200, breaker: 'closed' });
    const opener = await logOf(gw, await findTrace(gw, 'breaker_opened'));
    expect(opener.attempts[0]).toMatchObject({ status: 500, breaker: 'closed', breaker_opened: true });

    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/portico_circuit_breaker_state\{config="[0-9a-f]{16}",target="config\.targets\[0\]"\} 2/);
    expect(metrics).toMatch(/portico_circuit_breaker_opened_total\{config="[0-9a-f]{16}",target="config\.targets\[0\]"\} 1/);
    const health = (await (await fetch(`${gw.url}/v1/health`)).json()) as any;
    expect(health.status).toBe('ok');
    expect(health.circuit_breakers).toMatchObject({ kind: 'memory', open: 1 });
    expect(health.circuit_breakers.breakers[0]).toMatchObject({ target: 'config.targets[0]', state: 'open' });

    // After the cooldown a healthy a gets the probe and the breaker closes.
    await sleep(3100);
    a.setDefault({});
    const probe = await chat(gw, cfg);
    expect(probe.res.status).toBe(200);
    expect(a.requests.length).toBe(3);
    expect((await logOf(gw, probe.traceId)).attempts).toEqual([expect.objectContaining({ target: 'config.targets[0]', status: 200, breaker: 'half_open' })]);
    const after = await (await fetch(`${gw.url}/metrics`)).text();
    expect(after).toMatch(/portico_circuit_breaker_state\{config="[0-9a-f]{16}",target="config\.targets\[0\]"\} 0/);
  });

  it('half-open lets exactly one probe through; a failed probe opens it again', async () => {
    const gw = await gateway();
    const cfg = config('fallback', { failure_threshold: 1, cooldown_interval: 1000 });
    a.setDefault({ status: 502 });
    await chat(gw, cfg);
    expect(a.requests.length).toBe(1);
    await sleep(1100);
    // The probe is slow and fails; requests meanwhile go straight to b.
    a.setDefault({ status: 502, delayMs: 300 });
    const probe = chat(gw, cfg);
    await sleep(100);
    const during = await Promise.all([chat(gw, cfg), chat(gw, cfg), chat(gw, cfg)]);
    for (const d of during) expect(d.res.status).toBe(200);
    expect((await probe).res.status).toBe(200);
    expect(a.requests.length).toBe(2);
    const doc = await logOf(gw, (await probe).traceId);
    expect(doc.attempts[0]).toMatchObject({ status: 502, breaker: 'half_open', breaker_opened: true });
    // Open again: the next request right away skips a.
    await chat(gw, cfg);
    expect(a.requests.length).toBe(2);
  });

  it('failure_threshold_percentage with minimum_requests, and failure_status_codes', async () => {
    const gw = await gateway();
    const cfg = config('loadbalance', { failure_threshold_percentage: 50, minimum_requests: 4, cooldown_interval: 5000, failure_status_codes: [429] }, [target(a, 'a')].concat([{ ...target(b, 'b'), weight: 0 } as any]));
    // 500 is not in failure_status_codes: never opens.
    a.setDefault({ status: 500 });
    for (let i = 0; i < 4; i++) expect((await chat(gw, cfg)).res.status).toBe(500);
    a.setDefault({ status: 429, headers: { 'retry-after': '1' } });
    // 500s count as successes for this breaker: 4 ok + 3 x 429 = 3/7 < 50%; the 8th makes 4/8.
    for (let i = 0; i < 4; i++) expect((await chat(gw, cfg)).res.status).toBe(429);
    expect(a.requests.length).toBe(8);
    const open = await chat(gw, cfg);
    expect(a.requests.length).toBe(8);
    expect(open.res.status).toBe(503);
  });

  it('answers 503 with Retry-After when every target is open', async () => {
    const gw = await gateway();
    const cfg = config('loadbalance', { failure_threshold: 1, cooldown_interval: 3000 });
    a.setDefault({ status: 500 });
    b.setDefault({ status: 500 });
    while (a.requests.length === 0 || b.requests.length === 0) await chat(gw, cfg);
    const calls = a.requests.length + b.requests.length;
    const { res, body } = await chat(gw, cfg);
    expect(res.status).toBe(503);
    expect(a.requests.length + b.requests.length).toBe(calls);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(body.error.code).toBe('circuit_open');
    expect(body.error.message).toMatch(/circuit breakers are open.*Retry after \d+ s/);
  });

  it('refuses a cb_config with an unknown field or without a threshold, by name', async () => {
    const gw = await gateway();
    const bad1 = await chat(gw, config('fallback', { failure_threshold: 1, cooldown_interval: 1000, cooldown: 5 }));
    expect(bad1.res.status).toBe(400);
    expect(bad1.body.error.message).toMatch(/config\.strategy\.cb_config.*cooldown/);
    const bad2 = await chat(gw, config('fallback', { cooldown_interval: 1000 }));
    expect(bad2.res.status).toBe(400);
    expect(bad2.body.error.message).toMatch(/failure_threshold or failure_threshold_percentage/);
  });
});

/** The trace id of the first document whose text contains `needle`. */
async function findTrace(gw: TestGateway, needle: string): Promise<string> {
  return eventually(() => {
    const line = readAllLogs(gw).split('\n').find((l) => l.includes(needle));
    if (!line) throw new Error(`no document with ${needle}`);
    return JSON.parse(line).trace_id as string;
  });
}

describe('circuit breaker shared through Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a breaker one gateway opens is open on the other; the probe is claimed once across both', async () => {
    const env = { CACHE_STORE: 'redis', REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '500' };
    const [g1, g2] = await Promise.all([gateway(env), gateway(env)]);
    const cfg = config('fallback', { failure_threshold: 2, cooldown_interval: 2000 });
    a.setDefault({ status: 503 });
    await chat(g1, cfg);
    await chat(g2, cfg);
    // One failure on each replica: two in Redis, so it is open for both.
    expect(a.requests.length).toBe(2);
    for (const gw of [g1, g2]) {
      const { res, traceId } = await chat(gw, cfg);
      expect(res.status).toBe(200);
      expect((await logOf(gw, traceId)).attempts[0]).toMatchObject({ breaker: 'open' });
    }
    expect(a.requests.length).toBe(2);
    const health = (await (await fetch(`${g2.url}/v1/health`)).json()) as any;
    expect(health.circuit_breakers).toMatchObject({ kind: 'redis', open: 1 });

    await sleep(2100);
    a.setDefault({ delayMs: 200 });
    const [p1, p2] = await Promise.all([chat(g1, cfg), chat(g2, cfg)]);
    expect(p1.res.status).toBe(200);
    expect(p2.res.status).toBe(200);
    // Only one of the two replicas probed a.
    expect(a.requests.length).toBe(3);
    const states = [(await logOf(g1, p1.traceId)).attempts[0].breaker, (await logOf(g2, p2.traceId)).attempts[0].breaker].sort();
    expect(states).toEqual(['half_open', 'open']);
    // The probe succeeded: closed for both.
    a.setDefault({});
    await chat(g1, cfg);
    await chat(g2, cfg);
    expect(a.requests.length).toBe(5);
  });
});
