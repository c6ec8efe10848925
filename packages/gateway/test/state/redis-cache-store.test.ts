import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadSettings } from '../../src/config/settings.js';
import { CACHE_KEY_PREFIX, RedisCacheStore } from '../../src/cache/redis-store.js';
import { createRedis, type RedisConnection } from '../../src/state/redis.js';
import { startRedis, startRedisTls, type RedisServer, type RedisTlsServer } from '@portico/test-support/redis';

async function waitReady(conn: RedisConnection): Promise<void> {
  const until = Date.now() + 5000;
  while (!conn.ready) {
    if (Date.now() > until) throw new Error(`connection to ${conn.target} not ready: ${JSON.stringify(conn.health())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The contract every backend of the response cache meets. */
function behavesLikeACache(get: () => { store: RedisCacheStore; raw: Redis }) {
  it('stores Buffers byte for byte under portico:cache: and reads them back', async () => {
    const { store, raw } = get();
    const value = Buffer.from([0, 255, 10, 13, 0x80, ...Buffer.from('data: {"x":1}\n\n')]);
    await store.set('tenant-a:abc', value, 60);
    expect(await store.get('tenant-a:abc')).toEqual(value);
    expect(await raw.getBuffer(`${CACHE_KEY_PREFIX}tenant-a:abc`)).toEqual(value);
    expect(await store.get('tenant-b:abc')).toBeUndefined();
  });

  it('applies the TTL in Redis and expires entries', async () => {
    const { store, raw } = get();
    await store.set('ttl', Buffer.from('x'), 30);
    const pttl = await raw.pttl(`${CACHE_KEY_PREFIX}ttl`);
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
    await store.set('short', Buffer.from('x'), 0.05);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.get('short')).toBeUndefined();
  });

  it('deletes entries', async () => {
    const { store } = get();
    await store.set('gone', Buffer.from('x'), 60);
    await store.delete('gone');
    expect(await store.get('gone')).toBeUndefined();
  });

  it('reports ok while connected', () => {
    expect(get().store.health()).toEqual({ status: 'ok' });
  });
}

describe('RedisCacheStore on a standalone redis-server with a password', () => {
  let server: RedisServer;
  let conn: RedisConnection;
  let raw: Redis;
  let store: RedisCacheStore;
  beforeAll(async () => {
    server = await startRedis({ password: 'pa:ss@word' });
    conn = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    raw = new Redis({ port: server.port, host: '127.0.0.1', password: 'pa:ss@word' });
    raw.on('error', () => undefined); // the stopped-server phases are expected
    store = new RedisCacheStore(conn);
    await waitReady(conn);
  });
  afterAll(async () => {
    await store?.close();
    await conn?.close();
    raw?.disconnect();
    await server?.stop();
  });

  behavesLikeACache(() => ({ store, raw }));

  it('does not connect with a wrong password, and says so without the password', async () => {
    const bad = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: `redis://:wrong-secret@127.0.0.1:${server.port}` }));
    try {
      const s = new RedisCacheStore(bad);
      await new Promise((r) => setTimeout(r, 200));
      expect(await s.get('tenant-a:abc')).toBeUndefined();
      const h = s.health();
      expect(h.status).toBe('degraded');
      expect(h.detail).not.toContain('wrong-secret');
      expect(h.detail).toContain('***');
    } finally {
      await bad.close();
    }
  });
});

describe('RedisCacheStore over TLS with a CA made at test time', () => {
  let server: RedisTlsServer;
  let conn: RedisConnection;
  let raw: Redis;
  let store: RedisCacheStore;
  beforeAll(async () => {
    server = await startRedisTls({ password: 'tls-secret' });
    conn = createRedis(loadSettings({ CACHE_STORE: 'aws-elasti-cache', REDIS_URL: server.url, REDIS_TLS_CA_FILE: server.caFile, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    raw = new Redis({ port: server.port, host: '127.0.0.1', password: 'tls-secret', tls: { ca: server.ca, servername: 'localhost' } });
    raw.on('error', () => undefined); // the stopped-server phases are expected
    store = new RedisCacheStore(conn);
    await waitReady(conn);
  });
  afterAll(async () => {
    await conn?.close();
    raw?.disconnect();
    await server?.stop();
  });

  behavesLikeACache(() => ({ store, raw }));

  it('refuses a server whose certificate the configured CA did not sign', async () => {
    // Same server, but trusting only the system store: the handshake must fail and the cache bypass.
    const untrusted = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(untrusted.ready).toBe(false);
      expect(await new RedisCacheStore(untrusted).get('x')).toBeUndefined();
      expect(untrusted.health().detail).toMatch(/certificate|self.signed|unable to verify/i);
    } finally {
      await untrusted.close();
    }
  });

  it('closing connections whose TLS handshake failed never crashes the process', async () => {
    // ioredis ends a socket that already failed verification; the server's alert is a second error
    // event on it. Unhandled, vitest reports it as an uncaught exception and fails the run.
    for (let round = 0; round < 4; round++) {
      const conns = Array.from({ length: 6 }, () => createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: server.url })));
      await new Promise((r) => setTimeout(r, 50 + round * 80));
      await Promise.all(conns.map((c) => c.close()));
    }
    await new Promise((r) => setTimeout(r, 200));
  });

  it('REDIS_TLS_ENABLED=true upgrades a redis:// URL to TLS', async () => {
    const url = server.url.replace('rediss://', 'redis://');
    const c = createRedis(loadSettings({ CACHE_STORE: 'redis', REDIS_URL: url, REDIS_TLS_ENABLED: 'true', REDIS_TLS_CA_FILE: server.caFile, REDIS_COMMAND_TIMEOUT_MS: '1000' }));
    try {
      await waitReady(c);
      await new RedisCacheStore(c).set('via-flag', Buffer.from('ok'), 60);
      expect(await store.get('via-flag')).toEqual(Buffer.from('ok'));
    } finally {
      await c.close();
    }
  });
});
