/**
 * The console's server side over HTTP, against a real control plane process: cookie sessions (HttpOnly,
 * SameSite, Secure behind TLS), CSRF on every change, sign-out, passwords set from a key, a revoked key
 * ending its sessions and passwords, refused unknown fields, and rate-limited failed sign-ins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlaneOnly } from '../e2e/harness/stack.js';

let cp: Awaited<ReturnType<typeof startControlPlaneOnly>>;

beforeAll(async () => {
  cp = await startControlPlaneOnly({ CONSOLE_SIGN_IN_FAILURES: '3' });
}, 60_000);

afterAll(async () => {
  await cp?.close();
});

interface SessionView { csrf_token: string; role: string; method: string; name: string }

async function signIn(secret: string, headers: Record<string, string> = {}): Promise<{ res: Response; cookie: string; body: SessionView }> {
  const res = await fetch(`${cp.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ api_key: secret }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { res, cookie: setCookie.split(';')[0], body: (await res.json()) as SessionView };
}

function call(path: string, cookie: string, init: RequestInit & { csrf?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie, 'content-type': 'application/json' };
  if (init.csrf) headers['x-csrf-token'] = init.csrf;
  return fetch(`${cp.url}${path}`, { ...init, headers });
}

describe('console sessions', () => {
  it('serves the console at /', async () => {
    const res = await fetch(`${cp.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
  });

  it('signs in with the admin key: an HttpOnly, SameSite cookie, Secure only behind TLS', async () => {
    const { res, cookie, body } = await signIn(cp.adminKey);
    expect(res.status).toBe(200);
    const raw = res.headers.get('set-cookie')!;
    expect(raw).toMatch(/HttpOnly/);
    expect(raw).toMatch(/SameSite=Lax/);
    expect(raw).not.toMatch(/Secure/);
    expect(cookie).toMatch(/^portico_session=/);
    expect(body.role).toBe('org_admin');
    expect(body.method).toBe('api_key');
    expect(JSON.stringify(body)).not.toContain(cp.adminKey);
    const tls = await signIn(cp.adminKey, { 'x-forwarded-proto': 'https' });
    expect(tls.res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('lets the session read the Admin API, and refuses a change without the CSRF token', async () => {
    const { cookie, body } = await signIn(cp.adminKey);
    expect((await call('/v1/api-keys', cookie)).status).toBe(200);
    const config = JSON.stringify({ name: 'csrf-check', config: { retry: { attempts: 2 } } });
    const without = await call('/v1/configs', cookie, { method: 'POST', body: config });
    expect(without.status).toBe(403);
    expect(((await without.json()) as { error: { code: string } }).error.code).toBe('csrf_token_invalid');
    const wrong = await call('/v1/configs', cookie, { method: 'POST', body: config, csrf: 'x'.repeat(body.csrf_token.length) });
    expect(wrong.status).toBe(403);
    const right = await call('/v1/configs', cookie, { method: 'POST', body: config, csrf: body.csrf_token });
    expect(right.status).toBe(200);
  });

  it('without a session the Admin API still asks for a key', async () => {
    expect((await fetch(`${cp.url}/v1/api-keys`, { headers: { cookie: 'portico_session=forged' } })).status).toBe(401);
    expect((await fetch(`${cp.url}/console/api/session`)).status).toBe(401);
  });

  it('refuses unknown fields by name', async () => {
    const res = await fetch(`${cp.url}/console/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: cp.adminKey, remember: true }) });
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { message: string; param: string } }).error;
    expect(err.param).toBe('remember');
    expect(err.message).toContain('remember');
  });

  it('signs out: the session ends and the cookie is cleared', async () => {
    const { cookie, body } = await signIn(cp.adminKey);
    const out = await call('/console/api/session', cookie, { method: 'DELETE', csrf: body.csrf_token });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await call('/console/api/session', cookie)).status).toBe(401);
  });

  it('signs in with a password set from a key; revoking the key ends its sessions and its password', async () => {
    const created = await fetch(`${cp.url}/v1/api-keys/organisation/service`, {
      method: 'POST',
      headers: { 'x-portkey-api-key': cp.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ops laptop', scopes: ['configs.list', 'configs.read'] }),
    });
    expect(created.status).toBe(200);
    const key = (await created.json()) as { id: string; key: string };
    const { cookie, body } = await signIn(key.key);
    expect(body.name).toBe('ops laptop');
    const weak = await call('/console/api/password', cookie, { method: 'POST', csrf: body.csrf_token, body: JSON.stringify({ password: 'short' }) });
    expect(weak.status).toBe(400);
    const set = await call('/console/api/password', cookie, { method: 'POST', csrf: body.csrf_token, body: JSON.stringify({ password: 'correct horse battery staple' }) });
    expect(set.status).toBe(200);

    const byPassword = await signIn('correct horse battery staple');
    expect(byPassword.res.status).toBe(200);
    expect(byPassword.body.method).toBe('password');
    expect((await call('/v1/configs', byPassword.cookie)).status).toBe(200);
    // The key's own scopes still bind the password session.
    const create = await call('/v1/configs', byPassword.cookie, { method: 'POST', csrf: byPassword.body.csrf_token, body: JSON.stringify({ name: 'nope', config: { retry: { attempts: 1 } } }) });
    expect(create.status).toBe(403);

    const revoked = await fetch(`${cp.url}/v1/api-keys/${key.id}`, { method: 'DELETE', headers: { 'x-portkey-api-key': cp.adminKey } });
    expect(revoked.status).toBeLessThan(300);
    expect((await call('/console/api/session', cookie)).status).toBe(401);
    expect((await call('/console/api/session', byPassword.cookie)).status).toBe(401);
    expect((await signIn('correct horse battery staple')).res.status).toBe(401);
  });

  it('checks the gateway routes\' input and says when the gateway is unreachable', async () => {
    const { cookie, body } = await signIn(cp.adminKey);
    const unknown = await call('/console/api/logs?from=2026-01-01T00:00:00Z&colour=red', cookie);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe('colour');
    expect((await call('/console/api/logs', cookie)).status).toBe(400);
    const down = await call('/console/api/logs?from=2026-01-01T00:00:00Z', cookie);
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: { message: string } }).error.message).toContain('GATEWAY_URL');
    const noCsrf = await call('/console/api/playground/chat/completions', cookie, { method: 'POST', body: JSON.stringify({ gateway_key: 'k', body: {} }) });
    expect(noCsrf.status).toBe(403);
    const extra = await call('/console/api/playground/prompts/p1/completions', cookie, { method: 'POST', csrf: body.csrf_token, body: JSON.stringify({ gateway_key: 'k', variables: {}, model: 'x' }) });
    expect(extra.status).toBe(400);
    expect(((await extra.json()) as { error: { param: string } }).error.param).toBe('model');
    const badVars = await call('/console/api/playground/prompts/p1/completions', cookie, { method: 'POST', csrf: body.csrf_token, body: JSON.stringify({ gateway_key: 'k', variables: { n: 1 } }) });
    expect(badVars.status).toBe(400);
    expect((await call('/console/api/logs/not%20an%20id', cookie)).status).toBe(400);
  });

  // Last: it spends this address's failed sign-ins.
  it('rate-limits failed sign-ins, even when the right key follows', async () => {
    for (let i = 0; i < 2; i++) expect((await signIn(`pt-wrong-${i}`)).res.status).toBe(401);
    const limited = await signIn('pt-wrong-again');
    expect([401, 429]).toContain(limited.res.status);
    const blocked = await signIn(cp.adminKey);
    expect(blocked.res.status).toBe(429);
    expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(JSON.stringify(blocked.body)).toContain('Too many failed sign-ins');
  });
});
