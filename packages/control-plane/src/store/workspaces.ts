import type { Principal } from '../auth/principal.js';
import type { Database, Sql } from '../db/types.js';
import { forbidden, notFound } from '../http/errors.js';
import type { WorkspaceScope } from '../http/router.js';

export interface WorkspaceRow {
  id: string;
  organisation_id: string;
  slug: string;
  name: string;
  description: string | null;
  is_default: number;
  defaults: string;
  usage_limits: string;
  rate_limits: string;
  created_at: string;
  last_updated_at: string;
}

export async function findWorkspace(db: Sql, organisation: string, idOrSlug: string): Promise<WorkspaceRow | undefined> {
  return db.get<WorkspaceRow>(`SELECT * FROM workspaces WHERE organisation_id = ? AND (id = ? OR slug = ?)`, [organisation, idOrSlug, idOrSlug]);
}

export async function defaultWorkspace(db: Sql, organisation: string): Promise<WorkspaceRow> {
  const row = await db.get<WorkspaceRow>(`SELECT * FROM workspaces WHERE organisation_id = ? AND is_default = 1`, [organisation]);
  if (!row) throw new Error(`organisation ${organisation} has no default workspace`);
  return row;
}

/**
 * The workspace a request acts in. A workspace key acts only in its own (naming another is refused);
 * an org admin acts in the one it names, else in the default workspace, as with Portkey's
 * organisation keys.
 */
export async function resolveWorkspace(db: Database, p: Principal, requested: string | undefined): Promise<WorkspaceScope> {
  if (p.boundWorkspaceId) {
    if (requested) {
      const ws = await findWorkspace(db, p.organisationId, requested);
      if (!ws || ws.id !== p.boundWorkspaceId) throw forbidden(`workspace_id "${requested}" is not this key's workspace; a workspace key acts only in its own workspace`, 'wrong_workspace');
    }
    return { id: p.boundWorkspaceId, filter: p.boundWorkspaceId, named: Boolean(requested) };
  }
  if (requested) {
    const ws = await findWorkspace(db, p.organisationId, requested);
    if (!ws) throw notFound('Workspace', requested, 'workspace_id');
    return { id: ws.id, filter: ws.id, named: true };
  }
  const ws = await defaultWorkspace(db, p.organisationId);
  // A signed-in member outside the default workspace acts in the first workspace it belongs to.
  if (p.orgRole !== 'org_admin' && !p.workspaceRoles.has(ws.id) && p.workspaceRoles.size > 0) {
    const first = [...p.workspaceRoles.keys()][0];
    return { id: first, filter: first, named: false };
  }
  return { id: ws.id, filter: ws.id, named: false };
}

/**
 * For what Portkey treats as organisation-wide (API keys, analytics): an org admin that named no
 * workspace sees the whole organisation (null); everyone else sees the request's workspace.
 */
export function orgWideFilter(p: Principal, ws: WorkspaceScope): string | null {
  return p.orgRole === 'org_admin' && !p.boundWorkspaceId && !ws.named ? null : ws.filter;
}
