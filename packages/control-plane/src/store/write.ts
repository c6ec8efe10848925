import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/types.js';
import type { SyncEntityKind } from '@portico/contract';
import type { Ctx } from '../http/router.js';

/**
 * Every admin change goes through write(): one transaction holds the change itself, its audit-log
 * row and its sync change-log rows (with the organisation's new sync version), so nothing is stored
 * half-way and gateways see exactly what was committed. Gateways are woken after the commit.
 */
export interface Writer {
  /** Marks an entity the gateways serve as changed; ref is the key's hash, a virtual key's slug, or the id. */
  changed(kind: SyncEntityKind, ref: string): void;
  /** What the audit row names (defaults: the route's resource and the path's first parameter). */
  subject(resourceId: string, workspaceId?: string | null): void;
}

export async function bumpSyncVersion(tx: Sql, organisation: string, refs: Array<{ kind: SyncEntityKind; ref: string }>): Promise<number | undefined> {
  if (refs.length === 0) return undefined;
  await tx.run(`UPDATE organisations SET sync_version = sync_version + 1 WHERE id = ?`, [organisation]);
  const row = await tx.get<{ sync_version: number }>(`SELECT sync_version FROM organisations WHERE id = ?`, [organisation]);
  const version = Number(row!.sync_version);
  const now = new Date().toISOString();
  const unique = [...new Map(refs.map((r) => [`${r.kind}\u0000${r.ref}`, r])).values()];
  let seq = 0;
  for (const r of unique) {
    await tx.run(`INSERT INTO change_log (organisation_id, version, seq, kind, ref, created_at) VALUES (?, ?, ?, ?, ?, ?)`, [organisation, version, seq++, r.kind, r.ref, now]);
  }
  return version;
}

export async function write<T>(ctx: Ctx, resource: string, fn: (tx: Sql, w: Writer) => Promise<T>): Promise<T> {
  const organisation = ctx.principal.organisationId;
  const refs: Array<{ kind: SyncEntityKind; ref: string }> = [];
  let subjectId: string | null = Object.values(ctx.params)[0] ?? null;
  let subjectWorkspace: string | null = ctx.ws?.id ?? ctx.principal.boundWorkspaceId ?? null;
  const writer: Writer = {
    changed: (kind, ref) => refs.push({ kind, ref }),
    subject: (id, workspaceId) => {
      subjectId = id;
      if (workspaceId !== undefined) subjectWorkspace = workspaceId;
    },
  };
  let version: number | undefined;
  const result = await ctx.services.db.transaction(async (tx) => {
    const out = await fn(tx, writer);
    version = await bumpSyncVersion(tx, organisation, refs);
    const action = ctx.method === 'POST' ? 'create' : ctx.method === 'DELETE' ? 'delete' : 'update';
    await tx.run(
      `INSERT INTO audit_log (id, organisation_id, workspace_id, actor_type, actor_id, action, resource_type, resource_id, method, path, request_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [randomUUID(), organisation, subjectWorkspace, ctx.principal.actorType, ctx.principal.actorId, action, resource, subjectId, ctx.method, ctx.path, ctx.requestId, new Date().toISOString()],
    );
    return out;
  });
  if (version !== undefined) ctx.services.feed.notify(organisation, version);
  return result;
}
