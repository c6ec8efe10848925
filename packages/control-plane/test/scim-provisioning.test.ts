import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { ERROR, GROUP, LIST, PATCH, scim, userBody, USER } from './helpers/scim.js';

/**
 * SCIM 2.0 at /scim/v2 driven the way Okta and Entra ID drive it (plain fetch, application/scim+json,
 * a bearer SCIM token), on both databases, with the effect checked through the Admin API: a user in
 * a mapped group is a member of the workspace with the mapping's role; group removal, active:false,
 * deletion and mapping deletion take that access away, and never access granted by hand.
 */
for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`SCIM provisioning on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let token: string;
    let research: string;
    let defaultWs: string;
    const idp = (method: string, path: string, body?: unknown) => scim(t.url, token, method, path, body);
    const filter = (f: string) => `filter=${encodeURIComponent(f)}`;
    /** The user's workspace roles, as the Admin API reports them. */
    async function rolesOf(userId: string): Promise<Record<string, string>> {
      const out: Record<string, string> = {};
      for (const ws of [research, defaultWs]) {
        const m = await call(t.url, 'GET', `/v1/admin/workspaces/${ws}/users/${userId}`, t.adminKey);
        if (m.status === 200) out[ws === research ? 'research' : 'default'] = m.body.role;
      }
      return out;
    }

    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      research = (await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Research', slug: 'research' })).body.id;
      defaultWs = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data.find((w: any) => w.defaults.is_default).id;
      const created = await call(t.url, 'POST', '/v1/admin/scim-tokens', t.adminKey, { name: 'Okta' });
      expect(created.status).toBe(200);
      expect(created.body.scim_base_url).toBe(`${t.url}/scim/v2`);
      token = created.body.token;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('describes itself: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
      const spc = await idp('GET', '/ServiceProviderConfig');
      expect(spc.status).toBe(200);
      expect(spc.type).toContain('application/scim+json');
      expect(spc.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false } });
      const types = await idp('GET', '/ResourceTypes');
      expect(types.body.Resources.map((r: any) => r.endpoint)).toEqual(['/Users', '/Groups']);
      expect((await idp('GET', '/ResourceTypes/User')).body.schema).toBe(USER);
      const schemas = await idp('GET', '/Schemas');
      expect(schemas.body.Resources.map((s: any) => s.id)).toContain(GROUP);
      const user = await idp('GET', `/Schemas/${USER}`);
      expect(user.body.attributes.find((a: any) => a.name === 'userName')).toMatchObject({ required: true, uniqueness: 'server' });
      expect((await idp('GET', '/Schemas/urn:nope')).body).toMatchObject({ schemas: [ERROR], status: '404' });
    });

    it('provisions a user and a group; a mapping makes members workspace members; PATCH removal, active:false, mapping deletion and user deletion take it away', async () => {
      // Entra ID's connection test: a filter that matches nobody answers an empty list.
      const probe = await idp('GET', `/Users?${filter('userName eq "8b2f0e4c-probe"')}`);
      expect(probe.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

      const alice = await idp('POST', '/Users', userBody('alice@example.com', { externalId: 'okta-00u1' }));
      expect(alice.status, JSON.stringify(alice.body)).toBe(201);
      expect(alice.type).toContain('application/scim+json');
      expect(alice.body).toMatchObject({ schemas: [USER], userName: 'alice@example.com', active: true, externalId: 'okta-00u1', groups: [], meta: { resourceType: 'User', location: `${t.url}/scim/v2/Users/${alice.body.id}` } });
      const aliceId: string = alice.body.id;
      expect(alice.body).not.toHaveProperty('password');
      const dup = await idp('POST', '/Users', userBody('ALICE@example.com'));
      expect(dup.status).toBe(409);
      expect(dup.body).toEqual({ schemas: [ERROR], status: '409', scimType: 'uniqueness', detail: expect.stringContaining('userName') });

      // The filters identity providers send.
      expect((await idp('GET', `/Users?${filter('userName eq "Alice@Example.com"')}`)).body.Resources.map((u: any) => u.id)).toEqual([aliceId]);
      expect((await idp('GET', `/Users?${filter('externalId eq "okta-00u1"')}`)).body.totalResults).toBe(1);
      expect((await idp('GET', `/Users?${filter('externalId eq "OKTA-00U1"')}`)).body.totalResults).toBe(0);

      // The organisation user exists, as a member of no workspace.
      const orgUser = await call(t.url, 'GET', `/v1/admin/users/${aliceId}`, t.adminKey);
      expect(orgUser.body).toMatchObject({ email: 'alice@example.com', role: 'member', workspace_ids: [], first_name: 'alice', last_name: 'Tester' });

      // An admin grants alice the default workspace by hand: SCIM never takes that away.
      expect((await call(t.url, 'POST', `/v1/admin/workspaces/${defaultWs}/users`, t.adminKey, { users: [{ id: aliceId, role: 'member' }] })).status).toBe(200);

      const group = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', externalId: 'okta-g1', members: [{ value: aliceId, display: 'alice' }] });
      expect(group.status, JSON.stringify(group.body)).toBe(201);
      expect(group.body.members).toEqual([expect.objectContaining({ value: aliceId })]);
      const groupId: string = group.body.id;
      expect((await idp('GET', `/Groups?${filter('displayName eq "engineering"')}&excludedAttributes=members`)).body.Resources).toEqual([expect.not.objectContaining({ members: expect.anything() })]);
      expect((await idp('GET', `/Groups?${filter(`members eq "${aliceId}"`)}`)).body.totalResults).toBe(1);
      expect((await idp('GET', `/Users/${aliceId}`)).body.groups).toEqual([{ value: groupId, display: 'Engineering', $ref: `${t.url}/scim/v2/Groups/${groupId}` }]);
      expect(await rolesOf(aliceId)).toEqual({ default: 'member' });

      // Mapped (to both workspaces): alice gains research as admin; the hand-granted default membership stays as it was.
      const mapping = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: groupId, workspace_id: research, role: 'admin' });
      expect(mapping.status, JSON.stringify(mapping.body)).toBe(200);
      await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: groupId, workspace_id: defaultWs, role: 'admin' });
      expect(await rolesOf(aliceId)).toEqual({ research: 'admin', default: 'member' });
      expect((await call(t.url, 'GET', `/v1/admin/users/${aliceId}`, t.adminKey)).body.workspace_ids.sort()).toEqual([research, defaultWs].sort());

      // A user key alice holds in research stops with the membership.
      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/user', t.adminKey, { name: 'alice key', workspace_id: research, user_id: aliceId, scopes: ['configs.list'] });
      expect(key.status, JSON.stringify(key.body)).toBe(200);
      expect((await call(t.url, 'GET', '/v1/configs', key.body.key)).status).toBe(200);

      // Okta removes a member: PATCH remove with a value filter.
      const removed = await idp('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${aliceId}"]` }] });
      expect(removed.status, JSON.stringify(removed.body)).toBe(204);
      expect(await rolesOf(aliceId)).toEqual({ default: 'member' });
      expect((await call(t.url, 'GET', '/v1/configs', key.body.key)).status).toBe(401);
      expect((await call(t.url, 'GET', `/v1/api-keys/${key.body.id}`, t.adminKey)).status).toBe(404);

      // Entra ID adds her back ("Add", members as a list).
      expect((await idp('PATCH', `/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: aliceId }] }] })).status).toBe(204);
      expect(await rolesOf(aliceId)).toEqual({ research: 'admin', default: 'member' });

      // Entra ID deactivates her with a string boolean; Okta reactivates with a path-less replace.
      const off = await idp('PATCH', `/Users/${aliceId}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
      expect(off.status, JSON.stringify(off.body)).toBe(200);
      expect(off.body.active).toBe(false);
      expect(await rolesOf(aliceId)).toEqual({ default: 'member' });
      expect((await idp('GET', `/Users?${filter('active eq false')}`)).body.Resources.map((u: any) => u.id)).toEqual([aliceId]);
      const on = await idp('PATCH', `/Users/${aliceId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
      expect(on.body.active).toBe(true);
      expect(await rolesOf(aliceId)).toEqual({ research: 'admin', default: 'member' });

      // Deleting the research mapping removes what it granted, nothing else.
      expect((await call(t.url, 'DELETE', `/v1/scim/workspaces/${mapping.body.id}`, t.adminKey)).body).toEqual({ success: true });
      expect(await rolesOf(aliceId)).toEqual({ default: 'member' });
      await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: groupId, workspace_id: research, role: 'admin' });
      expect(await rolesOf(aliceId)).toEqual({ research: 'admin', default: 'member' });

      // Deprovisioning: SCIM created alice, so the organisation user goes with her access.
      expect((await idp('DELETE', `/Users/${aliceId}`)).status).toBe(204);
      expect((await idp('GET', `/Users/${aliceId}`)).body).toMatchObject({ schemas: [ERROR], status: '404' });
      expect((await call(t.url, 'GET', `/v1/admin/users/${aliceId}`, t.adminKey)).status).toBe(404);
      expect((await idp('GET', `/Groups/${groupId}`)).body.members).toEqual([]);

      const audit = await call(t.url, 'GET', '/v1/audit-logs?resource_type=scim_user', t.adminKey);
      expect(audit.body.records.filter((r: any) => r.resource_id === aliceId).map((r: any) => r.action)).toContain('delete');
    });

    it('PUT and PATCH edit attributes as IdPs send them (name, emails[type eq "work"].value, enterprise extension), and the email follows', async () => {
      const bob = await idp('POST', '/Users', userBody('bob@example.com'));
      const id = bob.body.id;
      const patched = await idp('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [
        { op: 'Replace', path: 'name.givenName', value: 'Robert' },
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'robert@example.com' },
        { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' },
        { op: 'Add', path: 'externalId', value: 'entra-42' },
      ] });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body).toMatchObject({ name: { givenName: 'Robert' }, emails: [{ value: 'robert@example.com', type: 'work', primary: true }], externalId: 'entra-42', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' } });
      expect(patched.body.schemas).toContain('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
      expect((await call(t.url, 'GET', `/v1/admin/users/${id}`, t.adminKey)).body).toMatchObject({ email: 'robert@example.com', first_name: 'Robert' });
      const put = await idp('PUT', `/Users/${id}`, userBody('robert@example.com', { displayName: 'Bob R', id }));
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body).toMatchObject({ displayName: 'Bob R', userName: 'robert@example.com' });
      expect(put.body).not.toHaveProperty('externalId');
      expect(put.body).not.toHaveProperty(['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']);
      const bad = await idp('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'id', value: 'x' }] });
      expect(bad.body).toMatchObject({ status: '400', scimType: 'mutability' });
      expect((await idp('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'shoeSize', value: 9 }] })).body).toMatchObject({ status: '400', scimType: 'invalidPath' });
      expect((await idp('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'move', path: 'active', value: false }] })).body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    });

    it('adopts an organisation user with the same email, and deleting it keeps that user and its hand-granted access', async () => {
      const invite = await call(t.url, 'POST', '/v1/admin/users/invites', t.adminKey, { email: 'carol@example.com', role: 'member', workspaces: [] });
      expect(invite.status).toBe(200);
      // Accept the invite as a sign-in would, so carol is an organisation user before SCIM knows her.
      const { acceptInvite } = await import('../src/store/users.js');
      const carolId = await t.cp.services.db.transaction((tx) => acceptInvite(tx, t.organisationId, 'carol@example.com'));
      await call(t.url, 'POST', `/v1/admin/workspaces/${research}/users`, t.adminKey, { users: [{ id: carolId, role: 'manager' }] });
      const carol = await idp('POST', '/Users', userBody('carol@example.com'));
      expect(carol.status).toBe(201);
      expect(carol.body.id).toBe(carolId);
      // SCIM does not change an adopted user's sign-in email.
      const moved = await idp('PATCH', `/Users/${carolId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'mallory@evil.example' }] });
      expect(moved.status).toBe(200);
      expect((await call(t.url, 'GET', `/v1/admin/users/${carolId}`, t.adminKey)).body.email).toBe('carol@example.com');
      expect((await idp('DELETE', `/Users/${carolId}`)).status).toBe(204);
      expect((await call(t.url, 'GET', `/v1/admin/users/${carolId}`, t.adminKey)).body.workspace_ids).toEqual([research]);
    });

    it('a group a mapping pre-created by name is taken over when the IdP pushes it', async () => {
      const mapping = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_name: 'Analysts', workspace_id: research, role: 'manager' });
      const dan = await idp('POST', '/Users', userBody('dan@example.com'));
      const pushed = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Analysts', members: [{ value: dan.body.id }] });
      expect(pushed.status, JSON.stringify(pushed.body)).toBe(201);
      expect(pushed.body.id).toBe(mapping.body.scim_group_id);
      expect(await rolesOf(dan.body.id)).toEqual({ research: 'manager' });
      expect((await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'analysts' })).body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      // Deleting the group removes what its mapping granted.
      expect((await idp('DELETE', `/Groups/${pushed.body.id}`)).status).toBe(204);
      expect(await rolesOf(dan.body.id)).toEqual({});
      expect((await call(t.url, 'GET', `/v1/scim/workspaces?scim_group_id=${pushed.body.id}`, t.adminKey)).body.total_count).toBe(0);
    });

    it('pattern groups (ws-<name>-role-<role>) map themselves, creating the workspace; renaming away removes the access', async () => {
      const erin = await idp('POST', '/Users', userBody('erin@example.com'));
      const g = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'ws-Sales-role-manager', members: [{ value: erin.body.id }] });
      expect(g.status).toBe(201);
      const sales = (await call(t.url, 'GET', '/v1/admin/workspaces?name=Sales', t.adminKey)).body.data;
      expect(sales.map((w: any) => w.name)).toEqual(['Sales']);
      expect((await call(t.url, 'GET', `/v1/admin/workspaces/${sales[0].id}/users/${erin.body.id}`, t.adminKey)).body.role).toBe('manager');
      // A second pattern group for the same workspace reuses it, with the higher role winning.
      await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'ws-sales-role-admin', members: [{ value: erin.body.id }] });
      expect((await call(t.url, 'GET', '/v1/admin/workspaces?name=Sales', t.adminKey)).body.data).toHaveLength(1);
      expect((await call(t.url, 'GET', `/v1/admin/workspaces/${sales[0].id}/users/${erin.body.id}`, t.adminKey)).body.role).toBe('admin');
      await idp('DELETE', `/Groups/${(await idp('GET', `/Groups?${filter('displayName eq "ws-sales-role-admin"')}`)).body.Resources[0].id}`);
      expect((await call(t.url, 'GET', `/v1/admin/workspaces/${sales[0].id}/users/${erin.body.id}`, t.adminKey)).body.role).toBe('manager');
      expect((await idp('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: g.body.id, displayName: 'Sales people' } }] })).status).toBe(204);
      expect((await call(t.url, 'GET', `/v1/admin/workspaces/${sales[0].id}/users/${erin.body.id}`, t.adminKey)).status).toBe(404);
      const mapped = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: g.body.id, workspace_id: research, role: 'member' });
      expect(mapped.status).toBe(200);
    });

    it('concurrent requests (identity providers send several at once) all land, and membership matches the groups', async () => {
      const users = await Promise.all(Array.from({ length: 12 }, (_, i) => idp('POST', '/Users', userBody(`conc${i}@example.com`))));
      expect(users.map((u) => u.status)).toEqual(Array(12).fill(201));
      const g = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Concurrent' });
      await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: g.body.id, workspace_id: research, role: 'member' });
      const adds = await Promise.all(users.map((u) => idp('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u.body.id }] }] })));
      expect(adds.map((r) => r.status)).toEqual(Array(12).fill(204));
      // The same member added twice at once is not an error.
      const twice = await Promise.all([0, 1].map(() => idp('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: users[0].body.id }] }] })));
      expect(twice.map((r) => r.status)).toEqual([204, 204]);
      expect((await idp('GET', `/Groups/${g.body.id}`)).body.members).toHaveLength(12);
      const listed = await call(t.url, 'GET', `/v1/admin/workspaces/${research}/users?page_size=1000`, t.adminKey);
      for (const u of users) expect(listed.body.data.map((m: any) => m.id)).toContain(u.body.id);
      const removes = await Promise.all(users.slice(0, 6).map((u) => idp('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${u.body.id}"]` }] })));
      expect(removes.map((r) => r.status)).toEqual(Array(6).fill(204));
      const after = (await call(t.url, 'GET', `/v1/admin/workspaces/${research}/users?page_size=1000`, t.adminKey)).body.data.map((m: any) => m.id);
      for (const [i, u] of users.entries()) expect(after.includes(u.body.id), String(i)).toBe(i >= 6);
    });

    it('an admin removing a SCIM user or a mapped workspace by hand leaves SCIM consistent', async () => {
      const fay = await idp('POST', '/Users', userBody('fay@example.com'));
      const g = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Temp', members: [{ value: fay.body.id }] });
      const ws = (await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Temp', slug: 'temp' })).body.id;
      const m = await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: g.body.id, workspace_id: ws, role: 'member' });
      expect(m.status).toBe(200);
      expect((await call(t.url, 'DELETE', `/v1/admin/workspaces/${ws}`, t.adminKey)).status).toBe(200);
      expect((await call(t.url, 'GET', `/v1/scim/workspaces?scim_group_id=${g.body.id}`, t.adminKey)).body.total_count).toBe(0);
      expect((await call(t.url, 'DELETE', `/v1/admin/users/${fay.body.id}`, t.adminKey)).status).toBe(200);
      expect((await idp('GET', `/Users/${fay.body.id}`)).status).toBe(404);
      expect((await idp('GET', `/Groups/${g.body.id}`)).body.members).toEqual([]);
      // The identity provider provisions her again from scratch.
      expect((await idp('POST', '/Users', userBody('fay@example.com'))).status).toBe(201);
    });

    it('PUT (as Okta sends it) replaces a group\'s members and deactivates a user; a deactivated user cannot sign in', async () => {
      const { principalForUser } = await import('../src/auth/user.js');
      const [gil, hal] = await Promise.all(['gil@example.com', 'hal@example.com'].map((u) => idp('POST', '/Users', userBody(u))));
      const g = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Ops', members: [{ value: gil.body.id }] });
      await call(t.url, 'POST', '/v1/scim/workspaces', t.adminKey, { scim_group_id: g.body.id, workspace_id: research, role: 'member' });
      expect(await rolesOf(gil.body.id)).toEqual({ research: 'member' });
      const put = await idp('PUT', `/Groups/${g.body.id}`, { schemas: [GROUP], id: g.body.id, displayName: 'Ops', members: [{ value: hal.body.id, display: 'hal' }] });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expect(put.body.members.map((m: any) => m.value)).toEqual([hal.body.id]);
      expect(await rolesOf(gil.body.id)).toEqual({});
      expect(await rolesOf(hal.body.id)).toEqual({ research: 'member' });
      expect(await principalForUser(t.cp.services.db, hal.body.id)).toBeDefined();
      const off = await idp('PUT', `/Users/${hal.body.id}`, { ...userBody('hal@example.com'), id: hal.body.id, active: false, groups: [{ value: g.body.id }] });
      expect(off.status, JSON.stringify(off.body)).toBe(200);
      expect(off.body.active).toBe(false);
      expect(await rolesOf(hal.body.id)).toEqual({});
      expect(await principalForUser(t.cp.services.db, hal.body.id)).toBeUndefined();
      // Still a member of the group (the IdP decides that); reactivating restores the access.
      expect((await idp('GET', `/Groups/${g.body.id}`)).body.members.map((m: any) => m.value)).toEqual([hal.body.id]);
      await idp('PATCH', `/Users/${hal.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: true }] });
      expect(await rolesOf(hal.body.id)).toEqual({ research: 'member' });
    });

    it('pages are bounded: count is capped at 200, startIndex is 1-based', async () => {
      for (let i = 0; i < 3; i++) await idp('POST', '/Users', userBody(`page${i}@example.com`));
      const all = await idp('GET', '/Users?count=100000');
      expect(all.body.itemsPerPage).toBeLessThanOrEqual(200);
      expect(all.body.totalResults).toBeGreaterThanOrEqual(3);
      const page = await idp('GET', `/Users?${filter('userName sw "page"')}&startIndex=2&count=1`);
      expect(page.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
      expect(page.body.Resources[0].userName).toBe('page1@example.com');
      expect((await idp('GET', `/Users?${filter('userName sw "page"')}&count=0`)).body).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
      const attrs = await idp('GET', `/Users?${filter('userName eq "page0@example.com"')}&attributes=userName`);
      expect(Object.keys(attrs.body.Resources[0]).sort()).toEqual(['id', 'meta', 'schemas', 'userName']);
    });
  });
}
