import type { Access, Ctx, Route } from '../http/router.js';
import { paging } from '../http/validate.js';
import { buildFilter, bucketTimestamp } from '../analytics/filters.js';
import { orgWideFilter } from '../store/workspaces.js';
import { aggregate, feedbackStats, groupBy, latencyPercentiles, statusCodes, type Aggregate } from '../analytics/queries.js';

/**
 * Portkey's analytics API over the rows gateways send. Every path the document gives is served, and
 * the SDK's spellings (errors-rate, cache-hit-rate, users-requests, …) as aliases of the same handler.
 */
const access: Access = { kind: 'admin', level: 'workspace', role: 'member', scope: 'analytics.view' };
const r = Math.round;
const cents = (usd: number) => r(usd * 100);
const pct = (part: number, whole: number) => (whole > 0 ? r((part / whole) * 100) : 0);

const filterOf = (ctx: Ctx) => buildFilter(ctx.services.db, ctx.query, ctx.principal.organisationId, orgWideFilter(ctx.principal, ctx.ws));

function graph(pick: (a: Aggregate) => Record<string, number>, summary?: (a: Aggregate) => Record<string, number>, opts: { users?: boolean } = {}) {
  return async (ctx: Ctx) => {
    const { summary: s, points } = await aggregate(ctx.services.db, filterOf(ctx), opts);
    return { summary: (summary ?? pick)(s), data_points: points.map((p) => ({ timestamp: p.timestamp, ...pick(p.agg) })), object: 'analytics-graph' };
  };
}

const graphs: Array<[string[], string, Route['handler']]> = [
  [['requests'], 'Requests over time', graph((a) => ({ total: a.requests }))],
  [['cost'], 'Cost over time, in cents (total and per request)', graph((a) => ({ total: cents(a.cost), avg: a.requests ? cents(a.cost / a.requests) : 0 }))],
  [['tokens'], 'Tokens over time (total and per request)', graph((a) => ({ total: a.tokens, avg: a.requests ? r(a.tokens / a.requests) : 0 }))],
  [['users'], 'Distinct users (metadata._user) over time', graph((a) => ({ total: a.users }), undefined, { users: true })],
  [['users/requests', 'users-requests'], 'Requests per user over time', graph((a) => ({ avg: a.users ? r(a.requests / a.users) : 0 }), (a) => ({ total: a.requests, unique: a.users, avg: a.users ? r(a.requests / a.users) : 0 }), { users: true })],
  [['errors'], 'Errors (status ≥ 400) over time', graph((a) => ({ total: a.errors }))],
  [['errors/rate', 'errors-rate'], 'Error rate over time, in percent', graph((a) => ({ rate: pct(a.errors, a.requests) }))],
  [['requests/rescued', 'requests-rescued'], 'Requests a retry or fallback turned into a success (rows do not say which)', async (ctx) => {
    const { summary, points } = await aggregate(ctx.services.db, filterOf(ctx));
    return { summary: { retry: summary.rescued, fallback: 0 }, data_points: points.map((p) => ({ timestamp: p.timestamp, retry: [{ count: p.agg.rescued }], fallback: 0 })), object: 'analytics-graph' };
  }],
  [['cache/hit-rate', 'cache-hit-rate'], 'Cache hits and hit rate over time, with cumulative savings in cents', async (ctx) => {
    const { summary, points } = await aggregate(ctx.services.db, filterOf(ctx));
    let savedSimple = 0;
    let savedSemantic = 0;
    return {
      summary: { total: summary.hits, rate: pct(summary.hits, summary.requests) },
      data_points: points.map((p) => {
        savedSimple += p.agg.hitCost - p.agg.semanticHitCost;
        savedSemantic += p.agg.semanticHitCost;
        return {
          timestamp: p.timestamp, simple_hits: p.agg.hits - p.agg.semanticHits, semantic_hits: p.agg.semanticHits, rate: pct(p.agg.hits, p.agg.requests),
          cumulative_simple_cache_savings: cents(savedSimple), cumulative_semantic_cache_savings: cents(savedSemantic),
        };
      }),
      object: 'analytics-graph',
    };
  }],
  [['cache/latency', 'cache-latency'], 'Latency of cache hits over time, in ms', graph((a) => ({ avg: r(a.hitLatency) }), (a) => ({ avg: r(a.hitLatency), miss_avg: r(a.missLatency) }))],
  [['latency'], 'Latency over time: average and p50/p90/p95/p99, in ms', async (ctx) => {
    const f = filterOf(ctx);
    const [{ summary, points }, p] = await Promise.all([aggregate(ctx.services.db, f), latencyPercentiles(ctx.services.db, f)]);
    const of = (ps: number[] | undefined) => ({ p50: r(ps?.[0] ?? 0), p90: r(ps?.[1] ?? 0), p95: r(ps?.[2] ?? 0), p99: r(ps?.[3] ?? 0) });
    return {
      summary: { avg: r(summary.avgLatency), ...of(p.summary) },
      data_points: points.map((x) => ({ timestamp: x.timestamp, avg: r(x.agg.avgLatency), ...of(p.byBucket.get(x.timestamp.slice(0, f.bucket === 'hour' ? 13 : 10))) })),
      object: 'analytics-graph',
    };
  }],
  [['errors/status-codes', 'errors-status-code'], 'Errors by status code', async (ctx) => {
    const codes = await statusCodes(ctx.services.db, filterOf(ctx));
    return { summary: { total_errors: codes.reduce((n, c) => n + c.count, 0), unique_error_codes: codes.length }, data_points: codes, object: 'analytics-graph' };
  }],
  [['errors/stacks', 'errors-stack'], 'Errors over time, by status code', async (ctx) => {
    const f = filterOf(ctx);
    const { summary, points } = await aggregate(ctx.services.db, f);
    const rows = await ctx.services.db.all<{ b: string; status: number; n: number }>(
      `SELECT ${f.bucket === 'hour' ? 'substr(created_at, 1, 13)' : 'substr(created_at, 1, 10)'} AS b, status, COUNT(*) AS n FROM analytics_rows WHERE ${f.where} AND status >= 400 GROUP BY 1, status`,
      f.params,
    );
    const stats = new Map<string, Array<{ status_code: number; count: number }>>();
    for (const row of rows) (stats.get(bucketTimestamp(row.b)) ?? stats.set(bucketTimestamp(row.b), []).get(bucketTimestamp(row.b))!).push({ status_code: Number(row.status), count: Number(row.n) });
    return { summary: { total: summary.errors }, data_points: points.map((p) => ({ timestamp: p.timestamp, stats: stats.get(p.timestamp) ?? [] })), object: 'analytics-graph' };
  }],
  [['feedbacks'], 'Feedback received over time', async (ctx) => {
    const fb = await feedbackStats(ctx.services.db, filterOf(ctx), ctx.principal.organisationId, orgWideFilter(ctx.principal, ctx.ws));
    return { summary: { total: fb.total }, data_points: fb.points.map((p) => ({ timestamp: p.timestamp, total: p.total })), object: 'analytics-graph' };
  }],
  [['feedbacks/scores', 'feedbacks/score'], 'Feedback by score', async (ctx) => {
    const fb = await feedbackStats(ctx.services.db, filterOf(ctx), ctx.principal.organisationId, orgWideFilter(ctx.principal, ctx.ws));
    return { summary: { total: fb.total }, data_points: fb.scores, object: 'analytics-graph' };
  }],
  [['feedbacks/weighted'], 'Weighted feedback (value × weight) over time', async (ctx) => {
    const fb = await feedbackStats(ctx.services.db, filterOf(ctx), ctx.principal.organisationId, orgWideFilter(ctx.principal, ctx.ws));
    return { summary: { avg: r(fb.weighted) }, data_points: fb.points.map((p) => ({ timestamp: p.timestamp, avg: r(p.avg) })), object: 'analytics-graph' };
  }],
  [['feedbacks/ai-models'], 'Feedback by model', async (ctx) => {
    const fb = await feedbackStats(ctx.services.db, filterOf(ctx), ctx.principal.organisationId, orgWideFilter(ctx.principal, ctx.ws));
    return { summary: { total: fb.total }, data_points: fb.byModel.map((m) => ({ ...m, avg_weighted_feedback: r(m.avg_weighted_feedback) })), object: 'analytics-graph' };
  }],
];

function group(column: string, shape: (g: { group: string; requests: number; costCents: number; avgTokens: number; lastSeen: string }) => Record<string, unknown>) {
  return async (ctx: Ctx) => {
    const { total, rows } = await groupBy(ctx.services.db, filterOf(ctx), { column }, paging(ctx.query));
    return { object: 'list', total, data: rows.map((g) => ({ ...shape(g), object: 'analytics-group' })) };
  };
}

export const analyticsRoutes: Route[] = [
  ...graphs.flatMap(([paths, summary, handler]) =>
    paths.map((p, i): Route => ({ method: 'GET', path: `/v1/analytics/graphs/${p}`, access, summary: i === 0 ? summary : `${summary} (the SDK's path)`, handler })),
  ),
  { method: 'GET', path: '/v1/analytics/summary/cache', access, summary: 'Cache summary: hits, average hit latency, requests, speed-up in percent', handler: async (ctx) => {
    const { summary: s } = await aggregate(ctx.services.db, filterOf(ctx));
    return { summary: { hits: s.hits, avg_latency: r(s.hitLatency), total_requests: s.requests, cache_speedup: s.missLatency > 0 && s.hits > 0 ? r(((s.missLatency - s.hitLatency) / s.missLatency) * 100) : 0 }, object: 'analytics-summary' };
  } },
  { method: 'GET', path: '/v1/analytics/groups/users', access, summary: 'Requests and cost by user', handler: group('user_id', (g) => ({ user: g.group, requests: String(g.requests), cost: String(r(g.costCents)) })) },
  { method: 'GET', path: '/v1/analytics/groups/ai-models', access, summary: 'Requests by model', handler: group('model', (g) => ({ ai_model: g.group, requests: String(g.requests) })) },
  { method: 'GET', path: '/v1/analytics/groups/workspaces', access, summary: 'Requests and cost by workspace', handler: group('workspace_id', (g) => ({ workspace_id: g.group, requests: String(g.requests), cost: String(r(g.costCents)) })) },
  { method: 'GET', path: '/v1/analytics/groups/metadata/:metadataKey', access, summary: 'Requests, cost and tokens by a metadata key\'s values', handler: async (ctx) => {
    const { total, rows } = await groupBy(ctx.services.db, filterOf(ctx), { metadataKey: ctx.params.metadataKey }, paging(ctx.query));
    return {
      object: 'list', total,
      data: rows.map((g) => ({ metadata_value: g.group, requests: g.requests, cost: r(g.costCents), avg_tokens: r(g.avgTokens), avg_weighted_feedback: 0, requests_with_feedback: 0, last_seen: g.lastSeen, object: 'analytics-group' })),
    };
  } },
];
