import type { Sql } from '../db/types.js';
import type { Principal, Role } from './principal.js';

const MEMBER_ROLE: Record<string, Role> = { admin: 'workspace_admin', manager: 'workspace_admin', member: 'member' };

/**
 * The principal of a signed-in user (for a session resolver such as the console's): organisation
 * owners and admins are org admins; members get their role in each workspace they belong to.
 */
export async function principalForUser(db: Sql, userId: string): Promise<Principal | undefined> {
  const user = await db.get<{ id: string; organisation_id: string; role: string; scim_active: number | null }>(
    `SELECT u.id, u.organisation_id, u.role, s.active AS scim_active FROM users u LEFT JOIN scim_users s ON s.id = u.id WHERE u.id = ?`, [userId]);
  if (!user) return undefined;
  // A user its identity provider deactivated (SCIM active: false) cannot sign in, the owner excepted.
  if (user.scim_active !== null && Number(user.scim_active) === 0 && user.role !== 'owner') return undefined;
  const memberships = await db.all<{ workspace_id: string; role: string }>(`SELECT workspace_id, role FROM workspace_members WHERE user_id = ?`, [user.id]);
  return {
    organisationId: user.organisation_id,
    orgRole: user.role === 'owner' || user.role === 'admin' ? 'org_admin' : 'member',
    workspaceRoles: new Map(memberships.map((m) => [m.workspace_id, MEMBER_ROLE[m.role] ?? 'member'])),
    scopes: null,
    actorType: 'user',
    actorId: user.id,
    userId: user.id,
  };
}
