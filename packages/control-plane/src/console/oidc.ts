import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';
import type { Database } from '../db/types.js';
import { acceptInvite } from '../store/users.js';
import { principalForUser } from './principals.js';
import type { SessionStore } from './sessions.js';
import type { ConsoleAuth } from './auth.js';
import { flowCookie, overTls, readCookie } from './cookies.js';
import type { ConsoleSettings } from './settings.js';

const FLOW_COOKIE = 'portico_oidc';
const FLOW_SECONDS = 600;

/**
 * OIDC sign-in (authorization code with PKCE, state and nonce). The identity provider vouches for an
 * email; the console signs in the control-plane user with that email, who must have been invited.
 */
export class OidcSignIn {
  private config: Promise<client.Configuration> | undefined;

  constructor(
    private readonly settings: NonNullable<ConsoleSettings['oidc']>,
    private readonly db: Database,
    private readonly sessions: SessionStore,
    private readonly auth: ConsoleAuth,
  ) {}

  private discover(): Promise<client.Configuration> {
    if (!this.config) {
      const issuer = new URL(this.settings.issuer);
      // Plain http is allowed only for a provider on this machine (tests, local development).
      const local = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      this.config = client.discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, local ? { execute: [client.allowInsecureRequests] } : undefined);
      this.config.catch(() => { this.config = undefined; });
    }
    return this.config;
  }

  private redirectUri(req: IncomingMessage): string {
    const base = this.settings.publicUrl ?? `${overTls(req) ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`;
    return `${base}/console/api/oidc/callback`;
  }

  async start(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let config: client.Configuration;
    try {
      config = await this.discover();
    } catch (e) {
      // The sign-in form says why, rather than the browser showing a bare error body.
      res.writeHead(302, { location: `/?sign_in_error=${encodeURIComponent(`the identity provider at ${this.settings.issuer} could not be reached (${(e as Error).message.slice(0, 120)})`)}`, 'cache-control': 'no-store' });
      res.end();
      return;
    }
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri(req),
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    // The flow's secrets ride in a sealed, short-lived cookie: nothing is kept server-side per attempt.
    const sealed = this.sessions.seal(JSON.stringify({ verifier, state, nonce, at: Date.now() }));
    res.writeHead(302, { location: url.href, 'set-cookie': flowCookie(FLOW_COOKIE, sealed, FLOW_SECONDS, this.auth.secure(req)), 'cache-control': 'no-store' });
    res.end();
  }

  /** The user with this email, or, on a first sign-in, the one its pending invite makes (acceptInvite). */
  private async userFor(email: string, claims: client.IDToken | undefined): Promise<{ userId: string; organisationId: string } | { refused: string }> {
    const users = await this.db.all<{ id: string; organisation_id: string }>(`SELECT id, organisation_id FROM users WHERE lower(email) = ?`, [email]);
    if (users.length > 1) return { refused: `${email} belongs to several organisations; sign in with an API key` };
    if (users.length === 1) return { userId: users[0].id, organisationId: users[0].organisation_id };
    const invited = await this.db.all<{ organisation_id: string }>(
      `SELECT DISTINCT organisation_id FROM invites WHERE lower(email) = ? AND status = 'pending' AND expires_at > ?`, [email, new Date().toISOString()]);
    if (invited.length !== 1) return { refused: invited.length === 0 ? `${email} is not a member here; ask an admin to invite you` : `${email} is invited to several organisations; ask an admin to cancel all but one invite` };
    const names = { first_name: typeof claims?.given_name === 'string' ? claims.given_name : undefined, last_name: typeof claims?.family_name === 'string' ? claims.family_name : undefined };
    const userId = await this.db.transaction((tx) => acceptInvite(tx, invited[0].organisation_id, email, names));
    return userId ? { userId, organisationId: invited[0].organisation_id } : { refused: `the invite for ${email} has expired; ask for a new one` };
  }

  async callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (why: string) => {
      res.writeHead(302, { location: `/?sign_in_error=${encodeURIComponent(why)}`, 'set-cookie': flowCookie(FLOW_COOKIE, '', 0, this.auth.secure(req)), 'cache-control': 'no-store' });
      res.end();
    };
    const raw = readCookie(req, FLOW_COOKIE);
    const text = raw ? this.sessions.unseal(raw) : undefined;
    if (!text) return fail('the sign-in took too long or was started in another browser; start again');
    const flow = JSON.parse(text) as { verifier: string; state: string; nonce: string; at: number };
    if (Date.now() - flow.at > FLOW_SECONDS * 1000) return fail('the sign-in took too long; start again');
    let claims: client.IDToken | undefined;
    try {
      const config = await this.discover();
      const current = new URL(req.url ?? '/', this.redirectUri(req));
      const tokens = await client.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce });
      claims = tokens.claims();
      // Providers that follow the spec strictly put scope claims (email) in userinfo, not the ID token.
      if (claims && typeof claims.email !== 'string') claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)) } as client.IDToken;
    } catch (e) {
      return fail(`the identity provider's answer was refused (${(e as Error).message.slice(0, 120)})`);
    }
    const email = typeof claims?.email === 'string' ? claims.email.toLowerCase() : undefined;
    if (!email) return fail('the identity provider gave no email address; allow the "email" scope for this client');
    if (claims?.email_verified === false) return fail(`the identity provider has not verified ${email}`);
    const found = await this.userFor(email, claims);
    if ('refused' in found) return fail(found.refused);
    const principal = await principalForUser(this.db, found.userId);
    if (!principal || (principal.orgRole !== 'org_admin' && principal.workspaceRoles.size === 0)) return fail(`${email} is in no workspace yet; ask an admin to add you to one`);
    await this.auth.start(req, res, { organisationId: found.organisationId, kind: 'oidc', userId: found.userId, name: email });
    res.appendHeader('set-cookie', flowCookie(FLOW_COOKIE, '', 0, this.auth.secure(req)));
    res.writeHead(302, { location: '/#/overview', 'cache-control': 'no-store' });
    res.end();
  }
}
