import type { Database } from '../db/types.js';
import type { Principal } from '../auth/principal.js';
import { invalid } from '../http/errors.js';

/**
 * Feedback given on a trace, for the log detail. Portkey's API only takes feedback in (POST /feedback),
 * so the console reads it here, limited to the workspaces the principal may see.
 */
export async function feedbackForTrace(db: Database, p: Principal, traceId: string | null) {
  if (!traceId || traceId.length > 200) throw invalid('Query parameter trace_id is required (at most 200 characters)', 'trace_id', 'missing_parameter');
  const rows = await db.all<{ id: string; workspace_id: string | null; trace_id: string; value: number; weight: number; metadata: string; created_at: string }>(
    `SELECT id, workspace_id, trace_id, value, weight, metadata, created_at FROM feedback WHERE organisation_id = ? AND trace_id = ? ORDER BY created_at DESC LIMIT 100`,
    [p.organisationId, traceId],
  );
  const everything = p.orgRole === 'org_admin' && !p.boundWorkspaceId;
  const visible = rows.filter((r) => everything || (r.workspace_id !== null && (p.boundWorkspaceId ? r.workspace_id === p.boundWorkspaceId : p.workspaceRoles.has(r.workspace_id))));
  return {
    object: 'list',
    total: visible.length,
    data: visible.map((r) => ({ id: r.id, trace_id: r.trace_id, value: Number(r.value), weight: Number(r.weight), metadata: safeJson(r.metadata), created_at: r.created_at })),
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
