/**
 * The same behaviour is required of the in-process limiter and the Redis limiter, so one suite runs
 * against both; the Redis one also gets several independent connections, like several replicas.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { GatewayError } from '../../src/errors.js';
import { MemoryLimiter } from '../../src/limits/memory-limiter.js';
import { RedisLimiter } from '../../src/limits/redis-limiter.js';
import { createLimiter } from '../../src/limits/create.js';
import type { LimitRule, LimitSubject, Limiter } from '../../src/limits/types.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';

/**
 * 37 s into tomorrow (UTC): 23 s before the minute ends, 86 363 s before the day does. In the future,
 * so Redis does not expire counters whose window the fake clock says is still open.
 */
const T0 = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000 + 37_000;

interface Harness {
  /** Limiters sharing one state (one per "replica"). */
  limiters: Limiter[];
  clock: { now: number };
  /** Raw counter value, for checking settle arithmetic. */
  counter(key: string): Promise<number>;
}

const vk = (id: string, ...rules: LimitRule[]): LimitSubject => ({ scope: 'vk', id, rules });
const key = (id: string, ...rules: LimitRule[]): LimitSubject => ({ scope: 'key', id, rules });
const user = (id: string, ...rules: LimitRule[]): LimitSubject => ({ scope: 'user', id, rules });
const est = (tokens: number, costUsd = 0) => ({ tokens, costUsd });

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected the reservation to be refused');
}

function limiterContract(make: () => Harness) {
  let h: Harness;
  let id: string;
  beforeAll(() => {
    h = make();
  });
  const fresh = () => {
    id = `s-${randomUUID().slice(0, 8)}`;
    h.clock.now = T0;
    return h.limiters[0];
  };

  it('allows the requests per minute, then answers 429 with Retry-After and a message naming the limit', async () => {
    const l = fresh();
    const s = [vk(id, { kind: 'requests', limit: 3, window: 'minute' })];
    for (let i = 0; i < 3; i++) await l.reserve(s, est(10));
    const e = await rejection(l.reserve(s, est(10)));
    expect(e.status).toBe(429);
    expect(e.type).toBe('rate_limit_error');
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers['Retry-After']).toBe('23');
    expect(e.message).toBe(`requests per minute limit of 3 for virtual key ${id} exceeded; retry after 23 s or raise the limit in the entities file`);
  });

  it('reserves estimated tokens before the call: a reservation that would pass the limit is refused', async () => {
    const l = fresh();
    const s = [vk(id, { kind: 'tokens', limit: 10000, window: 'minute' })];
    await l.reserve(s, est(6000));
    const e = await rejection(l.reserve(s, est(5000)));
    expect(e.message).toBe(`tokens per minute limit of 10000 for virtual key ${id} exceeded; retry after 23 s or raise the limit in the entities file`);
    await l.reserve(s, est(4000)); // exactly fills it
    await rejection(l.reserve(s, est(1)));
  });

  it('never lets 50 concurrent requests from several replicas overshoot a budget', async () => {
    fresh();
    const s = [key(id, { kind: 'tokens', limit: 10_000, window: 'minute' }), vk(`${id}-vk`, { kind: 'requests', limit: 1000, window: 'minute' })];
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h.limiters[i % h.limiters.length].reserve(s, est(700))));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(14); // floor(10000 / 700)
    for (const r of results) if (r.status === 'rejected') expect((r.reason as GatewayError).status).toBe(429);
    // The refused requests were rolled back on the other subject: only the 14 admitted count there.
    const requestsKey = `portico:limits:{vk:${id}-vk}:requests:minute:${Math.floor(T0 / 60_000) * 60}`;
    expect(await h.counter(requestsKey)).toBe(14);
    expect(await h.counter(`portico:limits:{key:${id}}:tokens:minute:${Math.floor(T0 / 60_000) * 60}`)).toBe(9800);
  });

  it('exactly the allowed number of 50 concurrent requests pass a requests limit', async () => {
    fresh();
    const s = [user(id, { kind: 'requests', limit: 17, window: 'hour' })];
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h.limiters[i % h.limiters.length].reserve(s, est(1))));
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(17);
  });

  it('starts a fresh window when the minute ends', async () => {
    const l = fresh();
    const s = [vk(id, { kind: 'requests', limit: 1, window: 'minute' })];
    await l.reserve(s, est(1));
    h.clock.now = T0 + 22_000;
    expect((await rejection(l.reserve(s, est(1)))).headers['Retry-After']).toBe('1');
    h.clock.now = T0 + 23_000;
    await l.reserve(s, est(1));
  });

  it('settle() moves the reservation to what the call really used, and never below zero', async () => {
    const l = fresh();
    const s = [vk(id, { kind: 'tokens', limit: 1500, window: 'minute' })];
    const k = `portico:limits:{vk:${id}}:tokens:minute:${Math.floor(T0 / 60_000) * 60}`;
    const r = await l.reserve(s, est(1000));
    expect(await h.counter(k)).toBe(1000);
    r.settle(est(200));
    r.settle(est(900)); // a second settle is ignored
    await expect.poll(() => h.counter(k)).toBe(200);
    const r2 = await l.reserve(s, est(1000)); // 1200 of 1500
    r2.settle(est(1800)); // used more than estimated: counted in full
    await expect.poll(() => h.counter(k)).toBe(2000);
    await rejection(l.reserve(s, est(0)));
    // Floor at zero: a settle far below the estimate cannot push the window negative.
    const other = [vk(`${id}-b`, { kind: 'tokens', limit: 1500, window: 'minute' })];
    const k2 = `portico:limits:{vk:${id}-b}:tokens:minute:${Math.floor(T0 / 60_000) * 60}`;
    const r3 = await l.reserve(other, est(100));
    const r4 = await l.reserve(other, est(100));
    r3.settle(est(0));
    r4.settle(est(0));
    await expect.poll(() => h.counter(k2)).toBe(0);
  });

  it('charge() adds tokens and cost spent outside a reservation, past the limit if need be, and leaves request counts alone', async () => {
    const l = fresh();
    const s = [user(id, { kind: 'tokens', limit: 100, window: 'minute' }, { kind: 'cost', limit: 1, window: 'day' }, { kind: 'requests', limit: 2, window: 'minute' })];
    const minute = Math.floor(T0 / 60_000) * 60;
    const tokens = `portico:limits:{user:${id}}:tokens:minute:${minute}`;
    const cost = `portico:limits:{user:${id}}:cost:day:${Math.floor(T0 / 86_400_000) * 86_400}`;
    const requests = `portico:limits:{user:${id}}:requests:minute:${minute}`;
    // Counters that do not exist yet are created by a charge.
    l.charge(s, est(60, 0.25));
    await expect.poll(() => h.counter(tokens)).toBe(60);
    await expect.poll(() => h.counter(cost)).toBe(250_000);
    expect(await h.counter(requests)).toBe(0);
    // Another replica's charge lands on the same counters, even past the limit: the spend happened.
    h.limiters[h.limiters.length - 1].charge(s, est(50, 0));
    await expect.poll(() => h.counter(tokens)).toBe(110);
    // Reservations see it: even one token no longer fits, and the 429 names the token limit.
    expect((await rejection(l.reserve(s, est(1)))).message).toMatch(/token/i);
    // Nothing to charge, or no token or cost rule: a no-op.
    l.charge(s, est(0, 0));
    l.charge([vk(`${id}-r`, { kind: 'requests', limit: 1, window: 'minute' })], est(500, 1));
    await l.reserve([vk(`${id}-r`, { kind: 'requests', limit: 1, window: 'minute' })], est(0));
  });

  it('budgets cost per day in USD, adjusted by the real cost after the call', async () => {
    const l = fresh();
    const s = [user(id, { kind: 'cost', limit: 1, window: 'day' })];
    const a = await l.reserve(s, est(10, 0.4));
    await l.reserve(s, est(10, 0.4));
    const e = await rejection(l.reserve(s, est(10, 0.4)));
    expect(e.code).toBe('budget_exceeded');
    expect(e.message).toBe(`cost per day limit of $1.00 for user ${id} exceeded; retry after ${86_400 - 37} s or raise the limit in the entities file`);
    expect(e.headers['Retry-After']).toBe(String(86_400 - 37));
    a.settle(est(10, 0.1));
    await expect.poll(async () => (await l.reserve(s, est(10, 0.4)).then(() => 'ok', () => 'refused'))).toBe('ok');
    // 0.1 + 0.4 + 0.4 = 0.9 spent; a zero-cost estimate still passes, a spent budget blocks even those.
    const last = await l.reserve(s, est(10, 0));
    last.settle(est(10, 0.2));
    await expect.poll(async () => (await l.reserve(s, est(10, 0)).then(() => 'ok', () => 'refused'))).toBe('refused');
  });

  it('checks every rule of every subject, and the limit that resets last decides Retry-After', async () => {
    const l = fresh();
    const s = [
      key(id, { kind: 'requests', limit: 2, window: 'minute' }, { kind: 'requests', limit: 2, window: 'hour' }),
      vk(`${id}-vk`, { kind: 'requests', limit: 10, window: 'minute' }),
    ];
    await l.reserve(s, est(1));
    await l.reserve(s, est(1));
    const e = await rejection(l.reserve(s, est(1)));
    expect(e.message).toContain(`requests per hour limit of 2 for gateway key ${id}`);
    expect(e.headers['Retry-After']).toBe(String(3600 - 37));
  });

  it('says when a single request can never fit', async () => {
    const l = fresh();
    const e = await rejection(l.reserve([vk(id, { kind: 'tokens', limit: 1000, window: 'minute' })], est(4000)));
    expect(e.message).toBe(`this request alone needs an estimated 4000 tokens, more than the tokens per minute limit of 1000 for virtual key ${id}; lower max_tokens or raise the limit in the entities file`);
  });

  it('treats subjects without rules as unlimited', async () => {
    const l = fresh();
    const r = await l.reserve([vk(id), key(id)], est(1_000_000));
    r.settle(est(5));
    expect(l.health().status).toBe('ok');
  });

  it('policy budgets: a total budget has no Retry-After; a new `since` (a reset) starts the entity from nothing', async () => {
    const l = fresh();
    const budget: LimitRule = { kind: 'cost', limit: 1, window: 'total', since: T0 - 60_000 };
    const entity = (rule: LimitRule): LimitSubject => ({ scope: 'usage_policy', id: `p1/api_key:${id}`, label: `"Team budget" (api_key:${id})`, rules: [rule] });
    (await l.reserve([entity(budget)], est(0, 0.6))).settle(est(0, 0.6));
    const e = await rejection(l.reserve([entity(budget)], est(0, 0.6)));
    expect(e.code).toBe('policy_usage_limit_exceeded');
    expect(e.headers['Retry-After']).toBeUndefined();
    expect(e.message).toBe(`cost in total limit of $1.00 for usage-limit policy "Team budget" (api_key:${id}) exceeded; it does not reset by itself: ask a workspace admin to reset this entity's usage or raise the policy's credit_limit`);
    // Days later the budget is still spent; reset (since = now), it takes requests again.
    h.clock.now = T0 + 3 * 86_400_000;
    await rejection(l.reserve([entity(budget)], est(0, 0.5)));
    await l.reserve([entity({ ...budget, since: h.clock.now - 1000 })], est(0, 0.6));
  });

  it('weekly windows start on Monday (UTC); rate policies and workspaces have their own codes', async () => {
    const l = fresh();
    const rule: LimitRule = { kind: 'tokens', limit: 100, window: 'week' };
    const ws = (r: LimitRule): LimitSubject => ({ scope: 'workspace', id, rules: [r] });
    await l.reserve([ws(rule)], est(100));
    const e = await rejection(l.reserve([ws(rule)], est(1)));
    expect(e.code).toBe('workspace_budget_exceeded');
    const monday = Math.floor((T0 - 4 * 86_400_000) / (7 * 86_400_000)) * 7 * 86_400_000 + 11 * 86_400_000;
    expect(new Date(monday).getUTCDay()).toBe(1);
    expect(e.headers['Retry-After']).toBe(String(Math.ceil((monday - T0) / 1000)));
    expect((await rejection(l.reserve([ws({ kind: 'requests', limit: 0, window: 'hour' })], est(1)))).code).toBe('workspace_rate_limit_exceeded');
    const budget = await rejection(l.reserve([ws({ kind: 'cost', limit: 0, window: 'month' })], est(1, 0.01)));
    expect(budget.code).toBe('workspace_budget_exceeded');
    expect(budget.message).toContain(`for workspace ${id}`);
    const rate = await rejection(l.reserve([{ scope: 'rate_policy', id: `p2/${id}`, rules: [{ kind: 'requests', limit: 0, window: 'minute' }] }], est(1)));
    expect(rate.code).toBe('policy_rate_limit_exceeded');
    expect(rate.message).toContain('ask a workspace admin to raise the policy\'s value');
  });

  it('per second (rps) and per week (rpw) rates', async () => {
    const l = fresh();
    const s = [key(id, { kind: 'requests', limit: 2, window: 'second' }, { kind: 'tokens', limit: 1000, window: 'week' })];
    await l.reserve(s, est(10));
    await l.reserve(s, est(10));
    const e = await rejection(l.reserve(s, est(10)));
    expect(e.headers['Retry-After']).toBe('1');
    expect(e.message).toContain('requests per second limit of 2');
    h.clock.now = T0 + 1000;
    await l.reserve(s, est(980));
    h.clock.now = T0 + 2000;
    expect((await rejection(l.reserve(s, est(1)))).message).toContain('tokens per week limit of 1000');
  });

  it('every N days (periodic_reset_days): periods run from the anchor, Retry-After says when the next begins', async () => {
    const l = fresh();
    const DAY = 86_400_000;
    // Anchored 2.5 days before T0: this 3-day period ends half a day after T0, the next one 3 days later.
    const anchor = T0 - 2.5 * DAY;
    const rule: LimitRule = { kind: 'tokens', limit: 100, window: 'days', days: 3, anchor };
    const key = (r: LimitRule): LimitSubject => ({ scope: 'key', id, rules: [r] });
    await l.reserve([key(rule)], est(100));
    const e = await rejection(l.reserve([key(rule)], est(1)));
    expect(e.headers['Retry-After']).toBe(String(Math.ceil(0.5 * DAY / 1000)));
    expect(e.message).toContain('tokens per 3 days (periodic_reset_days) limit of 100');
    // Still spent just before the period ends; a new period counts from nothing.
    h.clock.now = T0 + 0.5 * DAY - 1000;
    await rejection(l.reserve([key(rule)], est(1)));
    h.clock.now = T0 + 0.5 * DAY;
    (await l.reserve([key(rule)], est(100))).settle(est(100));
    expect(await h.counter(`portico:limits:{key:${id}}:tokens:3d:${(anchor + 3 * DAY) / 1000}`)).toBe(100);
    // Another period length is another counter, even where periods start together.
    await l.reserve([key({ ...rule, days: 6, anchor: anchor + 3 * DAY })], est(100));
    // And 3 days later the same rule is fresh again.
    h.clock.now = T0 + 3.5 * DAY;
    await l.reserve([key(rule)], est(100));
  });
}

describe('MemoryLimiter', () => {
  const clock = { now: T0 };
  const shared = new MemoryLimiter({ now: () => clock.now });
  limiterContract(() => ({
    limiters: [shared],
    clock,
    counter: async (k) => (shared as unknown as { counters: Map<string, { value: number }> }).counters.get(k)?.value ?? 0,
  }));
  afterAll(() => shared.close());

  it('is what createLimiter returns without Redis', () => {
    expect(createLimiter(loadSettings({})).kind).toBe('memory');
  });
});

describe('MemoryLimiter bound (LIMITS_MEMORY_MAX_COUNTERS)', () => {
  const perMinute: LimitRule = { kind: 'requests', limit: 2, window: 'minute' };
  const tenantUser = (tenant: string, id: string): LimitSubject => ({ scope: 'user', id, tenant, rules: [perMinute] });
  const fillWithKeys = async (l: MemoryLimiter) => {
    for (const id of ['k1', 'k2', 'k3']) await l.reserve([key(id, perMinute)], est(1));
  };

  it('full of key counters and open: keeps counting the subjects it has, serves new ones uncounted, and says so in health', async () => {
    const clock = { now: T0 };
    const l = new MemoryLimiter({ now: () => clock.now, maxCounters: 3, failMode: 'open' });
    await fillWithKeys(l);
    expect(l.health().status).toBe('ok');
    // A new subject past the bound is served every time: nothing counts it.
    for (let i = 0; i < 5; i++) await l.reserve([key('k4', perMinute)], est(1));
    expect(l.health()).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/limit counters full \(3\).*served without counting.*LIMITS_MEMORY_MAX_COUNTERS/) });
    // One already counted still hits its limit.
    await l.reserve([key('k1', perMinute)], est(1));
    expect((await rejection(l.reserve([key('k1', perMinute)], est(1)))).status).toBe(429);
    // Once the window is over, the expired counters make room and the new subject is counted again.
    clock.now += 60_000;
    await l.reserve([key('k4', perMinute)], est(1));
    await l.reserve([key('k4', perMinute)], est(1));
    expect((await rejection(l.reserve([key('k4', perMinute)], est(1)))).status).toBe(429);
    expect(l.health().status).toBe('ok');
    await l.close();
  });

  it('full of key counters and closed: refuses a request with new subjects with 503 that says what to change', async () => {
    const clock = { now: T0 };
    const l = new MemoryLimiter({ now: () => clock.now, maxCounters: 3, failMode: 'closed' });
    await fillWithKeys(l);
    const err = await rejection(l.reserve([key('k4', perMinute)], est(1)));
    expect(err.status).toBe(503);
    expect(err.code).toBe('limits_unavailable');
    expect(err.message).toMatch(/in-process limit counters are full \(3\).*raise LIMITS_MEMORY_MAX_COUNTERS/);
    expect(l.health()).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/refused/) });
    // Subjects it already counts are served as before.
    await l.reserve([key('k2', perMinute)], est(1));
    await l.close();
  });

  it('a tenant past its share of user counters loses its own oldest, never another tenant\'s', async () => {
    const clock = { now: T0 };
    const l = new MemoryLimiter({ now: () => clock.now, maxCounters: 100, maxCountersPerTenant: 3, failMode: 'closed' });
    await l.reserve([tenantUser('B', 'bob')], est(1));
    await l.reserve([tenantUser('B', 'bob')], est(1));
    for (let i = 0; i < 50; i++) await l.reserve([tenantUser('A', `invented-${i}`)], est(1));
    // B's user is still counted: its third request in the minute is refused.
    expect((await rejection(l.reserve([tenantUser('B', 'bob')], est(1)))).status).toBe(429);
    // A's newest users are counted, its oldest were dropped.
    await l.reserve([tenantUser('A', 'invented-49')], est(1));
    expect((await rejection(l.reserve([tenantUser('A', 'invented-49')], est(1)))).status).toBe(429);
    await l.reserve([tenantUser('A', 'invented-0')], est(1));
    await l.reserve([tenantUser('A', 'invented-0')], est(1));
    // Dropping within a tenant's own share is not a problem of the gateway's.
    expect(l.health().status).toBe('ok');
    await l.close();
  });

  it('a full table drops the oldest user counters of the tenant holding the most, never a key counter', async () => {
    const clock = { now: T0 };
    const l = new MemoryLimiter({ now: () => clock.now, maxCounters: 4, maxCountersPerTenant: 100, failMode: 'closed' });
    await l.reserve([key('kB', perMinute)], est(1));
    await l.reserve([key('kB', perMinute)], est(1));
    await l.reserve([tenantUser('B', 'bob')], est(1));
    for (let i = 0; i < 20; i++) await l.reserve([tenantUser('A', `invented-${i}`)], est(1));
    expect((await rejection(l.reserve([key('kB', perMinute)], est(1)))).status).toBe(429);
    // B's one user counter outlived A's twenty: A held the most each time room was needed.
    await l.reserve([tenantUser('B', 'bob')], est(1));
    expect((await rejection(l.reserve([tenantUser('B', 'bob')], est(1)))).status).toBe(429);
    expect(l.health()).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/metadata\._user counter\(s\) of the tenant\(s\) holding the most were dropped/) });
    await l.close();
  });

  it('takes its bounds and fail mode from the settings', async () => {
    const l = createLimiter(loadSettings({ LIMITS_MEMORY_MAX_COUNTERS: '1', LIMITS_FAIL_MODE: 'closed' })) as MemoryLimiter;
    await l.reserve([key('a', perMinute)], est(1));
    expect((await rejection(l.reserve([key('b', perMinute)], est(1)))).status).toBe(503);
    await l.close();
    const shared = createLimiter(loadSettings({ LIMITS_MEMORY_TENANT_MAX_COUNTERS: '1' })) as MemoryLimiter;
    await shared.reserve([tenantUser('A', 'a1')], est(1));
    await shared.reserve([tenantUser('A', 'a1')], est(1));
    await shared.reserve([tenantUser('A', 'a2')], est(1));
    // a1 was dropped for a2: counted afresh.
    await shared.reserve([tenantUser('A', 'a1')], est(1));
    await shared.close();
  });
});

describe('RedisLimiter on a standalone redis-server, five replicas', () => {
  let server: RedisServer;
  const conns: RedisConnection[] = [];
  let raw: Redis;
  const clock = { now: T0 };
  const limiters: Limiter[] = [];
  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis({ port: server.port, host: '127.0.0.1' });
    raw.on('error', () => undefined); // the stopped-server phases are expected
    const settings = loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '2000' });
    for (let i = 0; i < 5; i++) {
      const c = createRedis(settings);
      conns.push(c);
      limiters.push(new RedisLimiter(c, { now: () => clock.now }));
    }
    const until = Date.now() + 5000;
    while (!conns.every((c) => c.ready) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    raw?.disconnect();
    await server?.stop();
  });

  limiterContract(() => ({ limiters, clock, counter: async (k) => Number((await raw.get(k)) ?? 0) }));

  it('expires each counter at the end of its window', async () => {
    clock.now = Date.now();
    const id = `exp-${randomUUID().slice(0, 8)}`;
    await limiters[0].reserve([vk(id, { kind: 'requests', limit: 5, window: 'minute' })], est(1));
    const k = `portico:limits:{vk:${id}}:requests:minute:${Math.floor(clock.now / 60_000) * 60}`;
    const pttl = await raw.pttl(k);
    const expected = Math.floor(clock.now / 60_000) * 60_000 + 60_000 - Date.now();
    expect(Math.abs(pttl - expected)).toBeLessThan(1000);
  });

  it('is what createLimiter returns with a Redis connection, in the configured fail mode', () => {
    expect(createLimiter(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url }), conns[0]).kind).toBe('redis');
  });
});
