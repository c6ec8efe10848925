import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../src/app.js';
import { readEnv } from '../src/env.js';
import { principalForUser } from '../src/auth/user.js';
import { acceptInvite } from '../src/store/users.js';
import { Reply } from '../src/http/router.js';

/**
 * How the console's server side plugs in: an extension adds a principal resolver (here a toy cookie
 * naming a user id, standing in for a signed session) and its own routes; every admin route's role
 * checks then apply to that principal exactly as to an API key's.
 */
describe('extensions: resolvers and routes', () => {
  let cp: ControlPlane;
  let dataDir: string;
  const session = new Map<string, string>();
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portico-ext-'));
    cp = await startControlPlane({
      env: readEnv({ HOST: '127.0.0.1', CONTROL_PLANE_PORT: '0', DATA_DIR: dataDir, ADMIN_API_KEY: 'pt-ext-admin' }),
      log: pino({ level: 'silent' }),
      announce: () => undefined,
      extensions: [
        (app, services) => {
          app.addResolver(async (req) => {
            const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
            const user = sid ? session.get(sid) : undefined;
            return user ? principalForUser(services.db, user) : undefined;
          });
          app.router.add({ method: 'GET', path: '/v1/console/me', access: { kind: 'admin', level: 'org', role: 'member' }, summary: 'The signed-in principal', handler: async (ctx) => new Reply(200, { id: ctx.principal.actorId, type: ctx.principal.actorType }) });
        },
      ],
    });
  });
  afterAll(async () => {
    await cp?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a session principal passes the same role checks as a key', async () => {
    const admin = { 'x-portkey-api-key': 'pt-ext-admin', 'content-type': 'application/json' };
    await fetch(`${cp.url}/v1/admin/users/invites`, { method: 'POST', headers: admin, body: JSON.stringify({ email: 'm@example.com', role: 'member', workspaces: [{ id: 'default', role: 'member' }] }) });
    const userId = (await cp.services.db.transaction((tx) => acceptInvite(tx, cp.bootstrap.organisationId, 'm@example.com')))!;
    session.set('s1', userId);
    const cookie = { cookie: 'sid=s1', 'content-type': 'application/json' };
    const me = await fetch(`${cp.url}/v1/console/me`, { headers: cookie });
    expect(await me.json()).toEqual({ id: userId, type: 'user' });
    expect((await fetch(`${cp.url}/v1/configs`, { headers: cookie })).status).toBe(200);
    expect((await fetch(`${cp.url}/v1/virtual-keys`, { method: 'POST', headers: cookie, body: JSON.stringify({ name: 'x', provider: 'openai', key: 'k' }) })).status).toBe(403);
    expect((await fetch(`${cp.url}/v1/admin/users`, { headers: cookie })).status).toBe(403);
    expect((await fetch(`${cp.url}/v1/configs`, { headers: { cookie: 'sid=unknown' } })).status).toBe(401);
  });
});
