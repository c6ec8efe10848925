import type { Database } from '../db/types.js';
import type { Principal, Role } from '../auth/principal.js';
import { ROLE_RANK } from '../auth/principal.js';

// The control plane's own rule for a user's principal (OIDC sessions).
export { principalForUser } from '../auth/user.js';

/** What the browser is told about who is signed in; the API enforces the same rules on every call. */
export interface SessionView {
  signed_in: true;
  name: string;
  role: Role;
  organisation: string;
  workspaces: string[];
  csrf_token: string;
  method: 'api_key' | 'password' | 'oidc';
  can_set_password: boolean;
}

/** The console's role for a principal: org admin, else the highest workspace role it holds. */
export function consoleRole(p: Principal): Role {
  if (p.orgRole === 'org_admin' && !p.boundWorkspaceId) return 'org_admin';
  let best: Role = 'member';
  for (const r of p.workspaceRoles.values()) if (ROLE_RANK[r] > ROLE_RANK[best]) best = r;
  return best;
}

/** Slugs of the workspaces a principal may open (all of them are listed by the API for org admins). */
export async function workspaceSlugs(db: Database, p: Principal): Promise<string[]> {
  const ids = p.boundWorkspaceId ? [p.boundWorkspaceId] : [...p.workspaceRoles.keys()];
  const out: string[] = [];
  for (const id of ids.slice(0, 200)) {
    const row = await db.get<{ slug: string }>(`SELECT slug FROM workspaces WHERE id = ?`, [id]);
    if (row) out.push(row.slug);
  }
  return out;
}

/** Whether a principal may read a log document of this workspace (null: the document names none). */
export function mayReadWorkspace(p: Principal, workspace: { id: string; slug: string } | null): boolean {
  if (p.orgRole === 'org_admin' && !p.boundWorkspaceId) return true;
  if (!workspace) return false;
  if (p.boundWorkspaceId) return p.boundWorkspaceId === workspace.id;
  return p.workspaceRoles.has(workspace.id);
}
