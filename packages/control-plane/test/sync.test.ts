import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsRow, SyncChanges, SyncSnapshot } from '@portico/contract';
import { createAdminKey, createOrganisation } from '../src/bootstrap.js';
import pino from 'pino';
import { startControlPlane } from '../src/app.js';
import { readEnv } from '../src/env.js';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export function analyticsRow(organisation: string, over: Partial<AnalyticsRow> = {}): AnalyticsRow {
  return {
    id: randomUUID(), organisation, workspace: null, key_id: null, trace_id: randomUUID(), created_at: new Date().toISOString(), endpoint: 'chat.completions',
    provider: 'openai', model: 'gpt-4o-mini', virtual_key: null, config_id: null, prompt_id: null, status: 200, latency_ms: 120, first_byte_ms: 80,
    prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, cached_tokens: 0, cost_usd: 0.001, cache_status: 'MISS', retries: 0, rescued: false,
    stream: false, error_code: null, user: null, metadata: {}, ...over,
  };
}

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`sync endpoints on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let otherOrg: string;
    let otherAdmin: string;
    const otherClientAuth = `ca-other-${randomUUID()}`;
    const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      otherOrg = await createOrganisation(t.cp.services.db, { name: 'Other', clientAuth: otherClientAuth });
      otherAdmin = await createAdminKey(t.cp.services.db, otherOrg, 'other admin');
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses a missing, wrong or other organisation\'s client-auth key', async () => {
      expect((await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined)).status).toBe(401);
      expect((await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer('nope'))).status).toBe(403);
      const cross = await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(otherClientAuth));
      expect(cross.status).toBe(403);
      expect(cross.body.error.message).toContain('not one of');
      // The key is checked before the body is read: an unknown caller's body is never parsed.
      const unread = await call(t.url, 'POST', '/v1/sync/analytics', undefined, '{"not json', bearer('nope'));
      expect(unread.status).toBe(403);
      expect((await call(t.url, 'POST', '/v1/configs', 'pt-unknown', '{"not json')).status).toBe(401);
      const noOrg = await call(t.url, 'GET', `/v1/sync/snapshot`, undefined, undefined, bearer(t.clientAuth));
      expect(noOrg.status).toBe(400);
      expect(noOrg.body.error.param).toBe('organisation');
    });

    it('serves a snapshot with keys (hash, gateway scopes, limits) and decrypted virtual keys, and nothing of another organisation', async () => {
      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'svc', scopes: ['completions.write', 'logs.view'], rate_limits: [{ type: 'requests', unit: 'rpm', value: 60 }], usage_limits: { credit_limit: 5, type: 'cost', periodic_reset: 'monthly' } });
      expect(key.status).toBe(200);
      const vk = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'oai', provider: 'openai', key: 'sk-snapshot-secret' });
      await call(t.url, 'POST', '/v1/virtual-keys', otherAdmin, { name: 'theirs', provider: 'openai', key: 'sk-other-org-secret' });
      const snap = await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth));
      expect(snap.status).toBe(200);
      const body = snap.body as SyncSnapshot;
      const k = body.keys.find((x) => x.hash === sha(key.body.key))!;
      expect(k.scopes.sort()).toEqual(['completions', 'logs']);
      expect(k.limits).toEqual([{ kind: 'requests', limit: 60, window: 'minute' }, { kind: 'cost', limit: 5, window: 'month' }]);
      expect(body.virtualKeys.find((v) => v.slug === vk.body.data.slug)?.apiKey).toBe('sk-snapshot-secret');
      expect(JSON.stringify(body)).not.toContain('sk-other-org-secret');
      expect(body.version).toBeGreaterThan(0);
      const theirs = await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${otherOrg}`, undefined, undefined, bearer(otherClientAuth));
      expect(JSON.stringify(theirs.body)).not.toContain('sk-snapshot-secret');
      expect(theirs.body.virtualKeys).toHaveLength(1);
    });

    it('long-polls changes: a key created then revoked reaches a waiting gateway at once', async () => {
      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth))).body as SyncSnapshot;
      const started = Date.now();
      const waiting = call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap.version}&wait=20`, undefined, undefined, bearer(t.clientAuth));
      await new Promise((r) => setTimeout(r, 100));
      const created = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'new', scopes: ['completions.write'] });
      const changes = (await waiting).body as SyncChanges;
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(changes.version).toBeGreaterThan(snap.version);
      expect(changes.changes).toEqual([{ op: 'upsert', kind: 'key', entity: expect.objectContaining({ hash: sha(created.body.key), scopes: ['completions'] }) }]);
      await call(t.url, 'DELETE', `/v1/api-keys/${created.body.id}`, t.adminKey, {});
      const after = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${changes.version}`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(after.changes).toEqual([{ op: 'delete', kind: 'key', id: sha(created.body.key) }]);
      const none = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${after.version}&wait=0.2`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(none).toEqual({ organisation: t.organisationId, version: after.version, changes: [] });
      const future = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${after.version + 100}`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(future.reset).toBe(true);
    });

    it('maps an Azure virtual key\'s resource and default deployment onto the gateway\'s settings', async () => {
      const vk = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, {
        name: 'azure', provider: 'azure-openai', key: 'az-secret', resourceName: 'my-resource',
        deploymentConfig: [{ apiVersion: '2024-02-01', deploymentName: 'gpt4-small', alias: 'small' }, { apiVersion: '2024-06-01', deploymentName: 'gpt4o', alias: 'big', is_default: true }],
      });
      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth))).body as SyncSnapshot;
      expect(snap.virtualKeys.find((v) => v.slug === vk.body.data.slug)).toMatchObject({ provider: 'azure-openai', apiKey: 'az-secret', settings: { resource_name: 'my-resource', deployment_id: 'gpt4o', api_version: '2024-06-01' } });
    });

    it('another organisation\'s changes never reach this organisation\'s feed', async () => {
      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth))).body as SyncSnapshot;
      await call(t.url, 'POST', '/v1/configs', otherAdmin, { name: 'theirs', config: { retry: { attempts: 1 } } });
      const mine = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap.version}&wait=0.3`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(mine.changes).toEqual([]);
    });

    it('stores analytics rows once each, however often a batch is sent', async () => {
      const rows = Array.from({ length: 250 }, () => analyticsRow(t.organisationId));
      const first = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'gw-1', rows }, bearer(t.clientAuth));
      expect(first.body).toEqual({ accepted: 250, duplicates: 0 });
      const again = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'gw-1', rows: [...rows.slice(0, 100), analyticsRow(t.organisationId)] }, bearer(t.clientAuth));
      expect(again.body).toEqual({ accepted: 1, duplicates: 100 });
      const n = await t.cp.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM analytics_rows WHERE organisation_id = ?`, [t.organisationId]);
      expect(Number(n!.n)).toBe(251);
      // A row repeated within one batch is stored once; a time with an offset is stored in UTC.
      const twice = analyticsRow(t.organisationId, { created_at: '2026-12-07T12:00:00+02:00' });
      expect((await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'gw-1', rows: [twice, twice] }, bearer(t.clientAuth))).body).toEqual({ accepted: 1, duplicates: 1 });
      const stored = await t.cp.services.db.get<{ created_at: string; rescued: number; metadata: string }>(`SELECT created_at, rescued, metadata FROM analytics_rows WHERE id = ?`, [twice.id]);
      expect(stored).toEqual({ created_at: '2026-12-07T10:00:00.000Z', rescued: 0, metadata: '{}' });
    });

    it('refuses analytics rows of another organisation and malformed rows, storing nothing', async () => {
      const cross = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'gw', rows: [analyticsRow(t.organisationId), analyticsRow(otherOrg)] }, bearer(t.clientAuth));
      expect(cross.status).toBe(403);
      const bad = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'gw', rows: [{ ...analyticsRow(t.organisationId), body: 'secret prompt' }] }, bearer(t.clientAuth));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('rows.0.body');
      const n = await t.cp.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM analytics_rows WHERE organisation_id = ?`, [otherOrg]);
      expect(Number(n!.n)).toBe(0);
    });

    it('a gateway too far behind (change log pruned) is told to take a new snapshot', async () => {
      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth))).body as SyncSnapshot;
      await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'c1', config: {} });
      await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'c2', config: {} });
      await t.cp.services.db.run(`DELETE FROM change_log WHERE organisation_id = ? AND version <= ?`, [t.organisationId, snap.version + 1]);
      const stale = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap.version}`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(stale.reset).toBe(true);
      const recent = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap.version + 1}`, undefined, undefined, bearer(t.clientAuth))).body as SyncChanges;
      expect(recent.reset).toBeUndefined();
      expect(recent.changes).toHaveLength(1);
    });

    it.skipIf(backend !== 'postgres')('a second control plane on the same PostgreSQL wakes its long polls for changes made through the first', async () => {
      const second = await startControlPlane({ env: readEnv({ HOST: '127.0.0.1', CONTROL_PLANE_PORT: '0', DATA_DIR: t.dataDir, DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'silent' }), log: pino({ level: 'silent' }), announce: () => undefined });
      try {
        expect(second.bootstrap.organisationId).toBe(t.organisationId);
        const snap = (await call(second.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer(t.clientAuth))).body as SyncSnapshot;
        const started = Date.now();
        const waiting = call(second.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap.version}&wait=20`, undefined, undefined, bearer(t.clientAuth));
        await new Promise((r) => setTimeout(r, 100));
        const vk = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'ha', provider: 'openai', key: 'sk-ha' });
        const changes = (await waiting).body as SyncChanges;
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(changes.changes).toEqual([{ op: 'upsert', kind: 'virtualKey', entity: expect.objectContaining({ slug: vk.body.data.slug, apiKey: 'sk-ha' }) }]);
      } finally {
        await second.close();
      }
    });

    it('draining answers open long polls with no changes and refuses new sync calls', async () => {
      const other = await startTestControlPlane(backend);
      try {
        const snap = (await call(other.url, 'GET', `/v1/sync/snapshot?organisation=${other.organisationId}`, undefined, undefined, bearer(other.clientAuth))).body as SyncSnapshot;
        const waiting = call(other.url, 'GET', `/v1/sync/changes?organisation=${other.organisationId}&since=${snap.version}&wait=20`, undefined, undefined, bearer(other.clientAuth));
        await new Promise((r) => setTimeout(r, 100));
        const started = Date.now();
        const closing = other.cp.close();
        const answer = await waiting;
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(answer.body).toEqual({ organisation: other.organisationId, version: snap.version, changes: [] });
        await closing;
      } finally {
        await other.close();
      }
    });

    it('introspects a key by hash for its own organisation only', async () => {
      const created = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'ds', scopes: ['logs.view'] });
      const ok = await call(t.url, 'POST', '/v1/sync/keys/introspect', undefined, { organisation: t.organisationId, hash: sha(created.body.key) }, bearer(t.clientAuth));
      expect(ok.status).toBe(200);
      expect(ok.body.scopes).toEqual(['logs']);
      const cross = await call(t.url, 'POST', '/v1/sync/keys/introspect', undefined, { organisation: otherOrg, hash: sha(created.body.key) }, bearer(otherClientAuth));
      expect(cross.status).toBe(404);
    });
  });
}
