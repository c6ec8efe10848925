import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { FileLeaseManager } from '../src/storage/lease.js';
import { controlPlaneAuthenticator } from '../src/auth/introspect.js';
import { startFakeControlPlane } from './fakes/control-plane.js';
import { batchLineChecker } from '../src/files/jsonl-check.js';
import { compileFilter, validateFilters } from '../src/exports/filters.js';
import { makeLogDoc } from './helpers/log-docs.js';

describe('config', () => {
  it('defaults, PORT as a fallback, and every problem reported together', () => {
    const c = loadConfig({});
    expect(c.DATA_SERVICE_PORT).toBe(8081);
    expect(c.LOG_STORE_FILE_DIR).toBe('./data/logs');
    expect(loadConfig({ PORT: '9000' }).DATA_SERVICE_PORT).toBe(9000);
    expect(loadConfig({ PORT: '9000', DATA_SERVICE_PORT: '9100' }).DATA_SERVICE_PORT).toBe(9100);
    let message = '';
    try {
      loadConfig({ LOG_STORE: 's3', CONTROL_PLANE_URL: 'http://cp', BATCH_CONCURRENCY: 'x' });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const name of ['LOG_STORE_GENERATIONS_BUCKET', 'PORTKEY_CLIENT_AUTH', 'ORGANISATIONS_TO_SYNC', 'BATCH_CONCURRENCY']) expect(message).toContain(name);
    expect(() => loadConfig({ LOG_STORE: 'tape' })).toThrow(/LOG_STORE/);
    // npm start's embedded control plane: its organisation comes from DATA_DIR/embedded.json.
    const dir = mkdtempSync(join(tmpdir(), 'ds-cfg-'));
    try {
      writeFileSync(join(dir, 'embedded.json'), JSON.stringify({ organisation_id: 'org-embedded-1', client_auth: 'x' }));
      expect(loadConfig({ DATA_DIR: dir, CONTROL_PLANE_URL: 'http://127.0.0.1:8788', PORTKEY_CLIENT_AUTH: 'x' }).ORGANISATIONS_TO_SYNC).toBe('org-embedded-1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('file leases', () => {
  it('one holder at a time; an expired lease is taken over by exactly one racer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-lease-'));
    try {
      const m = new FileLeaseManager(dir);
      const first = await Promise.all(Array.from({ length: 8 }, (_, i) => m.acquire('batch:x', `o${i}`, 200)));
      expect(first.filter(Boolean)).toHaveLength(1);
      const holder = `o${first.indexOf(true)}`;
      expect(await m.renew('batch:x', holder, 200)).toBe(true);
      expect(await m.renew('batch:x', 'someone-else', 200)).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
      const second = await Promise.all(Array.from({ length: 8 }, (_, i) => m.acquire('batch:x', `n${i}`, 5000)));
      expect(second.filter(Boolean)).toHaveLength(1);
      expect(await m.renew('batch:x', holder, 200)).toBe(false);
      writeFileSync(join(dir, 'batch_x.lock'), '{torn');
      expect(await m.acquire('batch:x', 'z', 100)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('key introspection', () => {
  it('caches answers briefly, bounded; refuses unknown and expired keys; 503 when the control plane is down', async () => {
    const cp = await startFakeControlPlane({ 'org-1': 'ca' });
    cp.addKey('org-1', 'k1', { id: 'id1', scopes: ['logs'], workspace: 'w' });
    cp.addKey('org-1', 'old', { id: 'id2', scopes: ['logs'], expires_at: '2000-01-01T00:00:00Z' });
    const auth = controlPlaneAuthenticator({ url: cp.url, clientAuth: 'ca', organisations: ['org-1'], ttlMs: 60_000, maxKeys: 2 });
    const p = await auth.authenticate('k1');
    expect(p).toMatchObject({ keyId: 'id1', workspace: 'w', scopes: ['logs'] });
    await Promise.all([auth.authenticate('k1'), auth.authenticate('k1')]);
    expect(cp.calls).toBe(1);
    await expect(auth.authenticate('nope')).rejects.toMatchObject({ status: 401 });
    await expect(auth.authenticate('old')).rejects.toMatchObject({ status: 401, code: 'expired_api_key' });
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ status: 401, code: 'missing_api_key' });
    // Bound of 2: k1 was evicted by the two later keys and is asked again.
    await auth.authenticate('k1');
    expect(cp.calls).toBe(4);
    const wrongOrg = controlPlaneAuthenticator({ url: cp.url, clientAuth: 'wrong', organisations: ['org-1'], ttlMs: 1000, maxKeys: 10 });
    await expect(wrongOrg.authenticate('k1')).rejects.toMatchObject({ status: 503 });
    await cp.close();
    const down = controlPlaneAuthenticator({ url: cp.url, clientAuth: 'ca', organisations: ['org-1'], ttlMs: 1000, maxKeys: 10 });
    await expect(down.authenticate('k1')).rejects.toMatchObject({ status: 503, code: 'control_plane_unavailable' });
  });
});

describe('batch line checks', () => {
  it('names the first bad line: duplicate custom_id, unknown field, bad method', () => {
    const ok = (id: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'm' } });
    const run = (lines: string[]) => {
      const c = batchLineChecker(10);
      lines.forEach((l, i) => c.check(l, i + 1));
      return c.finish(lines.length);
    };
    expect(run([ok('a'), ok('b')])).toBeUndefined();
    expect(run([ok('a'), ok('a')])).toMatchObject({ line: 2, message: expect.stringContaining('more than once') });
    expect(run([ok('a'), JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/chat/completions', body: { model: 'm' }, extra: 1 })])).toMatchObject({ line: 2, message: expect.stringContaining('"extra"') });
    expect(run([JSON.stringify({ custom_id: 'a', method: 'GET', url: '/v1/chat/completions', body: { model: 'm' } })])).toMatchObject({ line: 1 });
    expect(run([ok('a'), '', ok('b')])).toMatchObject({ line: 2 });
    expect(run(Array.from({ length: 11 }, (_, i) => ok(`x${i}`)))).toMatchObject({ line: 11 });
  });
});

describe('export filters', () => {
  it('matches Portkey\'s filter fields against log documents; refuses unknown and unsupported ones', () => {
    const at = Date.parse('2026-01-01T10:00:00Z');
    const d = makeLogDoc(at, 1, { workspace: 'w1', provider: 'anthropic', model: 'claude', status: 200, metadata: { team: 'x' }, trace: 't-1' });
    const f = (o: Record<string, unknown>, ws?: string) => compileFilter(validateFilters({ time_of_generation_min: '2026-01-01', time_of_generation_max: '2026-01-01', ...o }), ws)(d);
    expect(f({})).toBe(true);
    expect(f({}, 'w2')).toBe(false);
    expect(f({ ai_org_model: 'openai__gpt, anthropic__claude' })).toBe(true);
    expect(f({ ai_model: 'gpt' })).toBe(false);
    expect(f({ status_code: '429,200' })).toBe(true);
    expect(f({ metadata: { team: 'y' } })).toBe(false);
    expect(f({ trace_id: 't-1' })).toBe(true);
    expect(f({ total_units_min: 20 })).toBe(false);
    expect(f({ time_of_generation_min: '2026-01-01T10:00:01Z' })).toBe(false);
    expect(() => validateFilters({ prompt_slug: 'x' })).toThrow(/not supported/);
    expect(() => validateFilters({ status_code: 'ok' })).toThrow(/status_code/);
    expect(() => validateFilters({ time_of_generation_min: 'yesterday' })).toThrow(/ISO 8601/);
  });
});
