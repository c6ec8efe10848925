/**
 * Two real gateway processes (src/main.ts) sharing one redis-server, in front of a fake OpenAI: what
 * one replica caches the other serves, and limits and budgets hold across both, even under a burst
 * of 50 concurrent requests split between them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';
import { spawnGateway, type GatewayChild as GatewayProcess } from '../helpers/gateway-process.js';

const GATEWAY_KEY = 'pk-two-gateways-test-key';

const ENTITIES = `
keys:
  - id: team-a
    key_env: TWO_GW_KEY
    scopes: [completions]
virtual_keys:
  - slug: openai-limited
    provider: openai
    api_key: \${TWO_GW_OPENAI_KEY}
    settings: { custom_host: "\${TWO_GW_OPENAI_HOST}" }
    limits:
      - { kind: requests, limit: 4, window: minute }
user_limits:
  burst-user:
    - { kind: requests, limit: 20, window: hour }
  strict-user:
    - { kind: requests, limit: 20, window: hour }
`;

describe('two gateway processes sharing one Redis', () => {
  let redis: RedisServer;
  let fake: FakeOpenAI;
  let dir: string;
  let a: GatewayProcess;
  let b: GatewayProcess;
  /** The production bound (50 ms) with LIMITS_FAIL_MODE=closed. */
  let c: GatewayProcess;
  let d: GatewayProcess;

  beforeAll(async () => {
    [redis, fake] = await Promise.all([startRedis(), startFakeOpenAI()]);
    dir = mkdtempSync(path.join(tmpdir(), 'portico-two-gw-'));
    writeFileSync(path.join(dir, 'entities.yaml'), ENTITIES);
    const env = (name: string, extra: Record<string, string> = {}) => ({
      CACHE_STORE: 'redis',
      REDIS_URL: redis.url,
      // Generous for A and B: four gateways, Redis, a fake upstream and the test share two cores, and
      // a fail-open limiter admits what it could not check in time.
      REDIS_COMMAND_TIMEOUT_MS: '500',
      ...extra,
      ENTITIES_FILE: path.join(dir, 'entities.yaml'),
      TWO_GW_KEY: GATEWAY_KEY,
      TWO_GW_OPENAI_KEY: 'sk-fake-openai',
      TWO_GW_OPENAI_HOST: fake.baseUrl,
      LOG_STORE_FILE_DIR: path.join(dir, name, 'logs'),
      LOG_STORE_SPILL_DIR: path.join(dir, name, 'spill'),
    });
    const strict = { REDIS_COMMAND_TIMEOUT_MS: '50', LIMITS_FAIL_MODE: 'closed' };
    [a, b, c, d] = await Promise.all([spawnGateway(env('a')), spawnGateway(env('b')), spawnGateway(env('c', strict)), spawnGateway(env('d', strict))]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a, b, c, d].map((g) => g?.stop()));
    await fake?.close();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const chat = (g: GatewayProcess, headers: Record<string, string>, content: string) =>
    fetch(`${g.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-portkey-api-key': GATEWAY_KEY,
        'x-portkey-custom-host': fake.baseUrl,
        ...headers,
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content }] }),
    });

  const direct = { 'x-portkey-provider': 'openai', authorization: 'Bearer sk-fake-openai' };

  it('a response cached by gateway A is a hit on gateway B', async () => {
    const headers = { ...direct, 'x-portkey-config': JSON.stringify({ cache: { mode: 'simple', max_age: 60 } }) };
    const upstreamBefore = fake.requests.length;
    const first = await chat(a, headers, 'cache me across replicas');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-portkey-cache-status')).toBe('MISS');
    const body = await first.json();
    expect(fake.requests.length).toBe(upstreamBefore + 1);

    // The write happens after the response; give it a moment to land in Redis.
    let second: Response | undefined;
    for (let i = 0; i < 40; i++) {
      second = await chat(b, headers, 'cache me across replicas');
      if (second.headers.get('x-portkey-cache-status') === 'HIT') break;
      await second.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(second!.status).toBe(200);
    expect(second!.headers.get('x-portkey-cache-status')).toBe('HIT');
    expect((await second!.json()).choices[0].message.content).toBe(body.choices[0].message.content);
    // Misses before the write landed went upstream; the hit did not.
    const upstreamAfterHit = fake.requests.length;
    const third = await chat(a, headers, 'cache me across replicas');
    expect(third.headers.get('x-portkey-cache-status')).toBe('HIT');
    await third.arrayBuffer();
    expect(fake.requests.length).toBe(upstreamAfterHit);
  });

  it('a virtual key limit of 4 requests per minute holds across both gateways', async () => {
    await awayFromWindowEnd('minute');
    const headers = { 'x-portkey-virtual-key': 'openai-limited' };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await chat(i % 2 ? b : a, headers, `limited ${i}`);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    for (const g of [a, b]) {
      const res = await chat(g, headers, 'one too many');
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const err = (await res.json()) as { error: { message: string; type: string } };
      expect(err.error.type).toBe('rate_limit_error');
      expect(err.error.message).toMatch(/^requests per minute limit of 4 for virtual key openai-limited exceeded; retry after \d+ s/);
    }
  });

  it('50 concurrent requests split across both gateways never overshoot a budget of 20', async () => {
    const headers = { ...direct, 'x-portkey-metadata': JSON.stringify({ _user: 'burst-user' }) };
    const upstreamBefore = fake.requests.length;
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const res = await chat(i % 2 ? b : a, headers, `burst ${i}`);
      await res.arrayBuffer();
      return res.status;
    }));
    expect(results.filter((s) => s === 200).length).toBe(20);
    expect(results.filter((s) => s === 429).length).toBe(30);
    expect(fake.requests.length - upstreamBefore).toBe(20);
  });

  it('fail-closed at the production 50 ms bound: a saturating burst may be refused, never overshoots', async () => {
    const headers = { ...direct, 'x-portkey-metadata': JSON.stringify({ _user: 'strict-user' }) };
    const upstreamBefore = fake.requests.length;
    const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const res = await chat(i % 2 ? d : c, headers, `strict ${i}`);
      await res.arrayBuffer();
      return res.status;
    }));
    const admitted = results.filter((s) => s === 200).length;
    expect(admitted, results.join(',')).toBeLessThanOrEqual(20);
    expect(admitted).toBeGreaterThan(0);
    expect(results.every((s) => s === 200 || s === 429 || s === 503)).toBe(true);
    expect(fake.requests.length - upstreamBefore).toBe(admitted);
  });

  it('all four gateways stayed connected to Redis', async () => {
    for (const g of [a, b, c, d]) {
      expect(g.output()).not.toContain('redis: connection error');
    }
  });
});
