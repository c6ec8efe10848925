import { limitRuleWindow, parseValueKey, policyValueKey } from '@portico/contract';
import type { Database, SqlValue } from '../db/types.js';
import type { ResourceRow } from '../store/resources.js';
import { policyRule, type StoredPolicy } from './model.js';

/**
 * A usage-limit policy's usage per entity, from the analytics rows gateways send (each holds the
 * request's key, workspace, metadata, tokens and cost), over the window the gateways count in: from
 * the window's start (or the policy's start), and for an entity reset since then, from its reset.
 * So what /entities reports is what the gateways enforce, as far as their rows have arrived.
 * Rows of organisation-level keys (no workspace) belong to the default workspace, as their requests do.
 */
export interface EntityUsage {
  valueKey: string;
  usage: number;
}

/** Distinct entities reported at most (the largest first after sorting). */
export const MAX_ENTITIES = 10_000;

interface Filter {
  where: string[];
  params: SqlValue[];
}

function jsonField(db: Database, name: string, params: SqlValue[]): string {
  if (db.dialect === 'postgres') {
    params.push(name);
    return `(metadata::jsonb ->> ?)`;
  }
  params.push(`$."${name}"`);
  return `json_extract(metadata, ?)`;
}

/** The SQL expression of a condition / group_by key over analytics_rows. */
function fieldSql(db: Database, key: string, defaultWorkspace: string, params: SqlValue[]): string {
  if (key === 'api_key') return 'key_id';
  if (key === 'organisation_id') return 'organisation_id';
  if (key === 'workspace_id') {
    params.push(defaultWorkspace);
    return 'COALESCE(workspace_id, ?)';
  }
  return jsonField(db, key.slice('metadata.'.length), params);
}

function baseFilter(db: Database, row: ResourceRow, d: StoredPolicy, defaultWorkspace: string, since: number): Filter {
  const f: Filter = { where: ['organisation_id = ?', 'created_at >= ?'], params: [row.organisation_id, new Date(since).toISOString()] };
  const ws: SqlValue[] = [];
  f.where.push(`${fieldSql(db, 'workspace_id', defaultWorkspace, ws)} = ?`);
  f.params.push(...ws, row.workspace_id);
  for (const c of d.conditions) {
    const p: SqlValue[] = [];
    const expr = fieldSql(db, c.key, defaultWorkspace, p);
    if (c.value === '*') f.where.push(`${expr} IS NOT NULL`);
    else {
      f.where.push(`${expr} = ?`);
      p.push(c.value);
    }
    f.params.push(...p);
  }
  return f;
}

/** When counting starts in the current window: its start, or the policy's start when later. */
export function windowStartOf(row: ResourceRow, d: StoredPolicy, now: number): number {
  const rule = policyRule(row.kind, d);
  return Math.max(limitRuleWindow(rule, now).start, rule.since ?? 0);
}

export async function policyUsage(db: Database, row: ResourceRow, d: StoredPolicy, defaultWorkspace: string, now = Date.now()): Promise<EntityUsage[]> {
  const measure = d.type === 'tokens' ? 'SUM(total_tokens)' : 'SUM(cost_usd)';
  const keys = d.group_by.map((g) => g.key);
  const start = windowStartOf(row, d, now);
  const query = async (since: number, values?: string[]): Promise<EntityUsage[]> => {
    const f = baseFilter(db, row, d, defaultWorkspace, since);
    const selectParams: SqlValue[] = [];
    const groups = keys.map((k) => fieldSql(db, k, defaultWorkspace, selectParams));
    groups.forEach((g, i) => {
      const p: SqlValue[] = [];
      const expr = fieldSql(db, keys[i], defaultWorkspace, p);
      if (values) {
        f.where.push(`${expr} = ?`);
        p.push(values[i]);
      } else f.where.push(`${expr} IS NOT NULL`);
      f.params.push(...p);
    });
    const cols = groups.map((g, i) => `${g} AS g${i}`).join(', ');
    const sql = `SELECT ${cols}, ${measure} AS used FROM analytics_rows WHERE ${f.where.join(' AND ')} GROUP BY ${groups.map((_, i) => i + 1).join(', ')} LIMIT ${MAX_ENTITIES}`;
    const rows = await db.all<Record<string, unknown>>(sql, [...selectParams, ...f.params]);
    return rows.map((r) => ({ valueKey: policyValueKey(keys, keys.map((_, i) => String(r[`g${i}`]))), usage: Number(r.used ?? 0) }));
  };
  const byKey = new Map((await query(start)).map((e) => [e.valueKey, e]));
  // Entities reset inside the window count from their reset: one query each (resets are few and bounded).
  for (const [valueKey, at] of Object.entries(d.resets ?? {})) {
    const reset = Date.parse(at);
    if (!(reset > start) || !byKey.has(valueKey)) continue;
    const values = parseValueKey(keys, valueKey);
    if (!values) continue;
    const [again] = await query(reset, values);
    byKey.set(valueKey, { valueKey, usage: again?.usage ?? 0 });
  }
  return [...byKey.values()].sort((a, b) => b.usage - a.usage || (a.valueKey < b.valueKey ? -1 : 1));
}
