/**
 * Lua run atomically inside Redis. Every key one call touches shares a hash tag (one subject), so the
 * scripts are valid in cluster mode; in standalone mode one call may carry every subject.
 */
import type { RedisClient } from '../state/redis.js';

/**
 * Lease size for one counter: at most maxLease, at most 1/16 of the headroom left after this request
 * (so the last units of a window are always reserved one at a time), and nothing when the headroom is
 * smaller than 16. The 16 must match LEASE_HEADROOM_DIVISOR in leases.ts.
 */
const LEASE_LUA = `
local function lease(cur, amount, limit, maxLease)
  local headroom = limit - cur - amount
  if maxLease <= 0 or headroom < 16 then return 0 end
  return math.min(maxLease, math.floor(headroom / 16))
end
`;

/**
 * Reservations, one group of counters per request. ARGV[1] is the number of groups; each group is its
 * counter count n followed by, per counter, amount, limit, expiry (ms since epoch) and the largest
 * lease wanted, and takes the next n KEYS. A group checks every counter first and reserves only if all
 * fit, adding each counter's lease. Groups run in order, so a later one sees what an earlier one
 * reserved. Replies per group: {0, lease1, lease2, ...} when reserved, or {1, i, current, j, current,
 * ...} listing every counter that would be exceeded.
 * In cluster mode a call carries one group, whose keys share one hash tag; in standalone mode a call
 * may carry the groups of every request of an event-loop turn.
 */
export const RESERVE_LUA = `${LEASE_LUA}
local out = {}
local k = 0
local a = 2
for g = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a])
  local broken = {}
  local curs = {}
  for i = 1, n do
    local cur = tonumber(redis.call('GET', KEYS[k + i]) or '0')
    curs[i] = cur
    local amount = tonumber(ARGV[a + 4 * i - 3])
    local limit = tonumber(ARGV[a + 4 * i - 2])
    if cur >= limit or cur + amount > limit then
      broken[#broken + 1] = i
      broken[#broken + 1] = cur
    end
  end
  if #broken > 0 then
    table.insert(broken, 1, 1)
    out[g] = broken
  else
    local reply = {0}
    for i = 1, n do
      local amount = tonumber(ARGV[a + 4 * i - 3])
      local granted = lease(curs[i], amount, tonumber(ARGV[a + 4 * i - 2]), tonumber(ARGV[a + 4 * i]))
      redis.call('INCRBY', KEYS[k + i], amount + granted)
      redis.call('PEXPIREAT', KEYS[k + i], ARGV[a + 4 * i - 1])
      reply[i + 1] = granted
    end
    out[g] = reply
  end
  k = k + n
  a = a + 4 * n + 1
end
return out
`;

/**
 * KEYS: counters. ARGV[i]: signed delta for KEYS[i]. Adjusts existing counters only (an expired
 * window stays gone) and never lets one drop below zero.
 */
export const ADJUST_LUA = `
for i = 1, #KEYS do
  local delta = tonumber(ARGV[i])
  if delta ~= 0 and redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('INCRBY', KEYS[i], delta)
    if v < 0 then redis.call('SET', KEYS[i], '0', 'KEEPTTL') end
  end
end
return 0
`;

/**
 * KEYS: counters. ARGV[2i-1]: amount to add to KEYS[i], ARGV[2i]: its window's end (ms since epoch).
 * Adds unconditionally, creating the counter when absent: usage already made (Limiter.charge).
 */
export const CHARGE_LUA = `
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i - 1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[2 * i])
end
return 0
`;

interface LimitScripts {
  porticoLimitReserve(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  porticoLimitAdjust(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  porticoLimitCharge(numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Registers the scripts once per client (EVALSHA, with EVAL on NOSCRIPT, on every node). */
export function limitScripts(client: RedisClient): LimitScripts {
  const c = client as RedisClient & Partial<LimitScripts>;
  if (typeof c.porticoLimitReserve !== 'function') {
    client.defineCommand('porticoLimitReserve', { lua: RESERVE_LUA });
    client.defineCommand('porticoLimitAdjust', { lua: ADJUST_LUA });
    client.defineCommand('porticoLimitCharge', { lua: CHARGE_LUA });
  }
  return c as RedisClient & LimitScripts;
}
