/**
 * The one Redis / Valkey / ElastiCache connection of a gateway process, built from Settings.
 * Commands fail fast while disconnected (no offline queue) and every call made through bounded()
 * settles within REDIS_COMMAND_TIMEOUT_MS, so a slow or absent Redis never holds a request.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { asBool, asInt, type Settings } from '../config/settings.js';
import { RedisUnavailableError, StateHealth, redactRedisUrl, type StateLogger } from './health.js';

export { RedisUnavailableError, redactRedisUrl, type StateLogger } from './health.js';

export type RedisClient = Redis | Cluster;

/** The limit scripts (limits/redis-scripts.ts) bypass auto-pipelining; see createClient. */
const LIMIT_SCRIPT_COMMANDS = ['porticoLimitReserve', 'porticoLimitAdjust'];

export interface RedisConnectionOptions {
  logger?: StateLogger;
  /** Shown in CLIENT LIST, e.g. "portico-gateway". */
  connectionName?: string;
  /** Extra TLS options (tests pass a CA buffer here instead of a file). */
  tls?: ConnectionOptions;
}

/** Everything createRedis derives from Settings; pure, so it is unit-tested without a server. */
export interface RedisPlan {
  mode: 'standalone' | 'cluster';
  host: string;
  port: number;
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
  db: number;
  timeoutMs: number;
  /** The URL with its password replaced by ***, safe to log. */
  target: string;
}

/** True when CACHE_STORE selects Redis (including both spellings of ElastiCache). */
export function usesRedis(settings: Settings): boolean {
  return settings.CACHE_STORE === 'redis' || settings.CACHE_STORE === 'aws-elastic-cache' || settings.CACHE_STORE === 'aws-elasti-cache';
}

export function planRedis(settings: Settings, extraTls?: ConnectionOptions): RedisPlan {
  const raw = settings.REDIS_URL;
  if (!raw) throw new Error(`REDIS_URL is required when CACHE_STORE=${settings.CACHE_STORE}; set it to redis://host:6379 or rediss://host:6379`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`REDIS_URL is not a valid URL (${redactRedisUrl(raw)}); expected redis://[user:password@]host:port[/db]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${url.protocol}//)`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText && !/^\d+$/.test(dbText)) throw new Error(`REDIS_URL path must be a database number such as /0 (got /${dbText})`);
  const mode = settings.REDIS_MODE === 'cluster' ? 'cluster' : 'standalone';
  if (mode === 'cluster' && dbText && dbText !== '0') throw new Error('REDIS_URL selects a database, but Redis Cluster only has database 0; remove the /N path or set REDIS_MODE=standalone');
  const useTls = url.protocol === 'rediss:' || asBool(settings.REDIS_TLS_ENABLED);
  let tls: ConnectionOptions | undefined;
  if (useTls) {
    tls = {};
    if (settings.REDIS_TLS_CA_FILE) {
      try {
        tls.ca = readFileSync(settings.REDIS_TLS_CA_FILE);
      } catch (e) {
        throw new Error(`REDIS_TLS_CA_FILE ${settings.REDIS_TLS_CA_FILE} cannot be read (${(e as Error).message}); point it at a PEM file or leave it empty for the system trust store`);
      }
    }
    // Standalone: name the certificate we expect. Cluster: each node is checked against its own host.
    if (mode === 'standalone' && !isIP(host)) tls.servername = host;
    Object.assign(tls, extraTls);
  }
  return {
    mode,
    host,
    port,
    tls,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: dbText ? Number(dbText) : 0,
    timeoutMs: asInt(settings.REDIS_COMMAND_TIMEOUT_MS || '50'),
    target: redactRedisUrl(raw),
  };
}

/** Capped exponential backoff with jitter: 100 ms, 200 ms, ... up to 2 s between reconnects. */
export function backoffMs(times: number): number {
  const base = Math.min(100 * 2 ** Math.max(0, Math.min(times - 1, 10)), 2000);
  return base + Math.floor(Math.random() * 100);
}

export class RedisConnection {
  readonly client: RedisClient;
  readonly mode: 'standalone' | 'cluster';
  readonly timeoutMs: number;
  readonly target: string;
  private readonly state: StateHealth;
  private readonly extra = new Set<RedisClient>();
  private closed = false;

  constructor(plan: RedisPlan, private readonly options: RedisConnectionOptions = {}) {
    this.mode = plan.mode;
    this.timeoutMs = plan.timeoutMs;
    this.target = plan.target;
    this.state = new StateHealth(plan.target, options.logger);
    this.client = this.connect(plan);
    this.watch(this.client, 'commands');
  }

  private connect(plan: RedisPlan): RedisClient {
    // ioredis' own timeout only reaps stuck commands (and a hung handshake); the request-facing
    // bound is bounded() below, so a slow TLS handshake does not put us in a reconnect loop.
    const common: RedisOptions = {
      username: plan.username,
      password: plan.password,
      tls: plan.tls,
      connectionName: this.options.connectionName ?? 'portico-gateway',
      connectTimeout: 2000,
      commandTimeout: Math.max(plan.timeoutMs * 20, 1000),
      maxRetriesPerRequest: 0,
      keepAlive: 10_000,
    };
    if (plan.mode === 'standalone') {
      // Auto-pipelining batches the commands of concurrent requests into one write per tick. Not for the
      // limit scripts: measured at 50 concurrent calls, EVALSHA through the auto-pipeline cost 39 µs of
      // client CPU per call against 30 µs sent directly, at half the throughput.
      return new Redis({
        ...common, host: plan.host, port: plan.port, db: plan.db, enableOfflineQueue: false, retryStrategy: backoffMs,
        enableAutoPipelining: true, autoPipeliningIgnoredCommands: LIMIT_SCRIPT_COMMANDS,
      });
    }
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // ioredis 6 groups auto-pipelined scripts by the wrong slot; send the limit scripts directly.
      autoPipeliningIgnoredCommands: LIMIT_SCRIPT_COMMANDS,
      clusterRetryStrategy: backoffMs,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      slotsRefreshTimeout: 1000,
      slotsRefreshInterval: 5000,
      redisOptions: common,
    };
    // ElastiCache with TLS: keep host names so certificates match the names the nodes announce.
    if (plan.tls) clusterOptions.dnsLookup = (address, callback) => callback(null, address);
    return new Cluster([{ host: plan.host, port: plan.port }], clusterOptions);
  }

  private watch(client: RedisClient, role: string): void {
    client.on('error', (err: Error) => {
      guardStreams(client);
      this.state.failed(err, role);
    });
    client.on('ready', () => this.state.connected(role));
    client.on('reconnecting', () => this.state.disconnected(role));
    client.on('close', () => {
      if (!this.closed) this.state.disconnected(role);
    });
    if (client instanceof Cluster) client.on('node error', (err: Error) => this.state.failed(err, role));
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /**
   * Runs one Redis operation within the command time bound. Rejects with RedisUnavailableError when
   * Redis is not connected, answers with an error, or does not answer in time.
   */
  bounded<T>(what: string, op: (client: RedisClient) => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.client.status !== 'ready') {
      const err = new RedisUnavailableError(`${what}: Redis at ${this.target} is not connected (${this.client.status})`);
      this.state.recordFailure(err);
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => setImmediate(expire), timeoutMs);
      // Timers run before I/O in each loop turn: on a saturated event loop the reply may already sit
      // in the socket. setImmediate runs after that I/O is read, so only a truly late reply times out.
      const expire = () => {
        if (done) return;
        done = true;
        const err = new RedisUnavailableError(`${what}: Redis at ${this.target} did not answer within ${timeoutMs} ms`, true);
        if (this.state.recordFailure(err) && this.client instanceof Redis) {
          // Many timeouts in a row on a "connected" socket: treat it as half-open and reconnect.
          this.options.logger?.warn({ redis: this.target }, 'redis: connection looks half-open; reconnecting');
          guardStreams(this.client);
          this.client.disconnect(true);
        }
        reject(err);
      };
      op(this.client).then(
        (value) => {
          if (done) return this.state.recordLateReply();
          clearTimeout(timer);
          this.state.recordSuccess();
          resolve(value);
        },
        (e: unknown) => {
          if (done) return;
          clearTimeout(timer);
          const err = new RedisUnavailableError(`${what}: ${(e as Error)?.message ?? String(e)}`, false, e);
          this.state.recordFailure(err);
          reject(err);
        },
      );
    });
  }

  /**
   * A new connection with the same settings, for SUBSCRIBE (a subscribed connection cannot run other
   * commands). It queues commands while connecting. close() of this connection closes it too.
   *
   * A standalone duplicate does not resubscribe by itself: the caller subscribes on every 'ready'.
   * ioredis' own resubscription is fire-and-forget, so a connection cut during it is an unhandled
   * rejection, and the subscription is then lost for good (the next reconnect no longer knows it).
   */
  duplicate(role = 'subscriber'): RedisClient {
    const dup = this.client instanceof Cluster
      ? this.client.duplicate(undefined, { enableOfflineQueue: true })
      : this.client.duplicate({ enableOfflineQueue: true, autoResubscribe: false });
    this.extra.add(dup);
    dup.once('end', () => this.extra.delete(dup));
    this.watch(dup, role);
    return dup;
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    return this.state.report(this.client.status);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.client, ...this.extra].map(async (c) => {
      guardStreams(c);
      try {
        if (c.status === 'ready') await c.quit();
        else c.disconnect();
      } catch {
        c.disconnect();
      }
    }));
  }
}

/**
 * ioredis listens for a socket error only once; a TLS socket torn down mid-handshake can emit a
 * second one (the server's alert), which would crash the process as an uncaught exception.
 */
const ignore = (): void => undefined;

export function guardStreams(client: RedisClient): void {
  const clients: RedisClient[] = client instanceof Cluster ? [client, ...client.nodes()] : [client];
  for (const c of clients) {
    // disconnect() ends the connector's socket, which may be one that already failed its handshake.
    const inner = c as unknown as { stream?: NodeJS.EventEmitter; connector?: { stream?: NodeJS.EventEmitter } };
    for (const stream of [inner.stream, inner.connector?.stream]) {
      if (stream && !stream.listeners('error').includes(ignore)) stream.on('error', ignore);
    }
  }
}

/** Builds the shared connection from Settings (CACHE_STORE must be redis / aws-elastic-cache). */
export function createRedis(settings: Settings, options: RedisConnectionOptions = {}): RedisConnection {
  return new RedisConnection(planRedis(settings, options.tls), options);
}
