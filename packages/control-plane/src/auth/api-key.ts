import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Database } from '../db/types.js';
import type { Principal, PrincipalResolver, Role } from './principal.js';

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');
export const newKeySecret = () => `pt-${randomBytes(24).toString('base64url')}`;
export const maskKey = (key: string) => `${key.slice(0, 5)}****${key.slice(-4)}`;

/** The key a request carries: x-portkey-api-key, else Authorization: Bearer (the SDK sends both). */
export function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-portkey-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim() || undefined;
  return undefined;
}

interface KeyRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  user_id: string | null;
  type: string;
  scopes: string;
  expires_at: string | null;
  status: string;
}

export type KeyCheck = { principal: Principal } | { refused: string };

const MEMBER_ROLE: Record<string, Role> = { admin: 'workspace_admin', manager: 'workspace_admin', member: 'member' };

/** Turns an API key into a principal: organisation keys are org admins, workspace service keys admin their workspace, user keys carry the user's role there. */
export async function principalForKey(db: Database, key: string): Promise<KeyCheck | undefined> {
  const row = await db.get<KeyRow>(`SELECT id, organisation_id, workspace_id, user_id, type, scopes, expires_at, status FROM api_keys WHERE key_hash = ?`, [hashKey(key)]);
  if (!row) return undefined;
  if (row.status !== 'active') return { refused: `API key ${row.id} is ${row.status}` };
  if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) return { refused: `API key ${row.id} expired at ${row.expires_at}; create a new key` };
  const scopes = JSON.parse(row.scopes) as string[];
  const base = { organisationId: row.organisation_id, actorType: 'api_key', actorId: row.id, keyId: row.id, scopes: scopes.length ? scopes : null };
  if (row.type === 'organisation-service') return { principal: { ...base, orgRole: 'org_admin', workspaceRoles: new Map() } };
  const workspace = row.workspace_id!;
  let role: Role = 'workspace_admin';
  if (row.type === 'workspace-user') {
    const m = row.user_id ? await db.get<{ role: string }>(`SELECT role FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, [workspace, row.user_id]) : undefined;
    const user = row.user_id ? await db.get<{ role: string }>(`SELECT role FROM users WHERE id = ?`, [row.user_id]) : undefined;
    if (!m && !(user && (user.role === 'owner' || user.role === 'admin'))) return { refused: `API key ${row.id} belongs to a user who is no longer in its workspace` };
    role = m ? MEMBER_ROLE[m.role] ?? 'member' : 'workspace_admin';
  }
  return { principal: { ...base, userId: row.user_id ?? undefined, orgRole: 'member', boundWorkspaceId: workspace, workspaceRoles: new Map([[workspace, role]]) } };
}

export function apiKeyResolver(db: Database): (req: IncomingMessage) => Promise<KeyCheck | undefined> {
  return async (req) => {
    const key = presentedKey(req);
    return key ? principalForKey(db, key) : undefined;
  };
}

export type { PrincipalResolver };
