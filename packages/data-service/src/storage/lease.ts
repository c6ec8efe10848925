import { open, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * A lease on a job: held by one replica at a time, for `ttlMs` unless renewed. A replica that dies
 * stops renewing, and another takes the job over once the lease expired.
 */
export interface LeaseManager {
  readonly kind: string;
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** False when the lease was lost (expired and taken): the holder must stop at once. */
  renew(name: string, owner: string, ttlMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
  close(): Promise<void>;
}

const RENEW_LUA = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface RedisLeaseOptions {
  mode?: 'standalone' | 'cluster';
  /** TLS even on a redis:// URL (rediss:// implies it). */
  tls?: boolean;
  /** PEM file of a private CA; empty: the system trust store. */
  tlsCaFile?: string;
}

/**
 * The leases' Redis client: one node, or a Redis Cluster / ElastiCache cluster-mode configuration
 * endpoint. Each lease is one key, so every command lands on one slot and needs no hash tags.
 */
export function createLeaseRedis(url: string, opts: RedisLeaseOptions = {}): Redis | Cluster {
  const parsed = new URL(url);
  const useTls = parsed.protocol === 'rediss:' || opts.tls === true;
  const tls = useTls ? (opts.tlsCaFile ? { ca: readFileSync(opts.tlsCaFile) } : {}) : undefined;
  const common: RedisOptions = {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    tls, connectionName: 'portico-data-service', maxRetriesPerRequest: 2, commandTimeout: 2_000, connectTimeout: 2_000,
  };
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  if (opts.mode !== 'cluster') {
    const db = Number(parsed.pathname.replace(/^\//, '') || 0);
    return new Redis({ ...common, host, port, db, lazyConnect: false, enableOfflineQueue: true });
  }
  const options: ClusterOptions = { redisOptions: common, enableOfflineQueue: true, retryDelayOnFailover: 100, retryDelayOnClusterDown: 100, slotsRefreshTimeout: 2000 };
  // ElastiCache with TLS: keep host names so certificates match the names the nodes announce.
  if (useTls) options.dnsLookup = (address, callback) => callback(null, address);
  return new Cluster([{ host, port }], options);
}

/** Leases in Redis: SET NX PX to take, compare-and-expire to renew, compare-and-delete to release. */
export class RedisLeaseManager implements LeaseManager {
  readonly kind: string;
  private readonly redis: Redis | Cluster;
  constructor(url: string, opts: RedisLeaseOptions = {}) {
    this.kind = opts.mode === 'cluster' ? 'redis-cluster' : 'redis';
    this.redis = createLeaseRedis(url, opts);
    this.redis.on('error', () => undefined);
  }
  private key(name: string): string {
    return `portico:data-service:lease:${name}`;
  }
  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(name), owner, 'PX', ttlMs, 'NX')) === 'OK';
  }
  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return Number(await this.redis.eval(RENEW_LUA, 1, this.key(name), owner, String(ttlMs))) === 1;
  }
  async release(name: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE_LUA, 1, this.key(name), owner);
  }
  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

interface LockBody {
  owner: string;
  until: number;
}

/**
 * Leases as lock files with an expiry, for replicas sharing one disk (the embedded default). Taken by
 * exclusive create; an expired lock is moved aside by rename (only one replica's rename succeeds) and
 * checked to be the one that was read before a new one is made.
 */
export class FileLeaseManager implements LeaseManager {
  readonly kind = 'file';
  constructor(private readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.lock`);
  }

  private async read(path: string): Promise<LockBody | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as LockBody;
    } catch {
      return undefined;
    }
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    await mkdir(this.dir, { recursive: true });
    const path = this.path(name);
    if (await this.create(path, owner, ttlMs)) return true;
    const current = await this.read(path);
    if (current && current.until > Date.now()) return current.owner === owner;
    // Expired (or torn): move it aside; the replica whose rename wins takes over.
    const aside = `${path}.stale-${randomBytes(6).toString('hex')}`;
    try {
      await rename(path, aside);
    } catch {
      return false;
    }
    const moved = await this.read(aside);
    if (moved && moved.until > Date.now() && (!current || moved.owner !== current.owner || moved.until !== current.until)) {
      // We moved a fresh lock someone took meanwhile: put it back.
      await rename(aside, path).catch(() => undefined);
      return false;
    }
    await rm(aside, { force: true });
    return this.create(path, owner, ttlMs);
  }

  private async create(path: string, owner: string, ttlMs: number): Promise<boolean> {
    try {
      const h = await open(path, 'wx');
      try {
        await h.writeFile(JSON.stringify({ owner, until: Date.now() + ttlMs }));
      } finally {
        await h.close();
      }
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const path = this.path(name);
    const current = await this.read(path);
    if (!current || current.owner !== owner) return false;
    const tmp = `${path}.renew-${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, JSON.stringify({ owner, until: Date.now() + ttlMs }));
    await rename(tmp, path);
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    const path = this.path(name);
    const current = await this.read(path);
    if (current?.owner === owner) await rm(path, { force: true });
  }

  async close(): Promise<void> {}
}
