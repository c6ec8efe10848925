/**
 * The subscriber's resubscription after a reconnect must never become an unhandled rejection: a
 * gateway that logs and survives it would still lose invalidations until the next reconnect, and a
 * stricter runtime would exit. A proxy in front of Redis cuts the connection the moment the client
 * resubscribes, once, then lets the next attempt through.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { RedisEntityCache } from '../../src/entities/redis-cache.js';
import { FileEntityStore } from '../../src/entities/file-store.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';
import { pollUntil, type Check } from '../helpers/until.js';

/** Passes bytes through; while `cutOnSubscribe` is set, destroys a client that sends SUBSCRIBE. */
class CuttingProxy {
  cutOnSubscribe = false;
  cuts = 0;
  private readonly sockets = new Set<Socket>();
  private server?: Server;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (d: Buffer) => {
        if (this.cutOnSubscribe && /subscribe/i.test(d.toString('latin1'))) {
          this.cutOnSubscribe = false;
          this.cuts++;
          drop();
          return;
        }
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => client.write(d));
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Cuts every open connection (the clients then reconnect through the proxy). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

const until = (what: string, check: Check, ms = 8000) => pollUntil(what, check, ms, 10);

describe('entity invalidation subscriber', () => {
  let server: RedisServer;
  let proxy: CuttingProxy;
  let conn: RedisConnection;
  let direct: RedisConnection;
  let cache: RedisEntityCache;
  let sender: RedisEntityCache;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedis();
    proxy = new CuttingProxy(server.port);
    await proxy.start();
    conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    direct = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    cache = new RedisEntityCache(FileEntityStore.empty(), conn);
    sender = new RedisEntityCache(FileEntityStore.empty(), direct);
    await until('connected', () => conn.ready && direct.ready);
    await Promise.all([cache.start(), sender.start()]);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await cache?.close();
    await sender?.close();
    await conn?.close();
    await direct?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('survives a connection cut during its resubscription, and resubscribes on the next reconnect', async () => {
    let changes = 0;
    cache.onChange(() => changes++);
    proxy.cutOnSubscribe = true;
    proxy.cutAll();
    await until('the resubscription was cut', () => proxy.cuts === 1);
    // Invalidations flow again once the subscriber is back on the channel.
    await until('invalidations heard again', async () => {
      const before = changes;
      await sender.invalidate('vk', 'some-vk');
      await new Promise((r) => setTimeout(r, 50));
      return changes > before;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(unhandled.map((e) => (e as Error)?.message ?? String(e))).toEqual([]);
  });
});

describe('entity invalidation subscriber refused by an ACL', () => {
  let server: RedisServer;
  let admin: RedisConnection;
  let conn: RedisConnection;
  let cache: RedisEntityCache;

  beforeAll(async () => {
    server = await startRedis();
    admin = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    await until('admin connected', () => admin.ready);
    // A user that may run commands on every key but use no pub/sub channel.
    await admin.client.call('ACL', 'SETUSER', 'portico', 'on', '>s3cret-pw', '~*', '+@all', 'resetchannels');
    conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: `redis://portico:s3cret-pw@127.0.0.1:${server.port}`, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    cache = new RedisEntityCache(FileEntityStore.empty(), conn);
    await until('connected', () => conn.ready);
    await cache.start(1000);
  });
  afterAll(async () => {
    await cache?.close();
    await conn?.close();
    await admin?.close();
    await server?.stop();
  });

  it('reports degraded health naming the refusal, and recovers once a reconnect can subscribe', async () => {
    await until('the refusal is known', () => cache.health().status === 'degraded');
    const { detail } = cache.health();
    expect(detail).toMatch(/does not hear invalidations \(SUBSCRIBE portico:entities:invalidate: NOPERM/);
    expect(detail).not.toContain('s3cret-pw');
    await admin.client.call('ACL', 'SETUSER', 'portico', 'allchannels');
    await admin.client.call('CLIENT', 'KILL', 'USER', 'portico');
    await until('subscribed after the reconnect', () => cache.health().status === 'ok');
  });
});
