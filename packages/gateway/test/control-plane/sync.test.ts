import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually } from '../helpers/gateway.js';
import { emptySnapshot, gatewayKey, startFakeControlPlane, type FakeControlPlane } from './fake-control-plane.js';
import { chat, startSyncedGateway, type SyncedGateway } from './helpers.js';

const ORG = 'org-sync-test';
const CLIENT_AUTH = 'client-auth-for-sync-tests-0123456789';
const KEY = 'pk-sync-key-one';
const VK_SECRET = 'sk-provider-secret-in-the-snapshot-4242';

let upstream: FakeOpenAI;
let cp: FakeControlPlane;
const started: SyncedGateway[] = [];

async function gateway(env: Record<string, string> = {}, dataDir?: string, auth = CLIENT_AUTH): Promise<SyncedGateway> {
  const g = await startSyncedGateway(cp.url, auth, ORG, env, dataDir);
  started.push(g);
  return g;
}

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const snapshot = emptySnapshot(ORG);
  snapshot.keys.push(gatewayKey('key-1', KEY, { organisation: ORG, workspace: 'ws-1' }));
  snapshot.virtualKeys.push({ slug: 'openai-prod', provider: 'openai', apiKey: VK_SECRET, settings: { custom_host: upstream.baseUrl } });
  cp = await startFakeControlPlane({ organisation: ORG, clientAuth: CLIENT_AUTH, snapshot });
});

afterAll(async () => {
  for (const g of started) await g.close();
  await cp?.close();
  await upstream?.close();
});

const viaVk = { 'x-portkey-virtual-key': 'openai-prod' };

describe('a gateway synced from a control plane', () => {
  it('serves the snapshot, applies a new key and a revocation within 2 s, and refuses expired keys', async () => {
    const g = await gateway();
    const ok = await chat(g.url, KEY, { 'x-portkey-virtual-key': 'openai-prod' });
    expect(ok.status).toBe(200);
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${VK_SECRET}`);
    expect((await chat(g.url, 'pk-unknown', viaVk)).status).toBe(401);
    expect((await chat(g.url, undefined, viaVk)).status).toBe(401);

    // Created on the control plane: usable within 2 s.
    const t0 = Date.now();
    cp.change({ op: 'upsert', kind: 'key', entity: gatewayKey('key-2', 'pk-sync-key-two', { organisation: ORG }) });
    await eventually(async () => expect((await chat(g.url, 'pk-sync-key-two', { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(200), 2000, 20);
    expect(Date.now() - t0).toBeLessThan(2000);

    // Revoked: refused within 2 s.
    const t1 = Date.now();
    cp.change({ op: 'delete', kind: 'key', id: gatewayKey('key-2', 'pk-sync-key-two').hash });
    await eventually(async () => expect((await chat(g.url, 'pk-sync-key-two', { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(401), 2000, 20);
    expect(Date.now() - t1).toBeLessThan(2000);

    // expires_at is enforced at lookup, with no change from the control plane.
    cp.change({ op: 'upsert', kind: 'key', entity: gatewayKey('key-3', 'pk-sync-key-three', { expires_at: new Date(Date.now() + 1500).toISOString() }) });
    await eventually(async () => expect((await chat(g.url, 'pk-sync-key-three', { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(200), 2000, 20);
    await eventually(async () => expect((await chat(g.url, 'pk-sync-key-three', { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(401), 3000, 50);

    const health = await (await fetch(`${g.url}/v1/health`)).json() as { status: string; dependencies: { entities: { kind: string; sync: Record<string, { version: number; source: string }> } } };
    expect(health.status).toBe('ok');
    expect(health.dependencies.entities.kind).toBe('control-plane');
    expect(health.dependencies.entities.sync[ORG]).toMatchObject({ version: cp.state.version, source: 'control-plane' });
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`portico_sync_lag_seconds\\{organisation="${ORG}"\\} \\d`));
    expect(metrics).toMatch(new RegExp(`portico_sync_version\\{organisation="${ORG}"\\} ${cp.state.version}`));
  });

  it('fetches a new snapshot when the control plane compacted its change log past the gateway', async () => {
    const g = await gateway();
    cp.compact();
    cp.change({ op: 'upsert', kind: 'key', entity: gatewayKey('key-4', 'pk-sync-key-four') });
    // The gateway's long poll is answered with the change (it was waiting at the old version)...
    await eventually(async () => expect((await chat(g.url, 'pk-sync-key-four', viaVk)).status).not.toBe(401), 2000, 20);
    // ...and one that is behind the compaction gets reset: true and a snapshot.
    const before = cp.hits.get('/v1/sync/snapshot') ?? 0;
    const late = await gateway();
    cp.compact();
    cp.change({ op: 'delete', kind: 'key', id: gatewayKey('key-4', 'pk-sync-key-four').hash });
    await eventually(async () => expect((await chat(late.url, 'pk-sync-key-four', viaVk)).status).toBe(401), 2000, 20);
    expect(cp.hits.get('/v1/sync/snapshot')).toBeGreaterThan(before);
    await g.stop();
    await late.stop();
  });

  it('persists the snapshot encrypted, and a gateway restarted with the control plane down serves from it', async () => {
    const g = await gateway();
    const dir = join(g.dataDir, 'gateway-sync');
    await eventually(() => expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1), 3000);
    const sealed = readFileSync(join(dir, readdirSync(dir).find((f) => f.endsWith('.bin'))!));
    expect(sealed.includes(Buffer.from(VK_SECRET))).toBe(false);
    expect(sealed.includes(Buffer.from('openai-prod'))).toBe(false);
    expect((readdirSync(dir, { withFileTypes: true }), (await import('node:fs')).statSync(join(dir, readdirSync(dir)[0])).mode & 0o777)).toBe(0o600);
    await g.stop();

    await cp.stop();
    try {
      const restarted = await gateway({}, g.dataDir);
      expect((await chat(restarted.url, KEY, { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(200);
      expect((await chat(restarted.url, 'pk-unknown', viaVk)).status).toBe(401);
      const health = await fetch(`${restarted.url}/v1/health`);
      expect(health.status).toBe(200);
      const body = await health.json() as { status: string; dependencies: { entities: { detail: string; sync: Record<string, { source: string }> } } };
      expect(body.status).toBe('degraded');
      expect(body.dependencies.entities.sync[ORG].source).toBe('persisted');
      expect(body.dependencies.entities.detail).toMatch(/unreachable|persisted/);

      // A gateway with another client auth key cannot read the persisted snapshot: it serves nothing.
      const stranger = await gateway({}, g.dataDir, 'another-client-auth-key');
      expect((await chat(stranger.url, KEY, viaVk)).status).toBe(401);
      await stranger.stop();

      // The control plane returns: the gateway catches up within 2 s.
      await cp.restart();
      cp.change({ op: 'upsert', kind: 'key', entity: gatewayKey('key-5', 'pk-sync-key-five') });
      await eventually(async () => expect((await chat(restarted.url, 'pk-sync-key-five', { 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(200), 8000, 50);
      await eventually(async () => expect(((await (await fetch(`${restarted.url}/v1/health`)).json()) as { status: string }).status).toBe('ok'), 3000);
    } finally {
      await cp.restart().catch(() => undefined);
    }
  });

  it('reports a refused client auth key in /v1/health and serves no key', async () => {
    const g = await gateway({}, undefined, 'wrong-client-auth');
    expect((await chat(g.url, KEY, viaVk)).status).toBe(401);
    const body = await (await fetch(`${g.url}/v1/health`)).json() as { status: string; dependencies: { entities: { detail: string } } };
    expect(body.status).toBe('degraded');
    expect(body.dependencies.entities.detail).toContain('403');
    expect(JSON.stringify(body)).not.toContain('wrong-client-auth');
    await g.stop();
  });
});
