import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsRow } from '@portico/contract';
import type { Database } from '../src/db/types.js';
import { buildFilter } from '../src/analytics/filters.js';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

/**
 * The dashboard's numbers, checked against a plain computation over the same rows: whatever the
 * queries do to be fast (shared reads, parallel reads, indexes), each graph must answer exactly what
 * counting the rows by hand gives. Costs are multiples of 2^-7 USD and latencies whole, so sums are
 * exact in any order and rounding cannot differ between SQL and JS.
 */
const DAY = 86_400_000;
const N = 600;

function rows(organisation: string, workspace: string, now: number): AnalyticsRow[] {
  return Array.from({ length: N }, (_, i) => ({
    id: randomUUID(), organisation, workspace, key_id: `key-${i % 4}`, trace_id: `t-${i}`, created_at: new Date(now - 1000 - ((i * 7_919_333) % (7 * DAY - 5000))).toISOString(),
    endpoint: 'chat.completions', provider: i % 3 ? 'openai' : 'anthropic', model: i % 3 ? 'gpt-4o' : 'claude-sonnet-4', virtual_key: null, config_id: null, prompt_id: null,
    status: i % 9 === 0 ? 500 : i % 13 === 0 ? 429 : 200, latency_ms: 50 + ((i * 37) % 900), first_byte_ms: null, prompt_tokens: i % 11, completion_tokens: i % 17, total_tokens: (i % 11) + (i % 17),
    cached_tokens: 0, cost_usd: (i % 5) / 128, cache_status: i % 6 === 0 ? 'HIT' : i % 8 === 0 ? 'SEMANTIC HIT' : i % 8 === 1 ? 'SEMANTIC MISS' : 'MISS', retries: i % 10 === 0 ? 1 : 0, rescued: i % 20 === 0, stream: false, error_code: null,
    user: i % 7 ? `u-${i % 23}` : null, metadata: { team: `t${i % 3}` },
  }));
}

const round = Math.round;
const cents = (usd: number) => round(usd * 100);
const pct = (part: number, whole: number) => (whole > 0 ? round((part / whole) * 100) : 0);

/** The exact nearest rank: the value at 0-based rank min(n-1, floor(q·n)) of the sorted latencies. */
const nearest = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
/** The documented rule: within 1% of the exact value, before rounding to whole ms (so plus 0.5). */
const within1pct = (got: number, exact: number) => Math.abs(got - exact) <= 0.01 * exact + 0.5;
function expectPercentiles(got: Record<string, number>, exact: number[]) {
  const names = ['p50', 'p90', 'p95', 'p99'];
  names.forEach((name, i) => expect(within1pct(got[name], exact[i]), `${name}: ${got[name]} is not within 1% of ${exact[i]}`).toBe(true));
}

function expected(all: AnalyticsRow[], from: Date, to: Date) {
  const inRange = all.filter((r) => r.created_at >= from.toISOString() && r.created_at <= to.toISOString());
  // Hour buckets up to two days, as the API does.
  const hourly = to.getTime() - from.getTime() <= 2 * DAY;
  const step = hourly ? 3_600_000 : DAY;
  const labels: string[] = [];
  for (let t = Math.floor(from.getTime() / step) * step; t <= to.getTime(); t += step) labels.push(new Date(t).toISOString().slice(0, hourly ? 13 : 10));
  const stats = (rs: AnalyticsRow[]) => {
    const lat = rs.map((r) => r.latency_ms).sort((a, b) => a - b);
    const hits = rs.filter((r) => r.cache_status === 'HIT' || r.cache_status === 'SEMANTIC HIT');
    const semantic = rs.filter((r) => r.cache_status === 'SEMANTIC HIT');
    return {
      requests: rs.length, cost: rs.reduce((n, r) => n + r.cost_usd, 0), tokens: rs.reduce((n, r) => n + r.total_tokens, 0), errors: rs.filter((r) => r.status >= 400).length,
      hits: hits.length, hitCost: hits.reduce((n, r) => n + r.cost_usd, 0),
      semanticHits: semantic.length, semanticHitCost: semantic.reduce((n, r) => n + r.cost_usd, 0), rescued: rs.filter((r) => r.rescued).length, users: new Set(rs.map((r) => r.user).filter(Boolean)).size,
      avgLatency: rs.length ? lat.reduce((a, b) => a + b, 0) / rs.length : 0, ps: [0.5, 0.9, 0.95, 0.99].map((x) => nearest(lat, x)),
    };
  };
  const total = stats(inRange);
  const points = labels.map((b) => ({ timestamp: hourly ? `${b}:00:00.000Z` : `${b}T00:00:00.000Z`, s: stats(inRange.filter((r) => r.created_at.startsWith(b))) }));
  return { total, points };
}

describe('which filters the hourly rollup answers', () => {
  const db = { dialect: 'sqlite' } as Database;
  it('the dashboard\'s own filters (workspace, status, provider__model) use it; the others read the rows', () => {
    expect(buildFilter(db, new URLSearchParams({ status_code: '200,500', ai_org_model: 'openai__gpt-4o' }), 'org', 'ws-1').dims).toEqual({
      where: 'workspace_id = ? AND status IN (?,?) AND ((provider = ? AND model = ?))', params: ['ws-1', 200, 500, 'openai', 'gpt-4o'],
    });
    expect(buildFilter(db, new URLSearchParams(), 'org', null).dims).toEqual({ where: '1 = 1', params: [] });
    for (const q of ['metadata={"a":"b"}', 'api_key_ids=k1', 'cost_min=1', 'trace_id=t', 'virtual_keys=v', 'ai_org_model=openai__']) expect(buildFilter(db, new URLSearchParams(q), 'org', null).dims).toBeUndefined();
  });
});

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`analytics numbers match a plain count of the rows on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let stored: AnalyticsRow[];
    const now = Date.now();
    const from = new Date(now - 7 * DAY);
    const to = new Date(now);
    const q = new URLSearchParams({ time_of_generation_min: from.toISOString(), time_of_generation_max: to.toISOString() });
    const graph = async (name: string) => {
      const res = await call(t.url, 'GET', `/v1/analytics/graphs/${name}?${q}`, t.adminKey);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      const ws = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data[0].id;
      stored = rows(t.organisationId, ws, now);
      // Outside the range: must not count.
      const outside = rows(t.organisationId, ws, now - 30 * DAY).slice(0, 50);
      const res = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'g', rows: [...stored, ...outside] }, { authorization: `Bearer ${t.clientAuth}` });
      expect(res.body.accepted).toBe(N + 50);
    });
    afterAll(async () => t?.close());

    it('the seven dashboard graphs, sent at once, answer what counting the rows gives', async () => {
      const e = expected(stored, from, to);
      const [requests, cost, tokens, latency, errorRate, hitRate, rescued] = await Promise.all(
        ['requests', 'cost', 'tokens', 'latency', 'errors/rate', 'cache/hit-rate', 'requests/rescued'].map(graph),
      );
      expect(requests.summary.total).toBe(N);
      expect(requests.data_points).toEqual(e.points.map((p) => ({ timestamp: p.timestamp, total: p.s.requests })));
      expect(cost.summary).toEqual({ total: cents(e.total.cost), avg: cents(e.total.cost / e.total.requests) });
      expect(cost.data_points).toEqual(e.points.map((p) => ({ timestamp: p.timestamp, total: cents(p.s.cost), avg: p.s.requests ? cents(p.s.cost / p.s.requests) : 0 })));
      expect(tokens.summary).toEqual({ total: e.total.tokens, avg: round(e.total.tokens / e.total.requests) });
      expect(tokens.data_points.map((p: any) => p.total)).toEqual(e.points.map((p) => p.s.tokens));
      expect(latency.summary.avg).toBe(round(e.total.avgLatency));
      expectPercentiles(latency.summary, e.total.ps);
      expect(latency.data_points.map((p: any) => [p.timestamp, p.avg])).toEqual(e.points.map((p) => [p.timestamp, round(p.s.avgLatency)]));
      latency.data_points.forEach((p: any, i: number) => expectPercentiles(p, e.points[i].s.ps));
      expect(errorRate.summary.rate).toBe(pct(e.total.errors, e.total.requests));
      expect(errorRate.data_points.map((p: any) => p.rate)).toEqual(e.points.map((p) => pct(p.s.errors, p.s.requests)));
      expect(hitRate.summary).toEqual({ total: e.total.hits, rate: pct(e.total.hits, e.total.requests) });
      let savedSimple = 0;
      let savedSemantic = 0;
      expect(e.total.semanticHits).toBeGreaterThan(0);
      expect(hitRate.data_points.map((p: any) => [p.simple_hits, p.semantic_hits, p.rate, p.cumulative_simple_cache_savings, p.cumulative_semantic_cache_savings])).toEqual(
        e.points.map((p) => {
          savedSimple += p.s.hitCost - p.s.semanticHitCost;
          savedSemantic += p.s.semanticHitCost;
          return [p.s.hits - p.s.semanticHits, p.s.semanticHits, pct(p.s.hits, p.s.requests), cents(savedSimple), cents(savedSemantic)];
        }),
      );
      expect(rescued.summary).toEqual({ retry: e.total.rescued, fallback: 0 });
      expect(rescued.data_points.map((p: any) => p.retry[0].count)).toEqual(e.points.map((p) => p.s.rescued));
    });

    it('users and filtered graphs also match, and a read after new rows sees them (nothing cached)', async () => {
      const e = expected(stored, from, to);
      expect((await graph('users')).summary.total).toBe(e.total.users);
      const only = stored.filter((r) => r.provider === 'openai' && r.status === 200);
      const filtered = await call(t.url, 'GET', `/v1/analytics/graphs/requests?${q}&ai_org_model=openai__gpt-4o&status_code=200`, t.adminKey);
      expect(filtered.body.summary.total).toBe(only.length);
      const metaOnly = stored.filter((r) => r.metadata.team === 't1' && r.status >= 400);
      const byMeta = await call(t.url, 'GET', `/v1/analytics/graphs/errors?${q}&metadata=${encodeURIComponent('{"team":"t1"}')}`, t.adminKey);
      expect(byMeta.body.summary.total).toBe(metaOnly.length);
      // A short range (hour buckets, partial hours at both ends).
      const shortFrom = new Date(now - 5 * 3_600_000 - 1234);
      const short = await call(t.url, 'GET', `/v1/analytics/graphs/cost?time_of_generation_min=${shortFrom.toISOString()}&time_of_generation_max=${to.toISOString()}`, t.adminKey);
      const shortRows = stored.filter((r) => r.created_at >= shortFrom.toISOString());
      expect(short.body.summary.total).toBe(cents(shortRows.reduce((n, r) => n + r.cost_usd, 0)));
      const shortRequests = await call(t.url, 'GET', `/v1/analytics/graphs/requests?time_of_generation_min=${shortFrom.toISOString()}&time_of_generation_max=${to.toISOString()}`, t.adminKey);
      expect(shortRequests.body.data_points.map((p: any) => p.total).reduce((a: number, b: number) => a + b, 0)).toBe(shortRows.length);
      expect(shortRequests.body.data_points).toHaveLength(6);
      expect(shortRows.length).toBeGreaterThan(0);
      // Latency percentiles on the short range (partial hours from rows) and with a filter only the rows answer.
      const sorted = (rs: AnalyticsRow[]) => rs.map((r) => r.latency_ms).sort((a, b) => a - b);
      const shortLatency = await call(t.url, 'GET', `/v1/analytics/graphs/latency?time_of_generation_min=${shortFrom.toISOString()}&time_of_generation_max=${to.toISOString()}`, t.adminKey);
      expectPercentiles(shortLatency.body.summary, [0.5, 0.9, 0.95, 0.99].map((x) => nearest(sorted(shortRows), x)));
      const metaLatency = await call(t.url, 'GET', `/v1/analytics/graphs/latency?${q}&metadata=${encodeURIComponent('{"team":"t1"}')}`, t.adminKey);
      expectPercentiles(metaLatency.body.summary, [0.5, 0.9, 0.95, 0.99].map((x) => nearest(sorted(stored.filter((r) => r.metadata.team === 't1')), x)));
      // Filters the histograms answer (status, provider__model), over 7 days (whole days from the daily
      // histogram) and over ranges whose ends fall exactly on a day or an hour, per bucket and in total.
      const alignedTo = Math.floor(now / 3_600_000) * 3_600_000;
      // Also ranges whose edges lie near a day's or an hour's start or end, so that edges are covered
      // backwards too (the day or hour less what lies outside, histogram-plan.ts).
      const midnight = Math.floor(now / DAY) * DAY;
      const ranges: Array<[number, number]> = [
        [from.getTime(), to.getTime()], [midnight - 4 * DAY, alignedTo], [from.getTime() + 1, midnight],
        [midnight - 5 * DAY + 600_000, midnight - 2 * DAY - 600_000], [midnight - 6 * DAY + 9.5 * 3_600_000, midnight - 3 * DAY + 14.5 * 3_600_000], [midnight - 3 * DAY + 3_540_000, midnight - 3 * DAY + 6 * 3_600_000 - 60_000],
      ];
      for (const [a, b] of ranges) {
        const range = `time_of_generation_min=${new Date(a).toISOString()}&time_of_generation_max=${new Date(b).toISOString()}`;
        const picked = stored.filter((r) => r.provider === 'openai' && r.status === 200);
        const res = await call(t.url, 'GET', `/v1/analytics/graphs/latency?${range}&ai_org_model=openai__gpt-4o&status_code=200`, t.adminKey);
        const e = expected(picked, new Date(a), new Date(b));
        expect(res.body.data_points.map((p: any) => p.timestamp)).toEqual(e.points.map((p) => p.timestamp));
        expectPercentiles(res.body.summary, e.total.ps);
        res.body.data_points.forEach((p: any, i: number) => expectPercentiles(p, e.points[i].s.ps));
        const unfiltered = await call(t.url, 'GET', `/v1/analytics/graphs/latency?${range}`, t.adminKey);
        const all = expected(stored, new Date(a), new Date(b));
        expectPercentiles(unfiltered.body.summary, all.total.ps);
        unfiltered.body.data_points.forEach((p: any, i: number) => expectPercentiles(p, all.points[i].s.ps));
      }
      // The same batch again stores nothing new and changes no number (the rollup counts stored rows only).
      const before = (await graph('requests')).summary.total;
      const again = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'g', rows: stored.slice(0, 100) }, { authorization: `Bearer ${t.clientAuth}` });
      expect(again.body.accepted).toBe(0);
      expect((await graph('requests')).summary.total).toBe(before);
      const rollup = await t.cp.services.db.get<{ n: number }>(`SELECT SUM(requests) AS n FROM analytics_hourly WHERE organisation_id = ?`, [t.organisationId]);
      expect(Number(rollup?.n)).toBe(N + 50);
      for (const table of ['analytics_hourly_latency', 'analytics_daily_latency']) {
        const histogram = await t.cp.services.db.get<{ n: number }>(`SELECT SUM(count) AS n FROM ${table} WHERE organisation_id = ?`, [t.organisationId]);
        expect(Number(histogram?.n), table).toBe(N + 50);
      }

      const extra = rows(t.organisationId, stored[0].workspace!, now).slice(0, 5);
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'g', rows: extra }, { authorization: `Bearer ${t.clientAuth}` });
      expect((await graph('requests')).summary.total).toBe(before + 5);
    });

    it('migration 2 fills the rollup from rows stored before it existed', async () => {
      const before = await Promise.all(['requests', 'cost', 'cache/hit-rate'].map(graph));
      await t.cp.services.db.run(`DROP TABLE analytics_hourly`);
      await t.cp.services.db.run(`DELETE FROM schema_migrations WHERE version = 2`);
      await t.restart();
      expect(await Promise.all(['requests', 'cost', 'cache/hit-rate'].map(graph))).toEqual(before);
      const rollup = await t.cp.services.db.get<{ n: number }>(`SELECT SUM(requests) AS n FROM analytics_hourly WHERE organisation_id = ?`, [t.organisationId]);
      expect(Number(rollup?.n)).toBe(N + 55);
    });

    it('migration 3 fills the latency histogram from rows stored before it existed', async () => {
      const before = await graph('latency');
      await t.cp.services.db.run(`DROP TABLE analytics_hourly_latency`);
      await t.cp.services.db.run(`DELETE FROM schema_migrations WHERE version = 3`);
      await t.restart();
      expect(await graph('latency')).toEqual(before);
      const histogram = await t.cp.services.db.get<{ n: number }>(`SELECT SUM(count) AS n FROM analytics_hourly_latency WHERE organisation_id = ?`, [t.organisationId]);
      expect(Number(histogram?.n)).toBe(N + 55);
    });

    it('migration 4 fills the daily latency histogram from the hourly one', async () => {
      const before = await graph('latency');
      await t.cp.services.db.run(`DROP TABLE analytics_daily_latency`);
      await t.cp.services.db.run(`DELETE FROM schema_migrations WHERE version = 4`);
      await t.restart();
      expect(await graph('latency')).toEqual(before);
      const perDay = await t.cp.services.db.all<{ day: string; n: number }>(`SELECT day, SUM(count) AS n FROM analytics_daily_latency WHERE organisation_id = ? GROUP BY day ORDER BY day`, [t.organisationId]);
      const hourly = await t.cp.services.db.all<{ day: string; n: number }>(
        `SELECT substr(hour, 1, 10) AS day, SUM(count) AS n FROM analytics_hourly_latency WHERE organisation_id = ? GROUP BY substr(hour, 1, 10) ORDER BY 1`, [t.organisationId]);
      expect(perDay.map((r) => [r.day, Number(r.n)])).toEqual(hourly.map((r) => [r.day, Number(r.n)]));
      expect(perDay.reduce((n, r) => n + Number(r.n), 0)).toBe(N + 55);
    });
  });
}
