import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

/** Bad input gets a clear 4xx in the one error shape, and nothing is stored half-way. */
for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`bad input on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    const count = async (sql: string, params: string[] = []) => Number((await t.cp.services.db.get<{ n: number }>(sql, params))!.n);
    const expectError = (r: { status: number; body: any }, status: number, param?: string | null, text?: string) => {
      expect(r.status).toBe(status);
      expect(Object.keys(r.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      if (param !== undefined) expect(r.body.error.param).toBe(param);
      if (text) expect(r.body.error.message).toContain(text);
      expect(r.body.error.message).not.toMatch(/\n\s+at /);
    };
    beforeAll(async () => {
      t = await startTestControlPlane(backend);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('a malformed body', async () => {
      expectError(await call(t.url, 'POST', '/v1/configs', t.adminKey, '{"name": "x", '), 400, null, 'not valid JSON');
      expectError(await call(t.url, 'POST', '/v1/configs', t.adminKey, [1, 2]), 400);
    });

    it('unknown fields are refused by name; the SDK\'s own fields are not', async () => {
      expectError(await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'x', provider: 'openai', key: 'k', colour: 'red' }), 400, 'colour', '"colour"');
      const ok = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { type: 'workspace', 'sub-type': 'service', name: 'sdk', scopes: ['completions.write'] });
      expect(ok.status).toBe(200);
      const del = await call(t.url, 'DELETE', `/v1/api-keys/${ok.body.id}`, t.adminKey, { id: ok.body.id });
      expect(del.status).toBe(200);
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'x', scopes: ['completions.write'], secret: 'mine' }), 400, 'secret');
    });

    it('an over-long name', async () => {
      expectError(await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'n'.repeat(201), config: {} }), 400, 'name', 'at most 200');
      expect(await count(`SELECT COUNT(*) AS n FROM resources WHERE kind = 'config'`)).toBe(0);
    });

    it('a duplicate slug', async () => {
      expect((await call(t.url, 'POST', '/v1/integrations', t.adminKey, { name: 'a', ai_provider_id: 'openai', key: 'k', slug: 'dup' })).status).toBe(200);
      const before = await count(`SELECT COUNT(*) AS n FROM resources`);
      const audit = await count(`SELECT COUNT(*) AS n FROM audit_log`);
      expectError(await call(t.url, 'POST', '/v1/integrations', t.adminKey, { name: 'b', ai_provider_id: 'openai', key: 'k', slug: 'dup' }), 409, 'slug', '"dup" already exists');
      expect(await count(`SELECT COUNT(*) AS n FROM resources`)).toBe(before);
      expect(await count(`SELECT COUNT(*) AS n FROM audit_log`)).toBe(audit);
    });

    it('a config invalid for the gateway names the bad path', async () => {
      const r = await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'bad', config: { strategy: { mode: 'fallback' }, targets: [{ provider: 'openai' }, { retry: { attempts: 9 } }] } });
      expectError(r, 400, 'config', 'config.targets[1].retry.attempts');
      const missing = await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'bad', config: { virtual_key: 'no-such-key' } });
      expectError(missing, 400, 'config', 'no-such-key');
      expect(await count(`SELECT COUNT(*) AS n FROM resources WHERE kind = 'config'`)).toBe(0);
      const version = await count(`SELECT sync_version AS n FROM organisations WHERE id = ?`, [t.organisationId]);
      expect(await count(`SELECT COUNT(*) AS n FROM change_log WHERE version > ?`, [String(version)])).toBe(0);
    });

    it('a wrong-workspace id', async () => {
      const ws = await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'B' });
      const wsKey = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'b-admin', scopes: ['configs.create', 'configs.read', 'configs.list', 'virtual_keys.read'], workspace_id: ws.body.id });
      const inDefault = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'default ws key', provider: 'openai', key: 'k' });
      // The workspace key cannot see the default workspace's virtual key, nor name another workspace.
      expectError(await call(t.url, 'GET', `/v1/virtual-keys/${inDefault.body.data.slug}`, wsKey.body.key), 404, 'slug');
      expectError(await call(t.url, 'POST', '/v1/configs', wsKey.body.key, { name: 'c', config: {}, workspace_id: 'default' }), 403, null, 'not this key\'s workspace');
      // Nor use it in a config of its own workspace.
      expectError(await call(t.url, 'POST', '/v1/configs', wsKey.body.key, { name: 'c', config: { virtual_key: inDefault.body.data.slug } }), 400, 'config');
      expectError(await call(t.url, 'POST', '/v1/configs', t.adminKey, { name: 'c', config: {}, workspace_id: 'no-such-ws' }), 404, 'workspace_id');
      // An org admin naming no workspace acts in the default one: B's config is found only by naming B.
      const inB = await call(t.url, 'POST', '/v1/configs', wsKey.body.key, { name: 'in b', config: { retry: { attempts: 1 } } });
      expectError(await call(t.url, 'GET', `/v1/configs/${inB.body.data.slug}`, t.adminKey), 404, 'slug');
      expect((await call(t.url, 'GET', `/v1/configs/${inB.body.data.slug}?workspace_id=${ws.body.slug}`, t.adminKey)).status).toBe(200);
      // API keys are organisation-wide to an org admin.
      expect((await call(t.url, 'GET', `/v1/api-keys/${wsKey.body.id}`, t.adminKey)).status).toBe(200);
    });

    it('roles and scopes are enforced per endpoint', async () => {
      const limited = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'ro', scopes: ['configs.read', 'configs.list'] });
      expectError(await call(t.url, 'POST', '/v1/configs', limited.body.key, { name: 'c', config: {} }), 403, null, 'configs.create');
      expect((await call(t.url, 'GET', '/v1/configs', limited.body.key)).status).toBe(200);
      const wsAdmin = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'wsa', scopes: ['workspaces.create', 'organisation_service_api_keys.create'] });
      expectError(await call(t.url, 'POST', '/v1/admin/workspaces', wsAdmin.body.key, { name: 'nope' }), 403, null, 'organisation admin');
      expectError(await call(t.url, 'POST', '/v1/api-keys/organisation/service', wsAdmin.body.key, { name: 'escalate', scopes: ['completions.write'] }), 403, null, 'organisation admin');
      const keyAdmin = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'ka', scopes: ['workspace_service_api_keys.create', 'completions.write'] });
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', keyAdmin.body.key, { name: 'wider', scopes: ['completions.write', 'logs.view'] }), 403, null, '"logs.view"');
      expect((await call(t.url, 'POST', '/v1/api-keys/workspace/service', keyAdmin.body.key, { name: 'same', scopes: ['completions.write'] })).status).toBe(200);
    });

    it('unsupported limits, unknown scopes, unknown routes and methods', async () => {
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'x', scopes: ['completions.write'], rate_limits: [{ type: 'requests', unit: 'rpy', value: 1 }] }), 400, 'rate_limits.0.unit', 'rpd');
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'x', scopes: ['completions.fly'] }), 400, 'scopes', 'completions.fly');
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'x', scopes: ['completions.write'], expires_at: '2020-01-01T00:00:00Z' }), 400, 'expires_at', 'in the future');
      expectError(await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'x', scopes: ['completions.write'], rotation_policy: { rotation_period: 'monthly' } }), 400, 'rotation_policy', '/rotate');
      expectError(await call(t.url, 'GET', '/v1/nothing-here', t.adminKey), 404);
      expectError(await call(t.url, 'PATCH', '/v1/configs', t.adminKey, {}), 405, null, 'GET, POST');
    });
  });
}
