/**
 * OIDC sign-in against a real, local identity provider (the oidc-provider package, with its development
 * login and consent pages), driven in Chromium: an invited email signs in and becomes a user with the
 * invite's workspace role; an email nobody invited is sent back to the sign-in form, told why.
 */
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM, haveChromium, launch, seriousViolations } from '../e2e/harness/browser.js';
import { freePort } from '@portico/test-support/ports';
import { admin, startControlPlaneOnly } from '../e2e/harness/stack.js';

if (!haveChromium) console.warn(`console OIDC tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
const suite = haveChromium ? describe : describe.skip;

suite('OIDC sign-in', () => {
  let cp: Awaited<ReturnType<typeof startControlPlaneOnly>>;
  let idp: Server;
  let browser: Browser;
  const clientId = 'portico-console';
  const clientSecret = 'a-client-secret-for-the-test-0123456789';

  beforeAll(async () => {
    const idpPort = await freePort();
    const cpPort = await freePort();
    const issuer = `http://127.0.0.1:${idpPort}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`http://127.0.0.1:${cpPort}/console/api/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['given_name', 'family_name'] },
      findAccount: async (_ctx, id) => ({
        accountId: id,
        claims: async () => ({ sub: id, email: id, email_verified: true, given_name: id.split('@')[0] }),
      }),
      cookies: { keys: ['oidc-provider-test-cookie-key'] },
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    });
    idp = provider.listen(idpPort);
    cp = await startControlPlaneOnly({
      CONTROL_PLANE_PORT: String(cpPort),
      CONSOLE_OIDC_ISSUER: issuer,
      CONSOLE_OIDC_CLIENT_ID: clientId,
      CONSOLE_OIDC_CLIENT_SECRET: clientSecret,
    });
    browser = await launch();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await cp?.close();
    await new Promise((r) => (idp ? idp.close(r) : r(undefined)));
  });

  async function signInThroughProvider(page: Page, email: string): Promise<void> {
    await page.goto(`${cp.url}/`);
    await page.getByRole('link', { name: 'Sign in with your identity provider' }).click();
    await page.locator('input[name="login"]').fill(email);
    await page.locator('input[name="password"]').fill('anything');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]', { hasText: /continue/i }).click();
  }

  it('signs in an invited email as a user with the invite\'s workspace role', async () => {
    const workspaces = await admin<{ data: Array<{ id: string; slug: string }> }>({ cpUrl: cp.url, adminKey: cp.adminKey }, 'GET', '/v1/admin/workspaces');
    const ws = workspaces.data.find((w) => w.slug === 'default')!;
    await admin({ cpUrl: cp.url, adminKey: cp.adminKey }, 'POST', '/v1/admin/users/invites', { email: 'alice@example.com', role: 'member', workspaces: [{ id: ws.id, role: 'admin' }] });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signInThroughProvider(page, 'alice@example.com');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const session = await page.evaluate(async () => (await fetch('/console/api/session')).json() as Promise<{ name: string; role: string; method: string; workspaces: string[] }>);
    expect(session).toMatchObject({ name: 'alice@example.com', role: 'workspace_admin', method: 'oidc', workspaces: ['default'] });
    // Not an org admin: the console starts in her workspace, named in the URL.
    await expect.poll(() => new URL(page.url()).hash).toContain('ws=default');
    // A workspace admin sees the workspace screens but not the organisation's: the API agrees.
    expect(await page.getByRole('link', { name: 'API keys' }).count()).toBe(1);
    const users = await page.evaluate(async () => (await fetch('/v1/admin/users')).status);
    expect(users).toBe(403);
    await page.close();
  });

  it('sends an email nobody invited back to the sign-in form, saying why', async () => {
    const page = await browser.newPage();
    await signInThroughProvider(page, 'mallory@example.com');
    await page.getByRole('heading', { name: 'Sign in to Portico' }).waitFor();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not a member here');
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});
