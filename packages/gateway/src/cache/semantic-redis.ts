/**
 * Shares semantic-cache entries between replicas through Redis. Each partition is a sorted set of
 * entries scored by a per-partition sequence number (INCR), so a replica asks only for what was added
 * since the last sequence it saw: one round trip per lookup, run beside the embedding call. Both keys
 * of a partition share a hash tag, so the scripts run in cluster mode too. The set keeps the newest
 * entries (bounded per partition) and expires with its longest-lived entry; answers live in the
 * response cache under their exact-match keys, with their own TTLs.
 *
 * Member layout: 64 ASCII bytes of exact-match key (a sha256 hex), 8 bytes of expiry (float64 LE, epoch
 * ms), then the unit vector as float32 LE.
 */
import type { RedisConnection } from '../state/redis.js';

export const SEMANTIC_KEY_PREFIX = 'portico:sem:';
const KEY_BYTES = 64;
const HEADER_BYTES = KEY_BYTES + 8;

/** KEYS: set, sequence. ARGV: member, most entries kept, TTL ms. Returns the member's sequence number. */
const APPEND_LUA = `
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], seq, ARGV[1])
local max = tonumber(ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
if n > max then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - max - 1) end
local ttl = tonumber(ARGV[3])
for i = 1, 2 do
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return seq
`;

/**
 * KEYS: set, sequence. ARGV: last sequence seen, most members returned. Returns {current sequence,
 * {member, score, ...}}. A sequence that went back (the keys expired and started over) is read from 0.
 */
const SINCE_LUA = `
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
local from = tonumber(ARGV[1])
if from > cur then from = 0 end
return {cur, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. from, '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))}
`;

/** ioredis has evalBuffer (replies as Buffers, binary members intact); its typings leave it out. */
interface BufferEval {
  evalBuffer(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

export interface SharedEntry {
  key: string;
  expiresAt: number;
  vector: Float32Array;
}

export interface SinceResult {
  /** The sequence to ask from next time. */
  seq: number;
  entries: SharedEntry[];
}

export function encodeMember(e: SharedEntry): Buffer {
  if (e.key.length !== KEY_BYTES) throw new Error('semantic entries are keyed by a sha256 hex digest');
  const buf = Buffer.allocUnsafe(HEADER_BYTES + e.vector.length * 4);
  buf.write(e.key, 0, KEY_BYTES, 'latin1');
  buf.writeDoubleLE(e.expiresAt, KEY_BYTES);
  for (let i = 0; i < e.vector.length; i++) buf.writeFloatLE(e.vector[i], HEADER_BYTES + i * 4);
  return buf;
}

/** undefined for a member this version cannot read (a wrong length). */
export function decodeMember(buf: Buffer): SharedEntry | undefined {
  const bytes = buf.length - HEADER_BYTES;
  if (bytes <= 0 || bytes % 4 !== 0) return undefined;
  const key = buf.toString('latin1', 0, KEY_BYTES);
  if (!/^[0-9a-f]{64}$/.test(key)) return undefined;
  const vector = new Float32Array(bytes / 4);
  for (let i = 0; i < vector.length; i++) vector[i] = buf.readFloatLE(HEADER_BYTES + i * 4);
  return { key, expiresAt: buf.readDoubleLE(KEY_BYTES), vector };
}

export class SemanticRedisShare {
  constructor(private readonly redis: RedisConnection, private readonly maxPerPartition: number, private readonly fetchMax = 200) {}

  private keys(partition: string): [string, string] {
    return [`${SEMANTIC_KEY_PREFIX}{${partition}}:z`, `${SEMANTIC_KEY_PREFIX}{${partition}}:seq`];
  }

  /** Entries other replicas (or this one) added after sequence `seen`. Rejects when Redis is unavailable. */
  async since(partition: string, seen: number): Promise<SinceResult> {
    const [z, seq] = this.keys(partition);
    const reply = await this.redis.bounded('semantic cache sync', (c) => (c as unknown as BufferEval).evalBuffer(SINCE_LUA, 2, z, seq, String(seen), String(this.fetchMax)), Math.max(this.redis.timeoutMs, 250)) as [number, Buffer[]];
    const [cur, flat] = reply;
    const entries: SharedEntry[] = [];
    let last = seen > cur ? 0 : seen;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const e = decodeMember(flat[i]);
      last = Number(flat[i + 1].toString());
      if (e) entries.push(e);
    }
    // A full page: resume after its last member. Otherwise everything up to cur was read.
    return { seq: flat.length / 2 >= this.fetchMax ? last : cur, entries };
  }

  /** Adds an entry for every replica; best effort (the entry stays in this replica's index regardless). */
  async append(partition: string, entry: SharedEntry, ttlMs: number): Promise<void> {
    const [z, seq] = this.keys(partition);
    await this.redis.bounded('semantic cache append', (c) => c.eval(APPEND_LUA, 2, z, seq, encodeMember(entry), String(this.maxPerPartition), String(Math.max(1, Math.round(ttlMs)))), Math.max(this.redis.timeoutMs, 1000));
  }
}
