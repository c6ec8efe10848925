import type { RedisConnection } from '../state/redis.js';
import { admit, emptyRecord, peek, probeTtlMs, record, windowMs, type Admission, type BreakerRecord, type EffectiveCb } from './breaker-policy.js';

/** Where breaker records live: this process, or Redis so every replica sees one breaker per target. */
export interface BreakerStore {
  readonly kind: 'memory' | 'redis';
  peek(key: string, cb: EffectiveCb, now: number): Promise<Admission>;
  admit(key: string, cb: EffectiveCb, now: number): Promise<Admission>;
  /** Resolves true when this outcome opened the breaker. */
  record(key: string, cb: EffectiveCb, failed: boolean, probe: boolean, now: number): Promise<boolean>;
}

/** In-process records, bounded: past `max` keys the oldest-touched closed one goes first. */
export class MemoryBreakerStore implements BreakerStore {
  readonly kind = 'memory' as const;
  private readonly records = new Map<string, BreakerRecord>();
  constructor(private readonly max = 10_000) {}

  private get(key: string): BreakerRecord {
    let r = this.records.get(key);
    if (r) {
      // Re-insert: Map order is then least recently used first.
      this.records.delete(key);
    } else {
      r = emptyRecord();
      if (this.records.size >= this.max) this.evict();
    }
    this.records.set(key, r);
    return r;
  }

  private evict(): void {
    for (const [k, r] of this.records) {
      if (!r.open) {
        this.records.delete(k);
        return;
      }
    }
    this.records.delete(this.records.keys().next().value!);
  }

  async peek(key: string, cb: EffectiveCb, now: number): Promise<Admission> {
    const r = this.records.get(key);
    return r ? peek(r, cb, now) : { state: 'closed' };
  }

  async admit(key: string, cb: EffectiveCb, now: number): Promise<Admission> {
    const r = this.records.get(key);
    return r ? admit(this.get(key), cb, now) : { state: 'closed' };
  }

  async record(key: string, cb: EffectiveCb, failed: boolean, probe: boolean, now: number): Promise<boolean> {
    return record(this.get(key), cb, failed, probe, now);
  }
}

/**
 * The same rules as breaker-policy.ts, run atomically in Redis (one hash per breaker). Fields:
 * o open (0/1), f failures, n total, ws window start, oa opened at, pu probe until. Every write sets a
 * TTL (three cooldowns, at least the window) so breakers of configs no longer used disappear.
 */
const BREAKER_LUA = `
local k = KEYS[1]
local op = ARGV[1]
local now = tonumber(ARGV[2])
local cooldown = tonumber(ARGV[3])
local probeTtl = tonumber(ARGV[4])
local h = redis.call('HMGET', k, 'o', 'f', 'n', 'ws', 'oa', 'pu')
local o = tonumber(h[1]) or 0
local f = tonumber(h[2]) or 0
local n = tonumber(h[3]) or 0
local ws = tonumber(h[4]) or 0
local oa = tonumber(h[5]) or 0
local pu = tonumber(h[6]) or 0
if op == 'peek' or op == 'admit' then
  if o == 0 then return {0, 0} end
  if now < oa + cooldown then return {1, oa + cooldown} end
  if pu > now then return {1, pu} end
  if op == 'admit' then
    redis.call('HSET', k, 'pu', now + probeTtl)
    redis.call('PEXPIRE', k, cooldown * 3 + probeTtl)
  end
  return {2, 0}
end
local failed = ARGV[5] == '1'
local probe = ARGV[6] == '1'
local ft = tonumber(ARGV[7])
local pct = tonumber(ARGV[8])
local minReq = tonumber(ARGV[9])
local window = tonumber(ARGV[10])
if o == 1 then
  if not probe then return 0 end
  if failed then
    redis.call('HSET', k, 'oa', now, 'pu', 0)
    redis.call('PEXPIRE', k, cooldown * 3)
    return 1
  end
  redis.call('DEL', k)
  return 0
end
if ws == 0 or now - ws >= window then
  ws = now
  f = 0
  n = 0
end
n = n + 1
if failed then f = f + 1 end
local opens = 0
if f > 0 then
  if ft > 0 and f >= ft then opens = 1 end
  if pct > 0 and n >= minReq and f * 100 / n >= pct then opens = 1 end
end
if opens == 1 then
  redis.call('HSET', k, 'o', 1, 'f', f, 'n', n, 'ws', ws, 'oa', now, 'pu', 0)
else
  redis.call('HSET', k, 'o', 0, 'f', f, 'n', n, 'ws', ws)
end
redis.call('PEXPIRE', k, math.max(cooldown * 3, window))
return opens
`;

/**
 * Breakers shared through Redis. When Redis does not answer in time, the in-process fallback store
 * decides for this replica, so an outage of Redis never stops routing.
 */
export class RedisBreakerStore implements BreakerStore {
  readonly kind = 'redis' as const;
  constructor(private readonly redis: RedisConnection, private readonly fallback: BreakerStore = new MemoryBreakerStore()) {}

  private async run(key: string, args: (string | number)[]): Promise<unknown> {
    return this.redis.bounded('circuit breaker', (c) => c.eval(BREAKER_LUA, 1, `portico:cb:{${key}}`, ...args));
  }

  private async check(op: 'peek' | 'admit', key: string, cb: EffectiveCb, now: number): Promise<Admission> {
    try {
      const [state, retryAt] = (await this.run(key, [op, now, cb.cooldownMs, probeTtlMs(cb)])) as [number, number];
      return state === 0 ? { state: 'closed' } : state === 2 ? { state: 'half_open' } : { state: 'open', retryAt: Number(retryAt) };
    } catch {
      return op === 'peek' ? this.fallback.peek(key, cb, now) : this.fallback.admit(key, cb, now);
    }
  }

  peek(key: string, cb: EffectiveCb, now: number): Promise<Admission> {
    return this.check('peek', key, cb, now);
  }

  admit(key: string, cb: EffectiveCb, now: number): Promise<Admission> {
    return this.check('admit', key, cb, now);
  }

  async record(key: string, cb: EffectiveCb, failed: boolean, probe: boolean, now: number): Promise<boolean> {
    try {
      const opened = await this.run(key, ['record', now, cb.cooldownMs, probeTtlMs(cb), failed ? '1' : '0', probe ? '1' : '0', cb.failureThreshold ?? 0, cb.failurePercentage ?? 0, cb.minimumRequests, windowMs(cb)]);
      return opened === 1;
    } catch {
      return this.fallback.record(key, cb, failed, probe, now);
    }
  }
}
