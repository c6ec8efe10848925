import type { Database, SqlValue } from '../db/types.js';
import { readKey, sharedRead } from './shared-reads.js';
import { histogramPercentiles, latencyBucketSql } from './latency-histogram.js';
import { cover, histogramQuery } from './histogram-plan.js';
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
  /** The hits the semantic cache answered (counted in hits too), and what they saved. */
  semanticHits: number;
  semanticHitCost: number;
}

const IS_HIT = `cache_status IN ('HIT', 'SEMANTIC HIT')`;
const IS_SEMANTIC_HIT = `cache_status = 'SEMANTIC HIT'`;
const AGGREGATES = `COUNT(*) AS requests, COALESCE(SUM(cost_usd), 0) AS cost, COALESCE(SUM(total_tokens), 0) AS tokens, COALESCE(AVG(latency_ms), 0) AS avg_latency,
  SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS errors, SUM(CASE WHEN ${IS_HIT} THEN 1 ELSE 0 END) AS hits,
  AVG(CASE WHEN ${IS_HIT} THEN latency_ms END) AS hit_latency, AVG(CASE WHEN NOT ${IS_HIT} THEN latency_ms END) AS miss_latency,
  COUNT(DISTINCT user_id) AS users, SUM(rescued) AS rescued, COALESCE(SUM(CASE WHEN ${IS_HIT} THEN cost_usd END), 0) AS hit_cost,
  SUM(CASE WHEN ${IS_SEMANTIC_HIT} THEN 1 ELSE 0 END) AS semantic_hits, COALESCE(SUM(CASE WHEN ${IS_SEMANTIC_HIT} THEN cost_usd END), 0) AS semantic_hit_cost`;

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
  semantic_hits: number | null;
  semantic_hit_cost: number;
}

const toAgg = (r: AggRow | undefined): Aggregate => ({
  requests: Number(r?.requests ?? 0), cost: Number(r?.cost ?? 0), tokens: Number(r?.tokens ?? 0), avgLatency: Number(r?.avg_latency ?? 0), errors: Number(r?.errors ?? 0),
  hits: Number(r?.hits ?? 0), hitLatency: Number(r?.hit_latency ?? 0), missLatency: Number(r?.miss_latency ?? 0), users: Number(r?.users ?? 0), rescued: Number(r?.rescued ?? 0),
  hitCost: Number(r?.hit_cost ?? 0), semanticHits: Number(r?.semantic_hits ?? 0), semanticHitCost: Number(r?.semantic_hit_cost ?? 0),
});

/** A read that concurrent identical requests share (see shared-reads.ts). */
function all<T>(db: Database, sql: string, params: readonly SqlValue[]): Promise<T[]> {
  return sharedRead(db, readKey(sql, params), () => db.all<T>(sql, params));
}

type Aggregated = { summary: Aggregate; points: Array<{ timestamp: string; agg: Aggregate }> };

/**
 * Counts, sums and averages over the filter's rows, in total and per bucket. When the filter allows
 * (see Filter.dims) and distinct users are not asked for, whole hours are read from the hourly rollup
 * and only the partial hours at the range's edges from the rows themselves: the same numbers, from
 * a few thousand rollup rows instead of every request.
 */
export async function aggregate(db: Database, f: Filter, opts: { users?: boolean } = {}): Promise<Aggregated> {
  if (!opts.users && f.dims) {
    const fromRollup = await aggregateWithRollup(db, f, f.dims);
    if (fromRollup) return fromRollup;
  }
  return aggregateRows(db, f);
}

const HOUR = 3_600_000;
const hourLabel = (t: number) => new Date(t).toISOString().slice(0, 13);
const MEASURES = `SUM(requests) AS requests, SUM(cost) AS cost, SUM(tokens) AS tokens, SUM(latency) AS latency, SUM(errors) AS errors, SUM(hits) AS hits,
  SUM(hit_latency) AS hit_latency, SUM(hit_cost) AS hit_cost, SUM(rescued) AS rescued, SUM(semantic_hits) AS semantic_hits, SUM(semantic_hit_cost) AS semantic_hit_cost`;
interface SumRow {
  b: string; requests: number; cost: number; tokens: number; latency: number; errors: number; hits: number; hit_latency: number; hit_cost: number; rescued: number;
  semantic_hits: number; semantic_hit_cost: number;
}

async function aggregateWithRollup(db: Database, f: Filter, dims: NonNullable<Filter['dims']>): Promise<Aggregated | undefined> {
  const wholeFrom = Math.ceil(f.from.getTime() / HOUR) * HOUR;
  const wholeTo = Math.floor(f.to.getTime() / HOUR) * HOUR;
  if (wholeFrom >= wholeTo) return undefined;
  const len = f.bucket === 'hour' ? 13 : 10;
  const hit = (v: string) => `CASE WHEN ${IS_HIT} THEN ${v} ELSE 0 END`;
  const semantic = (v: string) => `CASE WHEN ${IS_SEMANTIC_HIT} THEN ${v} ELSE 0 END`;
  const sql = `SELECT b, ${MEASURES} FROM (
      SELECT substr(hour, 1, ${len}) AS b, requests, cost_usd AS cost, total_tokens AS tokens, latency_ms AS latency, CASE WHEN status >= 400 THEN requests ELSE 0 END AS errors,
        ${hit('requests')} AS hits, ${hit('latency_ms')} AS hit_latency, ${hit('cost_usd')} AS hit_cost, rescued,
        ${semantic('requests')} AS semantic_hits, ${semantic('cost_usd')} AS semantic_hit_cost
      FROM analytics_hourly WHERE organisation_id = ? AND hour >= ? AND hour < ? AND ${dims.where}
      UNION ALL
      SELECT substr(created_at, 1, ${len}), 1, cost_usd, total_tokens, latency_ms, CASE WHEN status >= 400 THEN 1 ELSE 0 END, ${hit('1')}, ${hit('latency_ms')}, ${hit('cost_usd')}, rescued,
        ${semantic('1')}, ${semantic('cost_usd')}
      FROM analytics_rows WHERE organisation_id = ? AND ((created_at >= ? AND created_at < ?) OR (created_at >= ? AND created_at <= ?)) AND ${dims.where}
    ) s GROUP BY b`;
  const org = f.params[0];
  const iso = (t: number) => new Date(t).toISOString();
  const rows = await all<SumRow>(db, sql, [
    org, hourLabel(wholeFrom), hourLabel(wholeTo), ...dims.params,
    org, f.from.toISOString(), iso(wholeFrom), iso(wholeTo), f.to.toISOString(), ...dims.params,
  ]);
  const fromSums = (r: Omit<SumRow, 'b'>): Aggregate => {
    const n = Number(r.requests), hits = Number(r.hits), latency = Number(r.latency), hitLatency = Number(r.hit_latency);
    return {
      requests: n, cost: Number(r.cost), tokens: Number(r.tokens), avgLatency: n ? latency / n : 0, errors: Number(r.errors), hits,
      hitLatency: hits ? hitLatency / hits : 0, missLatency: n - hits ? (latency - hitLatency) / (n - hits) : 0, users: 0, rescued: Number(r.rescued), hitCost: Number(r.hit_cost),
      semanticHits: Number(r.semantic_hits), semanticHitCost: Number(r.semantic_hit_cost),
    };
  };
  const total = { requests: 0, cost: 0, tokens: 0, latency: 0, errors: 0, hits: 0, hit_latency: 0, hit_cost: 0, rescued: 0, semantic_hits: 0, semantic_hit_cost: 0 };
  for (const r of rows) for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += Number(r[k]);
  const byBucket = new Map(rows.map((r) => [r.b, fromSums(r)]));
  return { summary: fromSums(total), points: bucketLabels(f).map((b) => ({ timestamp: bucketTimestamp(b), agg: byBucket.get(b) ?? toAgg(undefined) })) };
}

async function aggregateRows(db: Database, f: Filter): Promise<Aggregated> {
  // The total and the buckets are independent reads: on PostgreSQL they run on two connections at once.
  const [[total], rows] = await Promise.all([
    all<AggRow>(db, `SELECT ${AGGREGATES} FROM analytics_rows WHERE ${f.where}`, f.params),
    all<AggRow>(db, `SELECT ${bucketSql(f)} AS b, ${AGGREGATES} FROM analytics_rows WHERE ${f.where} GROUP BY ${bucketSql(f)}`, f.params),
  ]);
  const summary = toAgg(total);
  const byBucket = new Map(rows.map((r) => [r.b!, toAgg(r)]));
  return { summary, points: bucketLabels(f).map((b) => ({ timestamp: bucketTimestamp(b), agg: byBucket.get(b) ?? toAgg(undefined) })) };
}


/** The percentiles the latency graph reports: p50, p90, p95, p99. */
export const LATENCY_QUANTILES = [0.5, 0.9, 0.95, 0.99];

/**
 * Latency percentiles overall and per bucket, from log-scale histograms (latency-histogram.ts): within
 * 1% of the exact nearest-rank value. When the filter allows (Filter.dims), the range is read from the
 * daily histogram (ranges bucketed by day only), the hourly one and the rows at its edges, in one
 * statement (histogram-plan.ts); otherwise every row is bucketed in SQL the same way. One method
 * serves the whole range on both databases.
 */
export async function latencyPercentiles(db: Database, f: Filter, now = Date.now()): Promise<{ summary: number[]; byBucket: Map<string, number[]> }> {
  // The filter's end is inclusive; the plan's ranges end before their end (times are whole ms).
  const rows = f.dims
    ? await all<HistogramRow>(db, ...histogramQuery(cover(f.bucket, f.from.getTime(), f.to.getTime() + 1, now), String(f.params[0]), f.bucket === 'day' ? 10 : 13, f.dims))
    : await all<HistogramRow>(db, `SELECT ${bucketSql(f)} AS b, ${latencyBucketSql('latency_ms')} AS bucket, COUNT(*) AS n FROM analytics_rows WHERE ${f.where} GROUP BY 1, 2`, f.params);
  const total = new Map<number, number>();
  const perBucket = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const bucket = Number(r.bucket), n = Number(r.n);
    if (n <= 0) continue; // a bucket the backward terms emptied
    total.set(bucket, (total.get(bucket) ?? 0) + n);
    const h = perBucket.get(r.b) ?? perBucket.set(r.b, new Map()).get(r.b)!;
    h.set(bucket, (h.get(bucket) ?? 0) + n);
  }
  return {
    summary: histogramPercentiles(total, LATENCY_QUANTILES),
    byBucket: new Map([...perBucket].map(([b, h]) => [b, histogramPercentiles(h, LATENCY_QUANTILES)])),
  };
}
interface HistogramRow { b: string; bucket: number; n: number }

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
