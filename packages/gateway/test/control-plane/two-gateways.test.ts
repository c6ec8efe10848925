import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';
import { emptySnapshot, gatewayKey, startFakeControlPlane, type FakeControlPlane } from './fake-control-plane.js';
import { chat, startSyncedGateway, type SyncedGateway } from './helpers.js';

/**
 * Two gateways syncing from one control plane: one keeps its snapshot in a file under DATA_DIR, the
 * other (CACHE_STORE=redis) in a real Redis. Keys created, used and revoked on both within 2 s; the
 * control plane stopped: both keep serving, a restarted gateway serves from its persisted snapshot,
 * and every request's analytics row arrives exactly once when the control plane is back.
 */
const ORG = 'org-two-gateways';
const CLIENT_AUTH = 'client-auth-two-gateways-abcdef0123';
const vk = { 'x-portkey-virtual-key': 'openai-prod' };

let upstream: FakeOpenAI;
let cp: FakeControlPlane;
let redis: RedisServer;
const gateways: SyncedGateway[] = [];

async function start(env: Record<string, string>, dataDir?: string): Promise<SyncedGateway> {
  const g = await startSyncedGateway(cp.url, CLIENT_AUTH, ORG, env, dataDir);
  gateways.push(g);
  return g;
}

/**
 * Resolves with the time the gateway installs its next change from the control plane. The 2 s bound is
 * the sync's (control plane to the gateway's lookups), so it is measured at the install, not at the
 * end of a request that, on a loaded machine, may itself take a while.
 */
function nextInstall(g: SyncedGateway): Promise<number> {
  const installed = new Promise<number>((resolve) => g.gateway.deps.entities.onChange(() => resolve(Date.now())));
  // Never installed: a time far past the bound, so the assertion below fails saying so.
  const never = new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 10_000).unref());
  return Promise.race([installed, never]);
}

/** Log document ids a gateway wrote (one per request). */
function documentIds(g: SyncedGateway): string[] {
  const dir = join(g.dataDir, 'logs');
  const ids: string[] = [];
  for (const day of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, day))) {
      for (const line of readFileSync(join(dir, day, f), 'utf8').split('\n')) if (line) ids.push((JSON.parse(line) as { id: string }).id);
    }
  }
  return ids;
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  redis = await startRedis();
  const s = emptySnapshot(ORG);
  s.keys.push(gatewayKey('base', 'pk-base-key', { organisation: ORG }));
  s.virtualKeys.push({ slug: 'openai-prod', provider: 'openai', apiKey: 'sk-two-gateways', settings: { custom_host: upstream.baseUrl } });
  cp = await startFakeControlPlane({ organisation: ORG, clientAuth: CLIENT_AUTH, snapshot: s });
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
  await redis?.stop();
  await upstream?.close();
});

describe('two gateways, one control plane', () => {
  it('key created, used, revoked and refused within 2 s on both; outage; restart from the persisted snapshot; analytics exactly once', async () => {
    const fileGw = await start({ LOG_STORE_BATCH_MAX_AGE_MS: '50' });
    const redisGw = await start({ CACHE_STORE: 'redis', REDIS_URL: redis.url, LOG_STORE_BATCH_MAX_AGE_MS: '50' });
    const both = () => [fileGw, redisGw];

    // Warm both request paths first (unmeasured): the 2 s is the sync's, not a cold start's.
    for (const g of both()) expect((await chat(g.url, 'pk-base-key', vk)).status).toBe(200);

    // Created on the control plane → installed by both within 2 s, and used.
    const key = gatewayKey('fresh', 'pk-fresh-key', { organisation: ORG, workspace: 'ws-1' });
    let installs = both().map(nextInstall);
    const created = Date.now();
    cp.change({ op: 'upsert', kind: 'key', entity: key });
    for (const at of await Promise.all(installs)) expect(at - created).toBeLessThan(2000);
    for (const g of both()) expect((await chat(g.url, 'pk-fresh-key', vk)).status).toBe(200);

    // Revoked → installed by both within 2 s, and refused.
    installs = both().map(nextInstall);
    const revoked = Date.now();
    cp.change({ op: 'delete', kind: 'key', id: key.hash });
    for (const at of await Promise.all(installs)) expect(at - revoked).toBeLessThan(2000);
    for (const g of both()) expect((await chat(g.url, 'pk-fresh-key', vk)).status).toBe(401);

    // Rows of everything so far reach the control plane.
    for (const g of both()) for (let i = 0; i < 3; i++) expect((await chat(g.url, 'pk-base-key', vk)).status).toBe(200);
    await eventually(() => expect(cp.rows.size).toBeGreaterThanOrEqual(10), 5000);

    // The control plane goes away: both keep serving, their rows wait on disk.
    await cp.stop();
    for (const g of both()) for (let i = 0; i < 5; i++) expect((await chat(g.url, 'pk-base-key', vk)).status).toBe(200);
    for (const g of both()) {
      const health = await fetch(`${g.url}/v1/health`);
      expect(health.status).toBe(200);
      await eventually(async () => expect(((await (await fetch(`${g.url}/v1/health`)).json()) as { status: string }).status).toBe('degraded'), 3000);
      // The rows of the requests above wait on disk, and /v1/health says so.
      await eventually(async () => expect(((await (await fetch(`${g.url}/v1/health`)).json()) as { dependencies: { analytics: { status: string; detail: string } } }).dependencies.analytics).toMatchObject({ status: 'degraded', detail: expect.stringContaining('wait on disk') }), 5000, 100);
    }

    // Each gateway restarts while the control plane is down, and serves from its persisted snapshot.
    const restarted: SyncedGateway[] = [];
    for (const [g, env] of [[fileGw, { LOG_STORE_BATCH_MAX_AGE_MS: '50' }], [redisGw, { CACHE_STORE: 'redis', REDIS_URL: redis.url, LOG_STORE_BATCH_MAX_AGE_MS: '50' }]] as const) {
      await g.stop();
      const again = await start(env, g.dataDir);
      expect((await chat(again.url, 'pk-base-key', vk)).status).toBe(200);
      expect((await chat(again.url, 'pk-fresh-key', vk)).status).toBe(401);
      expect((await chat(again.url, 'pk-base-key', vk)).status).toBe(200);
      restarted.push(again);
    }

    // Back: every request's row arrives, each once, from the rows queued, spilled, and left by the first runs.
    await cp.restart();
    await eventually(() => {
      const expected = new Set([...documentIds(fileGw), ...documentIds(redisGw)]);
      expect(expected.size).toBeGreaterThanOrEqual(2 * (2 + 3 + 5 + 3));
      expect(new Set(cp.rows.keys())).toEqual(expected);
    }, 15_000, 200);
    for (const row of cp.rows.values()) {
      expect(row.organisation).toBe(ORG);
      expect(JSON.stringify(row)).not.toContain('"content"');
    }
    expect([...cp.rows.values()].filter((r) => r.status === 401 && r.key_id === null).length).toBeGreaterThan(0);
    expect([...cp.rows.values()].filter((r) => r.status === 200 && r.key_id === 'base' && r.provider === 'openai' && r.total_tokens > 0).length).toBeGreaterThan(0);
  });
});

