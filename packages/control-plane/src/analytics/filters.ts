import type { Database, SqlValue } from '../db/types.js';
import { invalid } from '../http/errors.js';

/**
 * Portkey's analytics filters as SQL over analytics_rows: a time range (default the last 7 days),
 * the workspace, tokens, cost (in cents), status codes, virtual keys, configs, API keys, metadata,
 * provider__model pairs, trace ids and prompt slugs. Values are always bound, never spliced.
 */
export interface Filter {
  where: string;
  params: SqlValue[];
  from: Date;
  to: Date;
  /** 'hour' buckets up to two days, else 'day'. */
  bucket: 'hour' | 'day';
  /**
   * The conditions other than organisation and time, when each is on a column the hourly rollup
   * keeps (workspace, status, provider and model); undefined when the filter needs the raw rows.
   */
  dims?: { where: string; params: SqlValue[] };
}

/** Filters the hourly rollup can answer: they name only columns it is keyed by. */
const ROLLUP_FILTERS = new Set(['workspace_slug', 'workspace_id', 'time_of_generation_min', 'time_of_generation_max', 'status_code', 'ai_org_model', 'current_page', 'page_size']);

const KNOWN = new Set([
  'workspace_slug', 'workspace_id', 'time_of_generation_min', 'time_of_generation_max', 'total_units_min', 'total_units_max', 'cost_min', 'cost_max',
  'prompt_token_min', 'prompt_token_max', 'completion_token_min', 'completion_token_max', 'status_code', 'virtual_keys', 'configs', 'api_key_ids',
  'metadata', 'ai_org_model', 'trace_id', 'prompt_slug', 'current_page', 'page_size',
]);
const UNSUPPORTED: Record<string, string> = {
  weighted_feedback_min: 'rows are not joined with feedback for filtering', weighted_feedback_max: 'rows are not joined with feedback for filtering',
  span_id: 'Portico records traces, not spans',
};
const MAX_DAYS = 366;

export function metadataExpr(db: Database): string {
  // The key is bound as a parameter in both forms; only the JSON path syntax differs.
  return db.dialect === 'postgres' ? `(metadata::json ->> ?)` : `json_extract(metadata, ?)`;
}
export const metadataParam = (db: Database, key: string) => (db.dialect === 'postgres' ? key : `$."${key.replace(/"/g, '')}"`);

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean).slice(0, 100);

function num(q: URLSearchParams, name: string, integer: boolean): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw invalid(`${name} must be ${integer ? 'a whole number' : 'a number'} of 0 or more`, name);
  return n;
}

function time(q: URLSearchParams, name: string): Date | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw invalid(`${name} must be an ISO-8601 time such as 2026-02-23T14:20:31+05:30`, name);
  return d;
}

export function buildFilter(db: Database, q: URLSearchParams, organisation: string, workspace: string | null): Filter {
  for (const k of q.keys()) {
    if (UNSUPPORTED[k]) throw invalid(`${k} is not supported: ${UNSUPPORTED[k]}`, k, 'unsupported_filter');
    if (!KNOWN.has(k)) throw invalid(`Unknown analytics filter "${k}"`, k, 'unknown_field');
  }
  const to = time(q, 'time_of_generation_max') ?? new Date();
  const from = time(q, 'time_of_generation_min') ?? new Date(to.getTime() - 7 * 86_400_000);
  if (from >= to) throw invalid('time_of_generation_min must be before time_of_generation_max', 'time_of_generation_min');
  if (to.getTime() - from.getTime() > MAX_DAYS * 86_400_000) throw invalid(`The time range may span at most ${MAX_DAYS} days`, 'time_of_generation_min');
  const where = ['organisation_id = ?', 'created_at >= ?', 'created_at <= ?'];
  const params: SqlValue[] = [organisation, from.toISOString(), to.toISOString()];
  const add = (sql: string, ...p: SqlValue[]) => {
    where.push(sql);
    params.push(...p);
  };
  if (workspace) add('workspace_id = ?', workspace);
  const ranges: Array<[string, string, boolean, number]> = [
    ['total_units', 'total_tokens', true, 1], ['cost', 'cost_usd', false, 0.01], ['prompt_token', 'prompt_tokens', true, 1], ['completion_token', 'completion_tokens', true, 1],
  ];
  for (const [name, column, integer, scale] of ranges) {
    const min = num(q, `${name}_min`, integer);
    const max = num(q, `${name}_max`, integer);
    if (min !== undefined) add(`${column} >= ?`, min * scale);
    if (max !== undefined) add(`${column} <= ?`, max * scale);
  }
  const inList = (param: string, sql: (n: number) => string, map: (v: string) => SqlValue = (v) => v) => {
    const v = q.get(param);
    if (v === null) return;
    const items = list(v);
    if (items.length === 0) throw invalid(`${param} must be a comma-separated list`, param);
    add(sql(items.length), ...items.map(map));
  };
  const marks = (n: number) => Array(n).fill('?').join(',');
  inList('status_code', (n) => `status IN (${marks(n)})`, (s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 100 || n > 599) throw invalid(`status_code "${s}" is not an HTTP status`, 'status_code');
    return n;
  });
  inList('virtual_keys', (n) => `virtual_key IN (${marks(n)})`);
  inList('configs', (n) => `config_id IN (${marks(n)})`);
  inList('api_key_ids', (n) => `key_id IN (${marks(n)})`);
  inList('trace_id', (n) => `trace_id IN (${marks(n)})`);
  inList('prompt_slug', (n) => `prompt_id IN (${marks(n)})`);
  const models = q.get('ai_org_model');
  if (models !== null) {
    const pairs = list(models).map((m) => {
      const [provider, ...rest] = m.split('__');
      if (!provider || rest.length === 0) throw invalid(`ai_org_model "${m}" must be provider__model, e.g. openai__gpt-4o`, 'ai_org_model');
      return [provider, rest.join('__')];
    });
    add(`(${pairs.map(() => '(provider = ? AND model = ?)').join(' OR ')})`, ...pairs.flat());
  }
  const meta = q.get('metadata');
  if (meta !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(meta);
    } catch {
      throw invalid('metadata must be a JSON object of key/value pairs, e.g. {"team":"search"}', 'metadata');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('metadata must be a JSON object of key/value pairs', 'metadata');
    for (const [k, v] of Object.entries(parsed).slice(0, 20)) add(`${metadataExpr(db)} = ?`, metadataParam(db, k), String(v));
  }
  const bucket = to.getTime() - from.getTime() <= 2 * 86_400_000 ? 'hour' : 'day';
  // The rollup stores a missing provider or model as '': a filter asking for '' must read the rows.
  const rollupable = [...q.keys()].every((k) => ROLLUP_FILTERS.has(k)) && !(models ?? '').split(',').some((m) => m.trim() && m.trim().endsWith('__'));
  const dims = rollupable ? { where: where.slice(3).join(' AND ') || '1 = 1', params: params.slice(3) } : undefined;
  return { where: where.join(' AND '), params, from, to, bucket, dims };
}

/** SQL for a row's bucket label (ISO prefix) and the buckets the range covers, oldest first. */
export function bucketSql(f: Filter): string {
  return f.bucket === 'hour' ? 'substr(created_at, 1, 13)' : 'substr(created_at, 1, 10)';
}

export function bucketLabels(f: Filter): string[] {
  const step = f.bucket === 'hour' ? 3_600_000 : 86_400_000;
  const len = f.bucket === 'hour' ? 13 : 10;
  const start = Math.floor(f.from.getTime() / step) * step;
  const out: string[] = [];
  for (let t = start; t <= f.to.getTime(); t += step) out.push(new Date(t).toISOString().slice(0, len));
  return out;
}

export const bucketTimestamp = (label: string) => (label.length === 13 ? `${label}:00:00.000Z` : `${label}T00:00:00.000Z`);
