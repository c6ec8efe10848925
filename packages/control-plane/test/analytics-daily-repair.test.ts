import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsRow } from '@portico/contract';
import { repairDailyLatency } from '../src/analytics/daily-repair.js';
import { latencyBucket } from '../src/analytics/latency-histogram.js';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';

/**
 * A rolling upgrade runs control planes of two releases side by side for a while. One from before the
 * daily latency histogram stores rows and adds them to the hourly histogram only; the daily one then
 * reads short for those days, and a 7-day latency graph reports percentiles of the wrong rows. The
 * repair finds such days and rebuilds them from the hourly histogram, at start and every ten minutes.
 */
const DAY = 86_400_000;

function rows(organisation: string, workspace: string, now: number, n: number, latency: (i: number) => number): AnalyticsRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: randomUUID(), organisation, workspace, key_id: 'key-1', trace_id: `t-${i}`, created_at: new Date(now - 60_000 - ((i * 7_919_333) % (6 * DAY))).toISOString(),
    endpoint: 'chat.completions', provider: i % 2 ? 'openai' : 'anthropic', model: i % 2 ? 'gpt-4o' : 'claude-sonnet-4', virtual_key: null, config_id: null, prompt_id: null,
    status: i % 9 === 0 ? 500 : 200, latency_ms: latency(i), first_byte_ms: null, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2,
    cached_tokens: 0, cost_usd: 0, cache_status: 'MISS', retries: 0, rescued: false, stream: false, error_code: null, user: null, metadata: {},
  }));
}

const nearest = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`the daily latency histogram is rebuilt where an older release left it short, on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let all: AnalyticsRow[];
    const now = Date.now();
    const db = () => t.cp.services.db;
    const q = new URLSearchParams({ time_of_generation_min: new Date(now - 7 * DAY).toISOString(), time_of_generation_max: new Date(now).toISOString() });
    const dailyTable = () => db().all(`SELECT organisation_id, day, workspace_id, provider, model, status, bucket, CAST(count AS INTEGER) AS count FROM analytics_daily_latency ORDER BY 1, 2, 3, 4, 5, 6, 7`);
    const hourlySummedPerDay = () => db().all(`SELECT organisation_id, substr(hour, 1, 10) AS day, workspace_id, provider, model, status, bucket, CAST(SUM(count) AS INTEGER) AS count
      FROM analytics_hourly_latency GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7`);
    const p99 = async () => (await call(t.url, 'GET', `/v1/analytics/graphs/latency?${q}`, t.adminKey)).body.summary.p99 as number;

    /** Stores rows through the API, then takes them out of the daily histogram: what an older release leaves behind. */
    async function ingestAsOlderRelease(batch: AnalyticsRow[]): Promise<void> {
      const res = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'old', rows: batch }, { authorization: `Bearer ${t.clientAuth}` });
      expect(res.body.accepted).toBe(batch.length);
      const counts = new Map<string, number>();
      for (const r of batch) {
        const key = JSON.stringify([r.organisation, r.created_at.slice(0, 10), r.workspace ?? '', r.provider ?? '', r.model ?? '', r.status, latencyBucket(r.latency_ms)]);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        await db().run(`UPDATE analytics_daily_latency SET count = count - ? WHERE organisation_id = ? AND day = ? AND workspace_id = ? AND provider = ? AND model = ? AND status = ? AND bucket = ?`,
          [n, ...(JSON.parse(key) as Array<string | number>)]);
      }
      await db().run(`DELETE FROM analytics_daily_latency WHERE count = 0`);
    }

    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      const ws = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data[0].id;
      const current = rows(t.organisationId, ws, now, 400, (i) => 50 + ((i * 37) % 400));
      // The older release's rows are slow: while the daily histogram misses them, p99 is far too low.
      const older = rows(t.organisationId, ws, now, 40, (i) => 3000 + i);
      all = [...current, ...older];
      const res = await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'new', rows: current }, { authorization: `Bearer ${t.clientAuth}` });
      expect(res.body.accepted).toBe(current.length);
      await ingestAsOlderRelease(older);
    });
    afterAll(async () => t?.close());

    it('finds the short days, rebuilds exactly those, and the 7-day p99 is right again', async () => {
      const exactP99 = nearest(all.map((r) => r.latency_ms).sort((a, b) => a - b), 0.99);
      expect(await p99()).toBeLessThan(0.9 * exactP99);
      expect(await dailyTable()).not.toEqual(await hourlySummedPerDay());

      const repaired = await repairDailyLatency(db());
      const shortDays = new Set(all.slice(400).map((r) => r.created_at.slice(0, 10)));
      expect(new Set(repaired.map((d) => d.day))).toEqual(shortDays);
      expect(repaired.every((d) => d.organisation === t.organisationId)).toBe(true);
      expect(await dailyTable()).toEqual(await hourlySummedPerDay());
      expect(Math.abs((await p99()) - exactP99)).toBeLessThanOrEqual(0.01 * exactP99 + 0.5);
      // Nothing left to do: a second pass rebuilds nothing.
      expect(await repairDailyLatency(db())).toEqual([]);
    });

    it('runs by itself when a control plane starts, and a day whose hours are gone leaves the daily table too', async () => {
      await ingestAsOlderRelease(rows(t.organisationId, null as unknown as string, now, 30, (i) => 7000 + i));
      const stray = new Date(now - 20 * DAY).toISOString().slice(0, 10);
      await db().run(`INSERT INTO analytics_daily_latency (organisation_id, day, workspace_id, provider, model, status, bucket, count) VALUES (?, ?, '', 'openai', 'gpt-4o', 200, 10, 3)`, [t.organisationId, stray]);
      expect(await dailyTable()).not.toEqual(await hourlySummedPerDay());
      await t.restart();
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && JSON.stringify(await dailyTable()) !== JSON.stringify(await hourlySummedPerDay())) await new Promise((r) => setTimeout(r, 50));
      expect(await dailyTable()).toEqual(await hourlySummedPerDay());
    });
  });
}
