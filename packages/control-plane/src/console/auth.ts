import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '@portico/contract';
import type { Database } from '../db/types.js';
import type { Principal } from '../auth/principal.js';
import { principalForKey } from '../auth/api-key.js';
import { forbidden, unauthorized } from '../http/errors.js';
import { overTls, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
import { csrfMatches, type SessionRecord, type SessionStore } from './sessions.js';
import { consoleRole, principalForUser, workspaceSlugs, type SessionView } from './principals.js';
import type { ConsoleSettings } from './settings.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface SignedIn {
  session: SessionRecord;
  principal: Principal;
  /** The API key behind the session, for setting a password (never sent anywhere). */
  apiKey?: string;
}

/** Cookie sessions: who a console request is, with CSRF checked on every change. */
export class ConsoleAuth {
  constructor(private readonly db: Database, private readonly sessions: SessionStore, private readonly settings: ConsoleSettings) {}

  /**
   * The request's session and principal, or undefined without a live session. A change (POST, PUT,
   * PATCH, DELETE) must carry the session's token in x-csrf-token, else it is refused with 403.
   */
  async current(req: IncomingMessage): Promise<SignedIn | undefined> {
    const session = await this.sessions.find(readCookie(req, SESSION_COOKIE));
    if (!session) return undefined;
    if (UNSAFE.has(req.method ?? 'GET') && !csrfMatches(session.csrf, req.headers['x-csrf-token'])) {
      throw forbidden('This change lacks the console\'s CSRF token (x-csrf-token); reload the console and try again', 'csrf_token_invalid');
    }
    if (session.kind === 'oidc') {
      const principal = session.userId ? await principalForUser(this.db, session.userId) : undefined;
      return principal && principal.organisationId === session.organisationId ? { session, principal } : undefined;
    }
    const apiKey = session.sealedKey ? this.sessions.unseal(session.sealedKey) : undefined;
    if (!apiKey) return undefined;
    const checked = await principalForKey(this.db, apiKey);
    if (!checked || 'refused' in checked) return undefined;
    return { session, principal: checked.principal, apiKey };
  }

  /** Like current(), but a missing session is a 401 telling the browser to sign in. */
  async require(req: IncomingMessage): Promise<SignedIn> {
    const signed = await this.current(req);
    if (!signed) throw unauthorized('Not signed in, or the session ended; sign in to the console again');
    return signed;
  }

  /** Starts a session and sets its cookie. */
  async start(req: IncomingMessage, res: ServerResponse, s: Parameters<SessionStore['create']>[0]): Promise<SessionRecord> {
    const { token, record } = await this.sessions.create(s);
    res.setHeader('set-cookie', sessionCookie(token, this.settings.sessionHours * 3600, this.secure(req)));
    return record;
  }

  async end(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await this.sessions.delete(readCookie(req, SESSION_COOKIE));
    res.setHeader('set-cookie', sessionCookie('', 0, this.secure(req)));
  }

  secure(req: IncomingMessage): boolean {
    return this.settings.cookieSecure === 'auto' ? overTls(req) : this.settings.cookieSecure;
  }

  async view(signed: { session: SessionRecord; principal: Principal }): Promise<SessionView> {
    return {
      signed_in: true,
      name: signed.session.name,
      role: consoleRole(signed.principal),
      organisation: signed.principal.organisationId,
      workspaces: await workspaceSlugs(this.db, signed.principal),
      csrf_token: signed.session.csrf,
      method: signed.session.kind,
      can_set_password: signed.session.kind === 'api_key',
    };
  }
}

/** Throws 429 with Retry-After, in the one error shape. */
export function tooManyAttempts(retryMs: number): GatewayError {
  const seconds = Math.max(1, Math.ceil(retryMs / 1000));
  return new GatewayError({
    status: 429,
    code: 'too_many_sign_in_attempts',
    message: `Too many failed sign-ins from this address; try again in ${seconds} seconds`,
    headers: { 'retry-after': String(seconds) },
  });
}
