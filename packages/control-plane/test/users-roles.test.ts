import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptInvite } from '../src/store/users.js';
import { principalForUser } from '../src/auth/user.js';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

/** Users join by invite; their workspace role decides what their keys may do. */
for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`users, invites and roles on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let ws: { id: string; slug: string };
    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      ws = (await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Research' })).body;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('an invite becomes a user with the invited workspace role; member keys can read but not manage credentials', async () => {
      const invite = await call(t.url, 'POST', '/v1/admin/users/invites', t.adminKey, { email: 'ada@example.com', role: 'member', workspaces: [{ id: ws.slug, role: 'member' }] });
      expect(invite.status).toBe(200);
      expect(invite.body.invite_link).toContain(invite.body.id);
      expect((await call(t.url, 'GET', `/v1/admin/users/invites/${invite.body.id}`, t.adminKey)).body.status).toBe('pending');
      const userId = await t.cp.services.db.transaction((tx) => acceptInvite(tx, t.organisationId, 'ADA@example.com', { first_name: 'Ada' }));
      expect(userId).toBeTruthy();
      expect((await call(t.url, 'GET', `/v1/admin/users/invites/${invite.body.id}`, t.adminKey)).body.status).toBe('accepted');
      const user = await call(t.url, 'GET', `/v1/admin/users/${userId}`, t.adminKey);
      expect(user.body).toMatchObject({ email: 'ada@example.com', role: 'member', first_name: 'Ada', workspace_ids: [ws.id] });
      expect((await call(t.url, 'POST', '/v1/admin/users/invites', t.adminKey, { email: 'ada@example.com', role: 'member', workspaces: [] })).status).toBe(409);
      const principal = (await principalForUser(t.cp.services.db, userId!))!;
      expect(principal).toMatchObject({ organisationId: t.organisationId, orgRole: 'member', actorType: 'user', scopes: null });
      expect([...principal.workspaceRoles]).toEqual([[ws.id, 'member']]);

      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/user', t.adminKey, { name: 'ada', scopes: ['virtual_keys.create', 'virtual_keys.list', 'configs.create'], workspace_id: ws.id, user_id: userId });
      expect(key.status).toBe(200);
      expect((await call(t.url, 'GET', '/v1/virtual-keys', key.body.key)).status).toBe(200);
      const denied = await call(t.url, 'POST', '/v1/virtual-keys', key.body.key, { name: 'mine', provider: 'openai', key: 'sk' });
      expect(denied.status).toBe(403);
      expect(denied.body.error.code).toBe('insufficient_role');
      expect((await call(t.url, 'POST', '/v1/configs', key.body.key, { name: 'c', config: { retry: { attempts: 1 } } })).status).toBe(200);

      // Promoted to workspace admin, the same key may manage credentials.
      expect((await call(t.url, 'PUT', `/v1/admin/workspaces/${ws.id}/users/${userId}`, t.adminKey, { role: 'admin' })).status).toBe(200);
      expect((await call(t.url, 'POST', '/v1/virtual-keys', key.body.key, { name: 'mine', provider: 'openai', key: 'sk' })).status).toBe(200);
      const members = await call(t.url, 'GET', `/v1/admin/workspaces/${ws.id}/users`, t.adminKey);
      expect(members.body.data.map((m: any) => [m.email, m.role])).toEqual([['ada@example.com', 'admin']]);

      // Removed from the workspace, the user's keys there are gone.
      expect((await call(t.url, 'DELETE', `/v1/admin/workspaces/${ws.id}/users/${userId}`, t.adminKey)).status).toBe(200);
      expect((await call(t.url, 'GET', '/v1/virtual-keys', key.body.key)).status).toBe(401);
    });

    it('a user key needs a member of the workspace; invites can be cancelled and resent only while pending', async () => {
      const stranger = await call(t.url, 'POST', '/v1/api-keys/workspace/user', t.adminKey, { name: 'x', scopes: ['configs.read'], workspace_id: ws.id, user_id: '00000000-0000-4000-8000-000000000000' });
      expect(stranger.status).toBe(400);
      expect(stranger.body.error.param).toBe('user_id');
      const invite = await call(t.url, 'POST', '/v1/admin/users/invites', t.adminKey, { email: 'bob@example.com', role: 'admin', workspaces: [] });
      expect((await call(t.url, 'POST', `/v1/admin/users/invites/${invite.body.id}/resend`, t.adminKey)).status).toBe(200);
      expect((await call(t.url, 'DELETE', `/v1/admin/users/invites/${invite.body.id}`, t.adminKey, {})).status).toBe(200);
      expect((await call(t.url, 'POST', `/v1/admin/users/invites/${invite.body.id}/resend`, t.adminKey)).status).toBe(400);
      expect(await t.cp.services.db.transaction((tx) => acceptInvite(tx, t.organisationId, 'bob@example.com'))).toBeUndefined();
      const bad = await call(t.url, 'POST', '/v1/admin/users/invites', t.adminKey, { email: 'c@example.com', role: 'member', workspaces: [{ id: 'nope', role: 'member' }] });
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe('workspaces[0].id');
    });

    it('deleting a workspace removes its keys and entities from gateways too', async () => {
      const other = (await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Temp' })).body;
      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'tmp', scopes: ['completions.write'], workspace_id: other.id });
      const auth = { authorization: `Bearer ${t.clientAuth}` };
      const before = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, auth)).body;
      expect((await call(t.url, 'DELETE', `/v1/admin/workspaces/${other.id}`, t.adminKey)).status).toBe(200);
      const changes = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${before.version}`, undefined, undefined, auth)).body;
      expect(changes.changes).toContainEqual({ op: 'delete', kind: 'key', id: expect.any(String) });
      expect((await call(t.url, 'GET', '/v1/configs', key.body.key)).status).toBe(401);
      const def = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data.find((w: any) => w.defaults.is_default === 1);
      expect((await call(t.url, 'DELETE', `/v1/admin/workspaces/${def.id}`, t.adminKey)).status).toBe(400);
    });
  });
}

describe('the console\'s static files', () => {
  let t: TestControlPlane;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portico-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Portico console</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    t = await startTestControlPlane('sqlite', { CONSOLE_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files with their content types, index.html for client routes, and nothing outside the folder', async () => {
    const js = await fetch(`${t.url}/assets/app.js`);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(await js.text()).toBe('console.log(1)');
    const route = await fetch(`${t.url}/workspaces/abc`);
    expect(route.headers.get('content-type')).toContain('text/html');
    expect(await route.text()).toContain('Portico console');
    const escape = await fetch(`${t.url}/..%2f..%2fetc%2fpasswd`);
    expect(await escape.text()).toContain('Portico console');
    const api = await fetch(`${t.url}/v1/nope`);
    expect(api.status).toBe(404);
  });

  it('without a built console, / says so', async () => {
    const bare = await startTestControlPlane('sqlite', { CONSOLE_DIR: join(dir, 'missing') });
    try {
      expect(await (await fetch(`${bare.url}/`)).text()).toContain('console is not built');
    } finally {
      await bare.close();
    }
  });
});
