import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { PortkeySpec, specMissing } from './helpers/portkey-spec.js';
import { GROUP, scim, secondOrganisation, userBody } from './helpers/scim.js';

/**
 * Portkey's SCIM group-to-workspace mappings (/v1/scim/workspaces) on both databases, over raw HTTP
 * (the portkey-ai SDK has no method for them): request and response bodies are checked against
 * Portkey's OpenAPI document when it is present; the rules its documentation gives (one role per
 * group, the same mapping posted twice returns the first, ws-<name>-role-<role> names reserved) hold;
 * bad input is refused whole, by name; only an organisation admin may call them; changes are audited.
 */
const spec = specMissing ? undefined : new PortkeySpec();

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`SCIM workspace mappings on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let research: { id: string; slug: string };
    let token: string;
    const problems: string[] = [];
    let checked = 0;

    async function api(method: string, path: string, body?: unknown, key = t.adminKey) {
      const r = await call(t.url, method, path, key, body);
      if (spec) {
        const template = spec.template(path);
        if (!template) problems.push(`${method} ${path} matches no path in Portkey's document`);
        else {
          checked++;
          if (!spec.isControlPlanePath(template)) problems.push(`${template} is not a control-plane path`);
          if (r.status < 300) problems.push(...spec.checkRequest(method, template, body));
          problems.push(...spec.checkResponse(method, template, r.status, r.body));
        }
      }
      return r;
    }

    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      const ws = await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Research', slug: 'research' });
      research = { id: ws.body.id, slug: ws.body.slug };
      token = (await call(t.url, 'POST', '/v1/admin/scim-tokens', t.adminKey, { name: 'okta' })).body.token;
    });
    afterAll(async () => {
      await t?.close();
    });
    afterEach(() => {
      expect(problems.splice(0)).toEqual([]);
    });

    it('creates a mapping by scim_group_name (pre-creating the group), lists it with each filter, and posting it again returns the same mapping', async () => {
      const created = await api('POST', '/v1/scim/workspaces', { scim_group_name: 'Engineering Team', workspace_id: research.slug, role: 'member' });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(created.body).toEqual({ id: expect.any(String), workspace_id: research.id, scim_group: 'Engineering Team', scim_group_id: expect.any(String), role: 'member' });
      const again = await api('POST', '/v1/scim/workspaces', { scim_group_name: 'Engineering Team', workspace_id: research.id, role: 'member' });
      expect(again.body).toEqual(created.body);
      // The pre-created group is a SCIM group the identity provider can find (and later take over).
      const found = await scim(t.url, token, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "engineering team"')}`);
      expect(found.body.Resources.map((g: any) => g.id)).toEqual([created.body.scim_group_id]);

      // Mapped to a second workspace by id: same role is fine.
      const def = await api('POST', '/v1/scim/workspaces', { scim_group_id: created.body.scim_group_id, workspace_id: 'default', role: 'member' });
      expect(def.status, JSON.stringify(def.body)).toBe(200);
      const all = await api('GET', '/v1/scim/workspaces');
      expect(all.body.total_count).toBe(2);
      expect((await api('GET', `/v1/scim/workspaces?workspace_id=${research.slug}`)).body.mappings.map((m: any) => m.id)).toEqual([created.body.id]);
      expect((await api('GET', `/v1/scim/workspaces?workspace_id=ws_${research.slug}`)).body.mappings.map((m: any) => m.id)).toEqual([created.body.id]);
      expect((await api('GET', `/v1/scim/workspaces?scim_group_id=${created.body.scim_group_id}`)).body.total_count).toBe(2);
      expect((await api('GET', '/v1/scim/workspaces?role=admin')).body).toEqual({ mappings: [], total_count: 0 });

      // Deleting archives: gone from the list, and a second delete is a 404.
      expect((await api('DELETE', `/v1/scim/workspaces/${def.body.id}`)).body).toEqual({ success: true });
      expect((await api('GET', '/v1/scim/workspaces')).body.mappings.map((m: any) => m.id)).toEqual([created.body.id]);
      const twice = await call(t.url, 'DELETE', `/v1/scim/workspaces/${def.body.id}`, t.adminKey);
      expect(twice.status).toBe(404);
      expect(twice.body.error).toMatchObject({ code: 'not_found', param: 'scimWorkspaceGroupId' });
    });

    it('a group keeps one role across workspaces; the reserved ws-<name>-role-<role> form is refused; bad input is refused whole and by name', async () => {
      const first = await api('POST', '/v1/scim/workspaces', { scim_group_name: 'Data', workspace_id: research.id, role: 'admin' });
      expect(first.status).toBe(200);
      const before = (await api('GET', '/v1/scim/workspaces')).body.total_count;
      const conflict = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: first.body.scim_group_id, workspace_id: 'default', role: 'member' });
      expect(conflict.status).toBe(400);
      expect(conflict.body.error).toMatchObject({ param: 'role', code: 'role_conflict' });
      expect(conflict.body.error.message).toContain("role 'admin'");

      const reserved = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_name: 'ws-Sales-role-admin', workspace_id: research.id, role: 'admin' });
      expect(reserved.status).toBe(400);
      expect(reserved.body.error).toMatchObject({ param: 'scim_group_name', code: 'reserved_name' });

      const cases: Array<[unknown, string, string]> = [
        [{ scim_group_name: 'X', workspace_id: research.id, role: 'member', colour: 'red' }, 'colour', 'unknown_field'],
        [{ scim_group_name: 'X', workspace_id: research.id, role: 'owner' }, 'role', 'invalid_field'],
        [{ workspace_id: research.id, role: 'member' }, 'scim_group_id', 'invalid_request'],
        [{ scim_group_name: 'X', scim_group_id: first.body.scim_group_id, workspace_id: research.id, role: 'member' }, 'scim_group_name', 'invalid_request'],
        [{ scim_group_name: 'X'.repeat(300), workspace_id: research.id, role: 'member' }, 'scim_group_name', 'invalid_field'],
        [{ scim_group_name: 'X', role: 'member' }, 'workspace_id', 'invalid_field'],
      ];
      for (const [body, param, code] of cases) {
        const r = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error, JSON.stringify(body)).toMatchObject({ param, code, type: 'invalid_request_error' });
      }
      const noWs = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_name: 'Never stored', workspace_id: 'no-such-workspace', role: 'member' });
      expect(noWs.status).toBe(404);
      expect(noWs.body.error.param).toBe('workspace_id');
      const noGroup = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: 'c0ffee00-0000-4000-8000-000000000000', workspace_id: research.id, role: 'member' });
      expect(noGroup.status).toBe(404);
      // Nothing was stored half-way: no mapping, and the group of the refused request was not pre-created.
      expect((await api('GET', '/v1/scim/workspaces')).body.total_count).toBe(before);
      expect((await scim(t.url, token, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "Never stored"')}`)).body.totalResults).toBe(0);
      for (const q of ['?colour=red', '?role=owner', '?workspace_id=nope']) expect((await call(t.url, 'GET', `/v1/scim/workspaces${q}`, t.adminKey)).status).toBeGreaterThanOrEqual(400);
    });

    it('only an organisation admin may manage mappings and SCIM tokens; a scoped organisation key needs the organisation_auth scopes', async () => {
      const wsKey = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'ws admin', workspace_id: research.id, scopes: ['workspaces.read'] });
      expect(wsKey.status, JSON.stringify(wsKey.body)).toBe(200);
      for (const [method, path, body] of [['GET', '/v1/scim/workspaces'], ['POST', '/v1/scim/workspaces', { scim_group_name: 'Y', workspace_id: research.id, role: 'member' }], ['POST', '/v1/admin/scim-tokens', { name: 'x' }]] as const) {
        const r = await call(t.url, method, path, wsKey.body.key, body);
        expect(r.status, `${method} ${path}`).toBe(403);
      }
      const scoped = await call(t.url, 'POST', '/v1/api-keys/organisation/service', t.adminKey, { name: 'logs only', scopes: ['logs.view'] });
      const refused = await call(t.url, 'GET', '/v1/scim/workspaces', scoped.body.key);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('organisation_auth.list');
    });

    it('audit-logs mapping and token changes', async () => {
      const m = await api('POST', '/v1/scim/workspaces', { scim_group_name: 'Audited', workspace_id: research.id, role: 'member' });
      await api('DELETE', `/v1/scim/workspaces/${m.body.id}`);
      const audit = await call(t.url, 'GET', '/v1/audit-logs?resource_type=scim_workspace_mapping', t.adminKey);
      const mine = audit.body.records.filter((r: any) => r.resource_id === m.body.id).map((r: any) => r.action).sort();
      expect(mine).toEqual(['create', 'delete']);
      expect((await call(t.url, 'GET', '/v1/audit-logs?resource_type=scim_token', t.adminKey)).body.total).toBeGreaterThanOrEqual(1);
    });

    it.skipIf(Boolean(specMissing))(`every mapping request and response above was checked against Portkey's OpenAPI document${specMissing ? ` (skipped: ${specMissing})` : ''}`, () => {
      expect(checked).toBeGreaterThanOrEqual(15);
    });

    it('another organisation\'s SCIM groups cannot be mapped, and its mappings are not listed', async () => {
      const other = await secondOrganisation(t.cp.services.db);
      const g = await scim(t.url, other.token, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Theirs' });
      expect(g.status).toBe(201);
      const r = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: g.body.id, workspace_id: research.id, role: 'member' });
      expect(r.status).toBe(404);
      // By name, the same display name is a different (new) group of this organisation.
      const mine = await api('POST', '/v1/scim/workspaces', { scim_group_name: 'Theirs', workspace_id: research.id, role: 'member' });
      expect(mine.body.scim_group_id).not.toBe(g.body.id);
      const u = await scim(t.url, other.token, 'POST', '/Users', userBody('z@other.example'));
      expect(u.status).toBe(201);
      expect((await call(t.url, 'GET', `/v1/admin/users/${u.body.id}`, t.adminKey)).status).toBe(404);
    });
  });
}
