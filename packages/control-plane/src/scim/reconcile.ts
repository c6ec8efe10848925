import { createHash, randomUUID } from 'node:crypto';
import { createWorkspaceRow } from '../bootstrap.js';
import type { Sql } from '../db/types.js';
import type { Writer } from '../store/write.js';

/**
 * What SCIM does to workspace membership. A SCIM user's wanted memberships are the workspaces its
 * groups map to (active mappings, and groups named ws-<workspace>-role-<role>), with the highest
 * role when several apply; none when the user is inactive. Reconciling adds and removes only
 * memberships marked source = 'scim': one an admin granted by hand is never touched, and while it
 * exists SCIM does not take it over. Removing a membership revokes the user's keys in that
 * workspace, as removing a member by hand does (the gateways hear of it through sync).
 */
export type MappingRole = 'admin' | 'manager' | 'member';
export const MAPPING_ROLES: MappingRole[] = ['admin', 'member', 'manager'];
const RANK: Record<string, number> = { member: 1, manager: 2, admin: 3 };

/**
 * Serialises an organisation's SCIM writes (an identity provider sends several at once) so that
 * reconciling never decides on a state another transaction is changing. SQLite transactions are
 * already one at a time; PostgreSQL takes a transaction-scoped advisory lock.
 */
export async function lockScim(tx: Sql, dialect: 'sqlite' | 'postgres', organisation: string): Promise<void> {
  if (dialect !== 'postgres') return;
  const key = createHash('sha256').update(`scim:${organisation}`).digest().readBigInt64BE(0);
  await tx.get(`SELECT pg_advisory_xact_lock(?) AS locked`, [key.toString()]);
}

/** Portkey's pattern-based auto-provisioning names: ws-<workspace name>-role-<admin|manager|member>. */
const PATTERN = /^ws-(.+)-role-(admin|manager|member)$/i;
export function groupPattern(displayName: string): { workspace: string; role: MappingRole } | undefined {
  const m = PATTERN.exec(displayName.trim());
  return m ? { workspace: m[1], role: m[2].toLowerCase() as MappingRole } : undefined;
}

/** The workspace a pattern group names (by name, any case, or slug), created when there is none. */
export async function patternWorkspace(tx: Sql, organisation: string, name: string, w: Writer): Promise<string> {
  const found = await tx.get<{ id: string }>(
    `SELECT id FROM workspaces WHERE organisation_id = ? AND (lower(name) = lower(?) OR slug = ?) ORDER BY CASE WHEN lower(name) = lower(?) THEN 0 ELSE 1 END, created_at LIMIT 1`,
    [organisation, name, name, name]);
  if (found) return found.id;
  const id = randomUUID();
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 30) || 'workspace';
  await createWorkspaceRow(tx, organisation, { id, slug: `ws-${base}-${id.slice(0, 4)}`, name: name.slice(0, 200), description: 'Created by SCIM for a ws-<name>-role-<role> group', defaults: {} });
  w.changed('workspace', id);
  return id;
}

async function wanted(tx: Sql, userId: string): Promise<Map<string, string>> {
  const rows = await tx.all<{ workspace_id: string; role: string }>(
    `SELECT m.workspace_id, m.role FROM scim_group_members gm
       JOIN scim_workspace_mappings m ON m.group_id = gm.group_id AND m.status = 'active'
       JOIN workspaces ws ON ws.id = m.workspace_id
     WHERE gm.user_id = ?
     UNION ALL
     SELECT g.pattern_workspace_id AS workspace_id, g.pattern_role AS role FROM scim_group_members gm
       JOIN scim_groups g ON g.id = gm.group_id
       JOIN workspaces ws ON ws.id = g.pattern_workspace_id
     WHERE gm.user_id = ?`, [userId, userId]);
  const out = new Map<string, string>();
  for (const r of rows) if ((RANK[r.role] ?? 0) > (RANK[out.get(r.workspace_id) ?? ''] ?? 0)) out.set(r.workspace_id, r.role);
  return out;
}

export async function revokeMembership(tx: Sql, workspaceId: string, userId: string, w: Writer): Promise<void> {
  await tx.run(`DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, [workspaceId, userId]);
  for (const k of await tx.all<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE workspace_id = ? AND user_id = ?`, [workspaceId, userId])) w.changed('key', k.key_hash);
  await tx.run(`DELETE FROM api_keys WHERE workspace_id = ? AND user_id = ?`, [workspaceId, userId]);
}

/** Brings each user's SCIM-granted memberships in line with its groups and active flag. */
export async function reconcileUsers(tx: Sql, organisation: string, userIds: Iterable<string>, w: Writer): Promise<void> {
  const now = new Date().toISOString();
  for (const userId of new Set(userIds)) {
    const user = await tx.get<{ active: number }>(`SELECT active FROM scim_users WHERE id = ? AND organisation_id = ?`, [userId, organisation]);
    const want = user && Number(user.active) === 1 ? await wanted(tx, userId) : new Map<string, string>();
    const current = await tx.all<{ workspace_id: string; role: string; source: string }>(`SELECT workspace_id, role, source FROM workspace_members WHERE user_id = ?`, [userId]);
    for (const c of current) {
      if (c.source !== 'scim') continue;
      const role = want.get(c.workspace_id);
      if (!role) await revokeMembership(tx, c.workspace_id, userId, w);
      else if (role !== c.role) await tx.run(`UPDATE workspace_members SET role = ?, last_updated_at = ? WHERE workspace_id = ? AND user_id = ?`, [role, now, c.workspace_id, userId]);
    }
    const held = new Set(current.map((c) => c.workspace_id));
    for (const [workspaceId, role] of want) {
      if (held.has(workspaceId)) continue;
      await tx.run(`INSERT INTO workspace_members (workspace_id, user_id, role, created_at, last_updated_at, source) VALUES (?, ?, ?, ?, ?, 'scim') ON CONFLICT (workspace_id, user_id) DO NOTHING`, [workspaceId, userId, role, now, now]);
    }
  }
}

/** Every member of a group (for reconciling after the group's mappings or name change). */
export async function groupMemberIds(tx: Sql, groupId: string): Promise<string[]> {
  return (await tx.all<{ user_id: string }>(`SELECT user_id FROM scim_group_members WHERE group_id = ?`, [groupId])).map((r) => r.user_id);
}
