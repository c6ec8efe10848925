import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLeaseManager } from '../src/storage/lease.js';
// The gateway's harness starts a real 6-node redis-server cluster (plain or TLS); test code only, no src.
import { startRedisCluster, type RedisCluster } from '@portico/test-support/redis';

/**
 * Job leases on a Redis Cluster, as on an ElastiCache cluster-mode endpoint (terraform passes
 * REDIS_MODE=cluster): one holder at a time across replicas, renewals and releases by the holder only,
 * and take-over after expiry, for lease names spread over many slots.
 */
for (const tls of [false, true]) {
  describe(`leases on a Redis Cluster${tls ? ' over TLS (private CA)' : ''}`, () => {
    let cluster: RedisCluster;
    let a: RedisLeaseManager;
    let b: RedisLeaseManager;
    beforeAll(async () => {
      cluster = await startRedisCluster({ tls });
      const url = tls ? cluster.url.replace(/^redis:/, 'rediss:') : cluster.url;
      const opts = { mode: 'cluster' as const, tls, tlsCaFile: cluster.caFile };
      a = new RedisLeaseManager(url, opts);
      b = new RedisLeaseManager(url, opts);
    }, 120_000);
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await cluster?.stop();
    });

    it('one holder per lease, whichever slot its key falls in', async () => {
      expect(a.kind).toBe('redis-cluster');
      const names = Array.from({ length: 24 }, (_, i) => `batch-${i}`);
      for (const name of names) {
        expect(await a.acquire(name, 'replica-a', 10_000)).toBe(true);
        expect(await b.acquire(name, 'replica-b', 10_000)).toBe(false);
        expect(await b.renew(name, 'replica-b', 10_000)).toBe(false);
        expect(await a.renew(name, 'replica-a', 10_000)).toBe(true);
      }
      await b.release(names[0], 'replica-b'); // not the holder: no effect
      expect(await b.acquire(names[0], 'replica-b', 10_000)).toBe(false);
      await a.release(names[0], 'replica-a');
      expect(await b.acquire(names[0], 'replica-b', 10_000)).toBe(true);
    });

    it('an expired lease is taken over, and the old holder learns it lost it', async () => {
      expect(await a.acquire('export-1', 'replica-a', 200)).toBe(true);
      await new Promise((r) => setTimeout(r, 350));
      expect(await b.acquire('export-1', 'replica-b', 10_000)).toBe(true);
      expect(await a.renew('export-1', 'replica-a', 10_000)).toBe(false);
    });
  });
}
