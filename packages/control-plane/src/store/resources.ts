import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/types.js';
import { conflict, isUniqueViolation, notFound } from '../http/errors.js';

/**
 * Catalog entities share one table: typed columns for what is looked up (organisation, workspace,
 * kind, slug, status, parent) and the entity's own fields as JSON. Virtual keys and providers share
 * a slug namespace, since a provider slug works wherever a virtual-key slug does.
 */
export type ResourceKind = 'integration' | 'provider' | 'virtual-key' | 'config' | 'prompt' | 'partial' | 'collection' | 'label' | 'guardrail'
  | 'secret-reference' | 'mcp-integration' | 'mcp-server' | 'usage-policy' | 'rate-policy';

export const NAMESPACE: Record<ResourceKind, string> = {
  integration: 'integration', provider: 'credential', 'virtual-key': 'credential', config: 'config', prompt: 'prompt',
  partial: 'partial', collection: 'collection', label: 'label', guardrail: 'guardrail',
  'secret-reference': 'secret-reference', 'mcp-integration': 'mcp-integration', 'mcp-server': 'mcp-server', 'usage-policy': 'usage-policy', 'rate-policy': 'rate-policy',
};

export const KIND_NAME: Record<ResourceKind, string> = {
  integration: 'Integration', provider: 'Provider', 'virtual-key': 'Virtual key', config: 'Config', prompt: 'Prompt',
  partial: 'Prompt partial', collection: 'Collection', label: 'Label', guardrail: 'Guardrail',
  'secret-reference': 'Secret reference', 'mcp-integration': 'MCP integration', 'mcp-server': 'MCP server', 'usage-policy': 'Usage limits policy', 'rate-policy': 'Rate limits policy',
};

export interface ResourceRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  kind: ResourceKind;
  namespace: string;
  slug: string;
  name: string;
  status: string;
  parent_id: string | null;
  data: string;
  secret: string | null;
  version: number;
  default_version: number;
  created_at: string;
  last_updated_at: string;
}

/** Finds by id or slug in the organisation, limited to one workspace when wsFilter is set. Org-level rows (no workspace) are visible to all. */
export async function findResource(db: Sql, organisation: string, kind: ResourceKind, idOrSlug: string, wsFilter: string | null): Promise<ResourceRow | undefined> {
  const row = await db.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND kind = ? AND (id = ? OR slug = ?)`, [organisation, kind, idOrSlug, idOrSlug]);
  if (!row) return undefined;
  if (wsFilter && row.workspace_id && row.workspace_id !== wsFilter) return undefined;
  return row;
}

export async function mustFind(db: Sql, organisation: string, kind: ResourceKind, idOrSlug: string, wsFilter: string | null, param: string | null = null): Promise<ResourceRow> {
  const row = await findResource(db, organisation, kind, idOrSlug, wsFilter);
  if (!row) throw notFound(KIND_NAME[kind], idOrSlug, param);
  return row;
}

export async function listResources(db: Sql, organisation: string, kind: ResourceKind, wsFilter: string | null, page: { limit: number; offset: number }, extra?: { where: string; params: (string | number)[] }): Promise<{ rows: ResourceRow[]; total: number }> {
  const where = [`organisation_id = ?`, `kind = ?`];
  const params: (string | number)[] = [organisation, kind];
  if (wsFilter) {
    where.push(`(workspace_id = ? OR workspace_id IS NULL)`);
    params.push(wsFilter);
  }
  if (extra) {
    where.push(extra.where);
    params.push(...extra.params);
  }
  const clause = where.join(' AND ');
  const total = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM resources WHERE ${clause}`, params);
  const rows = await db.all<ResourceRow>(`SELECT * FROM resources WHERE ${clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, [...params, page.limit, page.offset]);
  return { rows, total: Number(total?.n ?? 0) };
}

export interface NewResource {
  organisationId: string;
  workspaceId: string | null;
  kind: ResourceKind;
  slug: string;
  name: string;
  data: unknown;
  secret?: string | null;
  parentId?: string | null;
  status?: string;
  id?: string;
}

export async function insertResource(tx: Sql, r: NewResource): Promise<ResourceRow> {
  const now = new Date().toISOString();
  const id = r.id ?? randomUUID();
  try {
    await tx.run(
      `INSERT INTO resources (id, organisation_id, workspace_id, kind, namespace, slug, name, status, parent_id, data, secret, version, default_version, created_at, last_updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?)`,
      [id, r.organisationId, r.workspaceId, r.kind, NAMESPACE[r.kind], r.slug, r.name, r.status ?? 'active', r.parentId ?? null, JSON.stringify(r.data), r.secret ?? null, now, now],
    );
  } catch (e) {
    if (isUniqueViolation(e)) {
      const what = NAMESPACE[r.kind] === 'credential' ? 'A virtual key or provider' : `A ${KIND_NAME[r.kind].toLowerCase()}`;
      throw conflict(`${what} with slug "${r.slug}" already exists in this organisation; choose another slug`, 'slug');
    }
    throw e;
  }
  return (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [id]))!;
}

export async function updateResource(tx: Sql, id: string, fields: Partial<Pick<ResourceRow, 'name' | 'status' | 'data' | 'secret' | 'version' | 'default_version' | 'workspace_id'>>): Promise<ResourceRow> {
  const sets: string[] = ['last_updated_at = ?'];
  const params: (string | number | null)[] = [new Date().toISOString()];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    sets.push(`${k} = ?`);
    params.push(v as string | number | null);
  }
  await tx.run(`UPDATE resources SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
  return (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [id]))!;
}

export async function insertVersion(tx: Sql, resourceId: string, version: number, data: unknown, description: string | null = null): Promise<string> {
  const id = randomUUID();
  await tx.run(`INSERT INTO resource_versions (id, resource_id, version, data, description, label_id, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)`, [id, resourceId, version, JSON.stringify(data), description, new Date().toISOString()]);
  return id;
}

export const parse = <T = Record<string, unknown>>(text: string | null | undefined): T => (text ? JSON.parse(text) : {}) as T;

/** Slug from a name: lower-case letters, digits and dashes, with a short random tail for uniqueness. */
export function slugFrom(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'item';
  return `${base}-${randomUUID().slice(0, 6)}`;
}
