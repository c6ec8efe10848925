import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/types.js';
import type { Envelope } from '../crypto/envelope.js';

/**
 * Console sessions, kept in the control plane's database so every replica sees them. The cookie holds a
 * random token; only its SHA-256 is stored. A session signed in with an API key keeps that key sealed
 * with the master key, and the principal is worked out from it on every request: revoking or expiring
 * the key ends the session at once.
 */
export interface SessionRecord {
  tokenHash: string;
  organisationId: string;
  kind: 'api_key' | 'password' | 'oidc';
  /** Sealed API key (api_key and password sessions). */
  sealedKey: string | null;
  /** The user (oidc sessions). */
  userId: string | null;
  name: string;
  csrf: string;
  expiresAt: string;
}

interface SessionRow {
  token_hash: string;
  organisation_id: string;
  kind: string;
  sealed_key: string | null;
  user_id: string | null;
  name: string;
  csrf: string;
  expires_at: string;
}

export const CONSOLE_TABLES = [
  `CREATE TABLE IF NOT EXISTS console_sessions (
    token_hash TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, kind TEXT NOT NULL, sealed_key TEXT, user_id TEXT,
    name TEXT NOT NULL, csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS console_passwords (
    lookup TEXT PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, organisation_id TEXT NOT NULL, sealed_key TEXT NOT NULL,
    created_at TEXT NOT NULL)`,
];

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const AAD = 'portico-console-session';

export class SessionStore {
  constructor(private readonly db: Database, private readonly envelope: Envelope, private readonly ttlMs: number) {}

  async init(): Promise<void> {
    for (const sql of CONSOLE_TABLES) await this.db.run(sql);
  }

  /** Starts a session; returns the cookie token (shown to no one but the browser) and the record. */
  async create(s: { organisationId: string; kind: SessionRecord['kind']; apiKey?: string; userId?: string; name: string }): Promise<{ token: string; record: SessionRecord }> {
    await this.db.run(`DELETE FROM console_sessions WHERE expires_at < ?`, [new Date().toISOString()]);
    const token = randomBytes(32).toString('base64url');
    const record: SessionRecord = {
      tokenHash: hashToken(token),
      organisationId: s.organisationId,
      kind: s.kind,
      sealedKey: s.apiKey ? this.seal(s.apiKey) : null,
      userId: s.userId ?? null,
      name: s.name.slice(0, 200),
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: new Date(Date.now() + this.ttlMs).toISOString(),
    };
    await this.db.run(
      `INSERT INTO console_sessions (token_hash, organisation_id, kind, sealed_key, user_id, name, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [record.tokenHash, record.organisationId, record.kind, record.sealedKey, record.userId, record.name, record.csrf, new Date().toISOString(), record.expiresAt],
    );
    return { token, record };
  }

  async find(token: string | undefined): Promise<SessionRecord | undefined> {
    if (!token || token.length > 100) return undefined;
    const row = await this.db.get<SessionRow>(`SELECT * FROM console_sessions WHERE token_hash = ?`, [hashToken(token)]);
    if (!row || Date.parse(row.expires_at) <= Date.now()) return undefined;
    return {
      tokenHash: row.token_hash, organisationId: row.organisation_id, kind: row.kind as SessionRecord['kind'], sealedKey: row.sealed_key,
      userId: row.user_id, name: row.name, csrf: row.csrf, expiresAt: row.expires_at,
    };
  }

  async delete(token: string | undefined): Promise<void> {
    if (token) await this.db.run(`DELETE FROM console_sessions WHERE token_hash = ?`, [hashToken(token)]);
  }

  seal(apiKey: string): string {
    return this.envelope.encrypt(`${AAD}:${apiKey}`);
  }

  unseal(sealed: string): string | undefined {
    try {
      const text = this.envelope.decrypt(sealed);
      return text.startsWith(`${AAD}:`) ? text.slice(AAD.length + 1) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Constant-time comparison of the CSRF header with the session's token. */
export function csrfMatches(expected: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string' || presented.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(presented), Buffer.from(expected));
}
