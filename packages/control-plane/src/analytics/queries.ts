import type { Database } from '../db/types.js';
import { bucketLabels, bucketSql, bucketTimestamp, metadataExpr, metadataParam, type Filter } from './filters.js';

/**
 * Aggregates over analytics rows for Portkey's graphs, groups and summaries. Costs are reported in
 * cents, latencies in milliseconds, rates in percent, rounded to whole numbers as Portkey's document
 * types them.
 */
export interface Aggregate {
  requests: number;
  cost: number;
  tokens: number;
  avgLatency: number;
  errors: number;
  hits: number;
  hitLatency: number;
  missLatency: number;
  users: number;
  rescued: number;
  hitCost: number;
}

const AGGREGATES = `COUNT(*) AS requests, COALESCE(SUM(cost_usd), 0) AS cost, COALESCE(SUM(total_tokens), 0) AS tokens, COALESCE(AVG(latency_ms), 0) AS avg_latency,
  SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors, SUM(CASE WHEN cache_status = 'HIT' THEN 1 ELSE 0 END) AS hits,
  AVG(CASE WHEN cache_status = 'HIT' THEN latency_ms END) AS hit_latency, AVG(CASE WHEN cache_status <> 'HIT' THEN latency_ms END) AS miss_latency,
  COUNT(DISTINCT user_id) AS users, SUM(rescued) AS rescued, COALESCE(SUM(CASE WHEN cache_status = 'HIT' THEN cost_usd END), 0) AS hit_cost`;

interface AggRow {
  b?: string;
  requests: number;
  cost: number;
  tokens: number;
  avg_latency: number;
  errors: number | null;
  hits: number | null;
  hit_latency: number | null;
  miss_latency: number | null;
  users: number;
  rescued: number | null;
  hit_cost: number;
}

const toAgg = (r: AggRow | undefined): Aggregate => ({
  requests: Number(r?.requests ?? 0), cost: Number(r?.cost ?? 0), tokens: Number(r?.tokens ?? 0), avgLatency: Number(r?.avg_latency ?? 0), errors: Number(r?.errors ?? 0),
  hits: Number(r?.hits ?? 0), hitLatency: Number(r?.hit_latency ?? 0), missLatency: Number(r?.miss_latency ?? 0), users: Number(r?.users ?? 0), rescued: Number(r?.rescued ?? 0),
  hitCost: Number(r?.hit_cost ?? 0),
});

export async function aggregate(db: Database, f: Filter): Promise<{ summary: Aggregate; points: Array<{ timestamp: string; agg: Aggregate }> }> {
  const summary = toAgg(await db.get<AggRow>(`SELECT ${AGGREGATES} FROM analytics_rows WHERE ${f.where}`, f.params));
  const rows = await db.all<AggRow>(`SELECT ${bucketSql(f)} AS b, ${AGGREGATES} FROM analytics_rows WHERE ${f.where} GROUP BY ${bucketSql(f)}`, f.params);
  const byBucket = new Map(rows.map((r) => [r.b!, toAgg(r)]));
  return { summary, points: bucketLabels(f).map((b) => ({ timestamp: bucketTimestamp(b), agg: byBucket.get(b) ?? toAgg(undefined) })) };
}

const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const MAX_LATENCY_SAMPLES = 200_000;

/** Latency percentiles overall and per bucket: percentile_cont on PostgreSQL, a bounded sample sorted here on SQLite. */
export async function latencyPercentiles(db: Database, f: Filter): Promise<{ summary: number[]; byBucket: Map<string, number[]> }> {
  if (db.dialect === 'postgres') {
    const pct = `percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99`;
    const all = await db.get<{ p50: number; p90: number; p99: number }>(`SELECT ${pct} FROM analytics_rows WHERE ${f.where}`, f.params);
    const rows = await db.all<{ b: string; p50: number; p90: number; p99: number }>(`SELECT ${bucketSql(f)} AS b, ${pct} FROM analytics_rows WHERE ${f.where} GROUP BY ${bucketSql(f)}`, f.params);
    return { summary: [all?.p50 ?? 0, all?.p90 ?? 0, all?.p99 ?? 0].map(Number), byBucket: new Map(rows.map((r) => [r.b, [r.p50, r.p90, r.p99].map(Number)])) };
  }
  const rows = await db.all<{ b: string; l: number }>(`SELECT ${bucketSql(f)} AS b, latency_ms AS l FROM analytics_rows WHERE ${f.where} ORDER BY latency_ms LIMIT ${MAX_LATENCY_SAMPLES}`, f.params);
  const all = rows.map((r) => r.l);
  const groups = new Map<string, number[]>();
  for (const r of rows) (groups.get(r.b) ?? groups.set(r.b, []).get(r.b)!).push(r.l);
  const byBucket = new Map([...groups].map(([b, ls]) => [b, [0.5, 0.9, 0.99].map((q) => quantile(ls, q))]));
  return { summary: [0.5, 0.9, 0.99].map((q) => quantile(all, q)), byBucket };
}

export async function statusCodes(db: Database, f: Filter): Promise<Array<{ status_code: number; count: number }>> {
  const rows = await db.all<{ status: number; n: number }>(`SELECT status, COUNT(*) AS n FROM analytics_rows WHERE ${f.where} AND status >= 400 GROUP BY status ORDER BY n DESC`, f.params);
  return rows.map((r) => ({ status_code: Number(r.status), count: Number(r.n) }));
}

/** Requests grouped by a column or a metadata key, busiest first. */
export async function groupBy(db: Database, f: Filter, by: { column: string } | { metadataKey: string }, page: { limit: number; offset: number }) {
  const expr = 'column' in by ? by.column : metadataExpr(db);
  const exprParams = 'column' in by ? [] : [metadataParam(db, by.metadataKey)];
  const sql = `SELECT ${expr} AS g, COUNT(*) AS requests, COALESCE(SUM(cost_usd), 0) AS cost, COALESCE(AVG(total_tokens), 0) AS avg_tokens, MAX(created_at) AS last_seen
    FROM analytics_rows WHERE ${f.where} AND ${expr} IS NOT NULL GROUP BY 1 ORDER BY requests DESC, g LIMIT ? OFFSET ?`;
  // GROUP BY 1: a bound metadata key makes two spellings of the expression differ to PostgreSQL.
  const params = [...exprParams, ...f.params, ...exprParams, page.limit, page.offset];
  const rows = await db.all<{ g: string; requests: number; cost: number; avg_tokens: number; last_seen: string }>(sql, params);
  const total = await db.get<{ n: number }>(`SELECT COUNT(DISTINCT ${expr}) AS n FROM analytics_rows WHERE ${f.where}`, [...exprParams, ...f.params]);
  return { total: Number(total?.n ?? 0), rows: rows.map((r) => ({ group: String(r.g), requests: Number(r.requests), costCents: Number(r.cost) * 100, avgTokens: Number(r.avg_tokens), lastSeen: r.last_seen })) };
}

/** Feedback in the range (by its own time), optionally only for traces the row filter selects. */
export async function feedbackStats(db: Database, f: Filter, organisation: string, workspace: string | null) {
  const where = [`organisation_id = ?`, `created_at >= ?`, `created_at <= ?`];
  const params: (string | number)[] = [organisation, f.from.toISOString(), f.to.toISOString()];
  if (workspace) (where.push('workspace_id = ?'), params.push(workspace));
  const bucket = f.bucket === 'hour' ? 'substr(created_at, 1, 13)' : 'substr(created_at, 1, 10)';
  const perBucket = await db.all<{ b: string; n: number; w: number | null }>(`SELECT ${bucket} AS b, COUNT(*) AS n, AVG(value * weight) AS w FROM feedback WHERE ${where.join(' AND ')} GROUP BY ${bucket}`, params);
  const scores = await db.all<{ value: number; n: number }>(`SELECT value, COUNT(*) AS n FROM feedback WHERE ${where.join(' AND ')} GROUP BY value ORDER BY value`, params);
  const total = await db.get<{ n: number; w: number | null }>(`SELECT COUNT(*) AS n, AVG(value * weight) AS w FROM feedback WHERE ${where.join(' AND ')}`, params);
  const byModel = await db.all<{ model: string; n: number; w: number | null }>(
    `SELECT a.model AS model, COUNT(*) AS n, AVG(fb.value * fb.weight) AS w FROM feedback fb JOIN analytics_rows a ON a.organisation_id = fb.organisation_id AND a.trace_id = fb.trace_id
     WHERE fb.organisation_id = ? AND fb.created_at >= ? AND fb.created_at <= ?${workspace ? ' AND fb.workspace_id = ?' : ''} AND a.model IS NOT NULL GROUP BY a.model ORDER BY n DESC`,
    params,
  );
  const map = new Map(perBucket.map((r) => [r.b, r]));
  return {
    total: Number(total?.n ?? 0), weighted: Number(total?.w ?? 0),
    points: bucketLabels(f).map((b) => ({ timestamp: bucketTimestamp(b), total: Number(map.get(b)?.n ?? 0), avg: Number(map.get(b)?.w ?? 0) })),
    scores: scores.map((s) => ({ score: Number(s.value), total: Number(s.n) })),
    byModel: byModel.map((m) => ({ ai_model: m.model, total: Number(m.n), avg_weighted_feedback: Number(m.w ?? 0) })),
  };
}
