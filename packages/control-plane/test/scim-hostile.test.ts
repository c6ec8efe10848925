import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { ERROR, GROUP, PATCH, scim, secondOrganisation, userBody } from './helpers/scim.js';

/**
 * SCIM against hostile or careless callers: tokens that are wrong, revoked, rotated, or of the
 * wrong kind (an admin key as a SCIM token, a SCIM token on the Admin API); oversized filters and
 * bodies; malformed input; and another organisation's ids. Every refusal is in SCIM's error shape.
 */
for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`SCIM hostile callers on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let token: string;
    let tokenId: string;
    const idp = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => scim(t.url, token, method, path, body, headers);
    const scimError = (status: number, scimType?: string) => ({ schemas: [ERROR], status: String(status), ...(scimType ? { scimType } : {}), detail: expect.any(String) });

    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      const created = await call(t.url, 'POST', '/v1/admin/scim-tokens', t.adminKey, { name: 'Entra' });
      token = created.body.token;
      tokenId = created.body.id;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('refuses a missing, wrong or admin token with a SCIM 401, and a SCIM token on the Admin API', async () => {
      for (const bad of [undefined, 'nonsense', `${token.slice(0, -4)}AAAA`, `scim-${'0'.repeat(32)}.${'A'.repeat(43)}`, t.adminKey, t.clientAuth]) {
        const r = await scim(t.url, bad, 'GET', '/Users');
        expect(r.status, String(bad)).toBe(401);
        expect(r.type).toContain('application/scim+json');
        expect(r.body).toEqual(scimError(401));
      }
      // The admin key in the header the Admin API also reads is not a SCIM credential either.
      expect((await scim(t.url, undefined, 'GET', '/Users', undefined, { 'x-portkey-api-key': t.adminKey })).status).toBe(401);
      for (const path of ['/v1/admin/users', '/v1/scim/workspaces', '/v1/admin/scim-tokens', '/v1/configs']) {
        const r = await call(t.url, 'GET', path, undefined, undefined, { authorization: `Bearer ${token}` });
        expect(r.status, path).toBe(401);
        expect(r.body.error.code).toBe('invalid_api_key');
        expect((await call(t.url, 'GET', path, token)).status, path).toBe(401);
      }
      // The token is never shown again, nor does it appear in the list.
      const listed = await call(t.url, 'GET', '/v1/admin/scim-tokens', t.adminKey);
      expect(JSON.stringify(listed.body)).not.toContain(token.split('.')[1]);
      expect(listed.body.data.map((r: any) => r.id)).toContain(tokenId);
      const stored = await t.cp.services.db.get<{ token_hash: string }>(`SELECT token_hash FROM scim_tokens WHERE id = ?`, [tokenId]);
      expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it('rotation replaces the secret at once; revocation refuses the token at once', async () => {
      const made = await call(t.url, 'POST', '/v1/admin/scim-tokens', t.adminKey, { name: 'to rotate' });
      expect((await scim(t.url, made.body.token, 'GET', '/Users')).status).toBe(200);
      const rotated = await call(t.url, 'POST', `/v1/admin/scim-tokens/${made.body.id}/rotate`, t.adminKey);
      expect(rotated.body).toMatchObject({ id: made.body.id, token: expect.stringMatching(/^scim-/), rotated_at: expect.any(String) });
      expect(rotated.body.token).not.toBe(made.body.token);
      expect((await scim(t.url, made.body.token, 'GET', '/Users')).status).toBe(401);
      expect((await scim(t.url, rotated.body.token, 'GET', '/Users')).status).toBe(200);
      expect((await call(t.url, 'DELETE', `/v1/admin/scim-tokens/${made.body.id}`, t.adminKey)).status).toBe(200);
      expect((await scim(t.url, rotated.body.token, 'GET', '/Users')).status).toBe(401);
      expect((await call(t.url, 'DELETE', `/v1/admin/scim-tokens/${made.body.id}`, t.adminKey)).status).toBe(404);
      expect((await call(t.url, 'POST', '/v1/admin/scim-tokens', t.adminKey, { name: 'x', scopes: [] })).body.error).toMatchObject({ code: 'unknown_field', param: 'scopes' });
    });

    it('refuses oversized filters and bodies, malformed filters and JSON, and unknown attributes, by name', async () => {
      const long = `userName eq "${'a'.repeat(1100)}"`;
      expect((await idp('GET', `/Users?filter=${encodeURIComponent(long)}`)).body).toEqual(scimError(400, 'invalidFilter'));
      const many = Array.from({ length: 25 }, (_, i) => `userName eq "u${i}"`).join(' or ');
      expect((await idp('GET', `/Users?filter=${encodeURIComponent(many)}`)).body).toEqual(scimError(400, 'invalidFilter'));
      for (const f of ['userName', 'userName eq', 'userName xx "a"', 'password eq "x"', 'userName eq "a" and', '(userName eq "a"', 'emails[type eq "work"] eq "x"', 'userName eq "unterminated']) {
        const r = await idp('GET', `/Users?filter=${encodeURIComponent(f)}`);
        expect(r.body, f).toEqual(scimError(400, 'invalidFilter'));
      }
      // A filter's quotes and LIKE wildcards are data, not syntax.
      await idp('POST', '/Users', userBody('percent@example.com'));
      expect((await idp('GET', `/Users?filter=${encodeURIComponent('userName co "%"')}`)).body.totalResults).toBe(0);
      expect((await idp('GET', `/Users?filter=${encodeURIComponent('userName eq "x\\" or \\"1\\"=\\"1"')}`)).body.totalResults).toBe(0);

      const big = await idp('POST', '/Users', userBody('big@example.com', { title: 'x'.repeat(70 * 1024) }));
      expect(big.status).toBe(413);
      expect(big.body).toEqual(scimError(413));
      expect((await idp('POST', '/Users', '{"schemas": [')).body).toEqual(scimError(400, 'invalidSyntax'));
      expect((await idp('POST', '/Users', 'userName=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
      const unknown = await idp('POST', '/Users', userBody('u@example.com', { shoeSize: 44 }));
      expect(unknown.body).toEqual(scimError(400, 'invalidSyntax'));
      expect(unknown.body.detail).toContain('shoeSize');
      expect((await idp('POST', '/Users', { ...userBody('v@example.com'), schemas: ['urn:nope'] })).body).toEqual(scimError(400, 'invalidSyntax'));
      expect((await idp('POST', '/Users', userBody('no-email', { emails: [] }))).body).toEqual(scimError(400, 'invalidValue'));
      expect((await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'G', owner: 'me' })).body.detail).toContain('owner');
      expect((await idp('GET', '/Users?sortBy=userName')).body).toEqual(scimError(400, 'invalidValue'));
      // Nothing refused was stored.
      expect((await idp('GET', `/Users?filter=${encodeURIComponent('userName eq "u@example.com"')}`)).body.totalResults).toBe(0);
    });

    it('answers unknown SCIM paths and methods in SCIM\'s shape (never the console page)', async () => {
      const missing = await idp('GET', '/Widgets');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(scimError(404));
      const method = await idp('DELETE', '/ServiceProviderConfig');
      expect(method.status).toBe(405);
      expect(method.body).toEqual(scimError(405));
      expect((await idp('GET', '/Users/not-a-user')).body).toEqual(scimError(404));
    });

    it('keeps organisations apart: another organisation\'s users and groups are neither visible nor usable', async () => {
      const other = await secondOrganisation(t.cp.services.db);
      const theirs = await scim(t.url, other.token, 'POST', '/Users', userBody('shared@example.com'));
      expect(theirs.status).toBe(201);
      const theirGroup = await scim(t.url, other.token, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Shared', members: [{ value: theirs.body.id }] });
      // The same userName and group name are free in this organisation.
      const mine = await idp('POST', '/Users', userBody('shared@example.com'));
      expect(mine.status).toBe(201);
      expect(mine.body.id).not.toBe(theirs.body.id);
      expect((await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Shared' })).status).toBe(201);

      expect((await idp('GET', `/Users/${theirs.body.id}`)).status).toBe(404);
      expect((await idp('GET', `/Groups/${theirGroup.body.id}`)).status).toBe(404);
      expect((await idp('PATCH', `/Users/${theirs.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
      expect((await idp('DELETE', `/Users/${theirs.body.id}`)).status).toBe(404);
      expect((await idp('DELETE', `/Groups/${theirGroup.body.id}`)).status).toBe(404);
      const listed = await idp('GET', `/Users?filter=${encodeURIComponent('userName eq "shared@example.com"')}`);
      expect(listed.body.Resources.map((u: any) => u.id)).toEqual([mine.body.id]);
      // Their user cannot be made a member of my group, nor mine of theirs.
      const g = await idp('POST', '/Groups', { schemas: [GROUP], displayName: 'Mine', members: [{ value: theirs.body.id }] });
      expect(g.body).toEqual(scimError(400, 'invalidValue'));
      const cross = await scim(t.url, other.token, 'PATCH', `/Groups/${theirGroup.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: mine.body.id }] }] });
      expect(cross.body).toEqual(scimError(400, 'invalidValue'));
      // Their user is still theirs, untouched.
      expect((await scim(t.url, other.token, 'GET', `/Users/${theirs.body.id}`)).body.active).toBe(true);
    });
  });
}
