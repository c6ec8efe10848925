import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../auth/principal.js';
import type { Sql } from '../db/types.js';

/**
 * SCIM bearer tokens: what an identity provider (Okta, Entra ID) sends to /scim/v2. They are not
 * admin API keys and admin keys are not SCIM tokens: the formats differ (scim-<id>.<secret>), each
 * is looked up only in its own table, and a SCIM principal holds no role and no scope, so it passes
 * no admin route. Stored as a SHA-256 hash, shown once, compared in constant time.
 */
const TOKEN = /^scim-([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
// Compared against when no token row matches, so a miss takes as long as a wrong secret.
const DUMMY = sha256('scim-no-such-token');

/** A new token; rotating keeps the id (it is part of the token) and draws a new secret. */
export function newScimToken(id = randomUUID().replace(/-/g, '')): { id: string; token: string; hash: string } {
  const token = `scim-${id}.${randomBytes(32).toString('base64url')}`;
  return { id, token, hash: sha256(token).toString('hex') };
}

export function bearerOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (!auth || !/^bearer\s+/i.test(auth)) return undefined;
  return auth.replace(/^bearer\s+/i, '').trim() || undefined;
}

/** The SCIM principal for a presented token, or undefined (unknown, revoked, malformed). */
export async function principalForScimToken(db: Sql, presented: string | undefined): Promise<Principal | undefined> {
  if (!presented || presented.length > 200) return undefined;
  const m = TOKEN.exec(presented);
  const row = m ? await db.get<{ id: string; organisation_id: string; token_hash: string }>(`SELECT id, organisation_id, token_hash FROM scim_tokens WHERE id = ?`, [m[1]]) : undefined;
  const expected = row ? Buffer.from(row.token_hash, 'hex') : DUMMY;
  const ok = timingSafeEqual(sha256(presented), expected.length === 32 ? expected : DUMMY) && Boolean(row);
  if (!ok || !row) return undefined;
  return { organisationId: row.organisation_id, orgRole: 'member', workspaceRoles: new Map(), scopes: [], actorType: 'scim_token', actorId: row.id };
}
