import type { AnalyticsBatch, AnalyticsRow } from '@portico/contract';
import { invalid } from '../http/errors.js';
import type { Database, Sql, SqlValue } from '../db/types.js';
import { latencyBucket, latencyBucketSql } from './latency-histogram.js';

/**
 * Analytics rows from gateways, stored idempotently: the primary key is (organisation, row id) and
 * every insert is a multi-row INSERT … ON CONFLICT DO NOTHING, so a batch delivered twice stores each
 * row once and the answer says how many were new.
 */
/**
 * Rows are checked by hand rather than with zod: a batch holds thousands of rows, and this loop is
 * several times cheaper per row, which is most of what ingestion costs besides the INSERT itself.
 */
type Check = (v: unknown) => string | undefined;
const text = (max: number, nullable = false): Check => (v) =>
  v === null && nullable ? undefined : typeof v !== 'string' ? `must be a string${nullable ? ' or null' : ''}` : v.length > max ? `must be at most ${max} characters` : undefined;
const number = (min: number, max: number, integer: boolean, nullable = false): Check => (v) =>
  v === null && nullable ? undefined : typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v)) ? `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}${nullable ? ' or null' : ''}` : undefined;
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const COUNT = number(0, 1e12, true);

/** The cache outcomes a row may carry, as the gateway's log document names them. */
const CACHE_STATUSES = new Set(['DISABLED', 'MISS', 'HIT', 'REFRESH', 'SEMANTIC HIT', 'SEMANTIC MISS']);

const ROW_FIELDS: Record<keyof AnalyticsRow, Check> = {
  id: (v) => text(128)(v) ?? ((v as string).length === 0 ? 'must not be empty' : undefined),
  organisation: (v) => text(128)(v) ?? ((v as string).length === 0 ? 'must not be empty' : undefined),
  workspace: text(128, true), key_id: text(128, true), trace_id: text(256),
  created_at: (v) => (typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an ISO-8601 time such as 2026-01-31T12:00:00.000Z'),
  endpoint: text(256), provider: text(128, true), model: text(256, true), virtual_key: text(256, true), config_id: text(256, true), prompt_id: text(256, true),
  status: number(0, 999, true), latency_ms: number(0, 1e9, false), first_byte_ms: number(0, 1e9, false, true),
  prompt_tokens: COUNT, completion_tokens: COUNT, total_tokens: COUNT, cached_tokens: COUNT, cost_usd: number(0, 1e9, false),
  cache_status: (v) => (typeof v === 'string' && CACHE_STATUSES.has(v) ? undefined : `must be one of ${[...CACHE_STATUSES].join(', ')}`),
  retries: number(0, 1000, true), rescued: bool, stream: bool, error_code: text(256, true), user: text(256, true),
  metadata: (v) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return 'must be an object of strings';
    const entries = Object.entries(v);
    if (entries.length > 64) return 'must have at most 64 keys';
    for (const [k, x] of entries) if (k.length > 128 || typeof x !== 'string' || x.length > 1024) return `.${k} must be a string of at most 1024 characters (keys at most 128)`;
    return undefined;
  },
};
const FIELD_NAMES = Object.keys(ROW_FIELDS) as Array<keyof AnalyticsRow>;
export const MAX_BATCH_ROWS = 10_000;

/** Checks a batch; throws a 400 naming the first bad row and field. Unknown fields (such as a body) are refused. */
export function parseAnalyticsBatch(body: unknown): AnalyticsBatch {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('The body must be an analytics batch: {"gateway": "...", "rows": [...]}', null);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'gateway' && k !== 'rows') throw invalid(`Unknown field "${k}" in the batch; send only gateway and rows`, k, 'unknown_field');
  if (typeof b.gateway !== 'string' || b.gateway.length > 256) throw invalid('gateway must be the sending gateway\'s id (a string of at most 256 characters)', 'gateway');
  if (!Array.isArray(b.rows)) throw invalid('rows must be an array of analytics rows', 'rows');
  if (b.rows.length > MAX_BATCH_ROWS) throw invalid(`rows: at most ${MAX_BATCH_ROWS} rows per batch`, 'rows');
  for (let i = 0; i < b.rows.length; i++) {
    const row = b.rows[i] as Record<string, unknown>;
    if (!row || typeof row !== 'object' || Array.isArray(row)) throw invalid(`rows.${i} must be an object`, `rows.${i}`);
    let known = 0;
    for (const f of FIELD_NAMES) {
      if (!(f in row)) throw invalid(`rows.${i}.${f} is missing`, `rows.${i}.${f}`);
      known++;
      const problem = ROW_FIELDS[f](row[f]);
      if (problem) throw invalid(`rows.${i}.${f} ${problem}`, `rows.${i}.${f}`);
    }
    if (Object.keys(row).length !== known) {
      const extra = Object.keys(row).find((k) => !(k in ROW_FIELDS))!;
      throw invalid(`Unknown field "rows.${i}.${extra}": an analytics row holds no request or response content; remove it`, `rows.${i}.${extra}`, 'unknown_field');
    }
  }
  return b as unknown as AnalyticsBatch;
}

const COLUMNS = [
  'id', 'organisation_id', 'workspace_id', 'key_id', 'trace_id', 'created_at', 'endpoint', 'provider', 'model', 'virtual_key', 'config_id', 'prompt_id',
  'status', 'latency_ms', 'first_byte_ms', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'cost_usd', 'cache_status',
  'retries', 'rescued', 'stream', 'error_code', 'user_id', 'metadata', 'received_at',
];

function values(r: AnalyticsRow, receivedAt: string): SqlValue[] {
  return [
    r.id, r.organisation, r.workspace, r.key_id, r.trace_id, new Date(r.created_at).toISOString(), r.endpoint, r.provider, r.model, r.virtual_key,
    r.config_id, r.prompt_id, r.status, r.latency_ms, r.first_byte_ms, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cached_tokens,
    r.cost_usd, r.cache_status, r.retries, r.rescued ? 1 : 0, r.stream ? 1 : 0, r.error_code, r.user, JSON.stringify(r.metadata), receivedAt,
  ];
}

/** The contract's row fields with their PostgreSQL types, as json_to_recordset reads them. */
const PG_RECORD = [
  'id text', 'organisation text', 'workspace text', 'key_id text', 'trace_id text', 'created_at text', 'endpoint text', 'provider text', 'model text',
  'virtual_key text', 'config_id text', 'prompt_id text', 'status integer', 'latency_ms double precision', 'first_byte_ms double precision',
  'prompt_tokens bigint', 'completion_tokens bigint', 'total_tokens bigint', 'cached_tokens bigint', 'cost_usd double precision', 'cache_status text',
  'retries integer', 'rescued boolean', 'stream boolean', 'error_code text', '"user" text', 'metadata json',
].join(', ');
const PG_SELECT = [
  'r.id', 'r.organisation', 'r.workspace', 'r.key_id', 'r.trace_id', 'r.created_at', 'r.endpoint', 'r.provider', 'r.model', 'r.virtual_key', 'r.config_id',
  'r.prompt_id', 'r.status', 'r.latency_ms', 'r.first_byte_ms', 'r.prompt_tokens', 'r.completion_tokens', 'r.total_tokens', 'r.cached_tokens', 'r.cost_usd',
  'r.cache_status', 'r.retries', 'r.rescued::int', 'r.stream::int', 'r.error_code', 'r."user"', 'r.metadata::text', '?',
].join(', ');
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * On PostgreSQL a batch is one statement with two parameters: the rows as JSON, expanded by
 * json_to_recordset on the server. When the gateway sent its times in canonical form (it does:
 * toISOString), the request's own JSON text is passed through, so nothing is serialised again.
 */
async function insertPostgres(db: Database, rows: AnalyticsRow[], receivedAt: string, batchJson: string | undefined): Promise<number> {
  const canonical = rows.every((r) => CANONICAL_TIME.test(r.created_at));
  const json = canonical && batchJson !== undefined ? batchJson : JSON.stringify({ rows: canonical ? rows : rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() })) });
  // The new rows (not the duplicates) are added to the hourly rollup in the same statement, so the
  // rollup always holds exactly the stored rows.
  const stored = await db.get<{ n: number }>(
    `WITH ins AS (INSERT INTO analytics_rows (${COLUMNS.join(',')}) SELECT ${PG_SELECT} FROM json_to_recordset((?::json) -> 'rows') AS r(${PG_RECORD})
       ON CONFLICT (organisation_id, id) DO NOTHING RETURNING ${ROLLUP_SOURCE}),
     up AS (${ROLLUP_UPSERT_FROM('ins')}),
     hist AS (${HISTOGRAM_UPSERT_FROM('ins', 'hour')}),
     daily AS (${HISTOGRAM_UPSERT_FROM('ins', 'day')})
     SELECT COUNT(*) AS n FROM ins`,
    [receivedAt, json],
  );
  return Number(stored?.n ?? 0);
}

/** What the hourly rollup needs of each new row. */
const ROLLUP_SOURCE = 'organisation_id, workspace_id, created_at, provider, model, status, cache_status, cost_usd, total_tokens, latency_ms, rescued';
const ROLLUP_KEY = 'organisation_id, hour, workspace_id, provider, model, status, cache_status';
const ROLLUP_COLUMNS = 'organisation_id, workspace_id, hour, provider, model, status, cache_status, requests, cost_usd, total_tokens, latency_ms, rescued';
const ROLLUP_ADD = `ON CONFLICT (${ROLLUP_KEY}) DO UPDATE SET requests = analytics_hourly.requests + excluded.requests, cost_usd = analytics_hourly.cost_usd + excluded.cost_usd,
  total_tokens = analytics_hourly.total_tokens + excluded.total_tokens, latency_ms = analytics_hourly.latency_ms + excluded.latency_ms, rescued = analytics_hourly.rescued + excluded.rescued`;
// Sorted by the key, so concurrent batches lock rollup rows in the same order and cannot deadlock.
const ROLLUP_UPSERT_FROM = (source: string) =>
  `INSERT INTO analytics_hourly (${ROLLUP_COLUMNS}) SELECT organisation_id, COALESCE(workspace_id, ''), substr(created_at, 1, 13), COALESCE(provider, ''), COALESCE(model, ''), status, cache_status,
     COUNT(*), SUM(cost_usd), SUM(total_tokens), SUM(latency_ms), SUM(rescued) FROM ${source} GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 3, 2, 4, 5, 6, 7 ${ROLLUP_ADD}`;

// The latency histogram per rollup key (less the cache status, which no filter names) and log bucket,
// per hour and per day (the day level serves ranges over two days: a day per key instead of 24 hours).
const HISTOGRAM = {
  hour: { table: 'analytics_hourly_latency', period: 'hour', length: 13 },
  day: { table: 'analytics_daily_latency', period: 'day', length: 10 },
} as const;
type HistogramLevel = keyof typeof HISTOGRAM;
const histogramColumns = (level: HistogramLevel) => `organisation_id, ${HISTOGRAM[level].period}, workspace_id, provider, model, status, bucket, count`;
const histogramAdd = (level: HistogramLevel) => {
  const { table, period } = HISTOGRAM[level];
  return `ON CONFLICT (organisation_id, ${period}, workspace_id, provider, model, status, bucket) DO UPDATE SET count = ${table}.count + excluded.count`;
};
export const HISTOGRAM_UPSERT_FROM = (source: string, level: HistogramLevel) =>
  `INSERT INTO ${HISTOGRAM[level].table} (${histogramColumns(level)}) SELECT organisation_id, substr(created_at, 1, ${HISTOGRAM[level].length}), COALESCE(workspace_id, ''), COALESCE(provider, ''),
     COALESCE(model, ''), status, ${latencyBucketSql('latency_ms')}, COUNT(*) FROM ${source} GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7 ${histogramAdd(level)}`;

interface NewRow { organisation_id: string; workspace_id: string | null; created_at: string; provider: string | null; model: string | null; status: number; cache_status: string; cost_usd: number; total_tokens: number; latency_ms: number; rescued: number }

/** SQLite: the new rows, summed per rollup key here, then added to the rollup in the same transaction. */
async function addToRollup(tx: Sql, rows: NewRow[]): Promise<void> {
  const sums = new Map<string, SqlValue[]>();
  for (const r of rows) {
    const key: SqlValue[] = [r.organisation_id, r.workspace_id ?? '', r.created_at.slice(0, 13), r.provider ?? '', r.model ?? '', r.status, r.cache_status];
    const k = JSON.stringify(key);
    const s = sums.get(k) ?? sums.set(k, [...key, 0, 0, 0, 0, 0]).get(k)!;
    (s[7] as number)++;
    (s[8] as number) += r.cost_usd;
    (s[9] as number) += r.total_tokens;
    (s[10] as number) += r.latency_ms;
    (s[11] as number) += r.rescued;
  }
  const all = [...sums.values()];
  for (let i = 0; i < all.length; i += 1_000) {
    const chunk = all.slice(i, i + 1_000);
    await tx.run(`INSERT INTO analytics_hourly (${ROLLUP_COLUMNS}) VALUES ${chunk.map(() => '(?,?,?,?,?,?,?,?,?,?,?,?)').join(',')} ${ROLLUP_ADD}`, chunk.flat());
  }
  for (const level of ['hour', 'day'] as const) await addToHistogram(tx, rows, level);
}

async function addToHistogram(tx: Sql, rows: NewRow[], level: HistogramLevel): Promise<void> {
  const counts = new Map<string, SqlValue[]>();
  for (const r of rows) {
    const key: SqlValue[] = [r.organisation_id, r.created_at.slice(0, HISTOGRAM[level].length), r.workspace_id ?? '', r.provider ?? '', r.model ?? '', r.status, latencyBucket(r.latency_ms)];
    const k = JSON.stringify(key);
    const c = counts.get(k) ?? counts.set(k, [...key, 0]).get(k)!;
    (c[7] as number)++;
  }
  const hist = [...counts.values()];
  for (let i = 0; i < hist.length; i += 1_000) {
    const chunk = hist.slice(i, i + 1_000);
    await tx.run(`INSERT INTO ${HISTOGRAM[level].table} (${histogramColumns(level)}) VALUES ${chunk.map(() => '(?,?,?,?,?,?,?,?)').join(',')} ${histogramAdd(level)}`, chunk.flat());
  }
}

/**
 * Stores rows; resolves to how many were new (the rest were already stored). batchJson, when given,
 * is the JSON text of a checked batch holding exactly these rows ({"gateway", "rows"}).
 */
export async function insertAnalytics(db: Database, rows: AnalyticsRow[], batchJson?: string): Promise<number> {
  if (rows.length === 0) return 0;
  const receivedAt = new Date().toISOString();
  if (db.dialect === 'postgres') return insertPostgres(db, rows, receivedAt, batchJson);
  const perStatement = Math.max(1, Math.min(2_000, Math.floor(db.maxParams / COLUMNS.length)));
  const one = `(${COLUMNS.map(() => '?').join(',')})`;
  let inserted = 0;
  await db.transaction(async (tx) => {
    const fresh: NewRow[] = [];
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const params: SqlValue[] = [];
      for (const r of chunk) params.push(...values(r, receivedAt));
      fresh.push(...await tx.all<NewRow>(
        `INSERT INTO analytics_rows (${COLUMNS.join(',')}) VALUES ${chunk.map(() => one).join(',')} ON CONFLICT (organisation_id, id) DO NOTHING RETURNING ${ROLLUP_SOURCE}`,
        params,
      ));
    }
    inserted = fresh.length;
    await addToRollup(tx, fresh);
  });
  return inserted;
}
