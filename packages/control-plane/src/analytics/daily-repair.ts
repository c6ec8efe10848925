import type { Database } from '../db/types.js';

/**
 * The daily latency histogram (migration 4) is the hourly one summed per UTC day, both kept by every
 * ingest. A control plane of an earlier release still running during a rolling upgrade stores rows
 * and adds them to the hourly histogram only, so the days it ingested into read short. This finds the
 * (organisation, day) pairs whose daily total differs from the sum of their hours and rebuilds them
 * from the hourly table. The comparison is cheap (one grouped read of each table over the range); a
 * rebuild touches one organisation's day.
 */
export interface RepairedDay {
  organisation: string;
  day: string;
}

type Totals = { organisation_id: string; day: string; n: number | string };

/** Days from `sinceDay` ('YYYY-MM-DD', all when undefined) whose daily histogram disagrees with the hourly one. */
async function driftedDays(db: Database, sinceDay: string | undefined): Promise<RepairedDay[]> {
  const since = sinceDay ?? '';
  const [hourly, daily] = await Promise.all([
    db.all<Totals>(`SELECT organisation_id, substr(hour, 1, 10) AS day, SUM(count) AS n FROM analytics_hourly_latency WHERE hour >= ? GROUP BY 1, 2`, [since]),
    db.all<Totals>(`SELECT organisation_id, day, SUM(count) AS n FROM analytics_daily_latency WHERE day >= ? GROUP BY 1, 2`, [since]),
  ]);
  const key = (t: Totals) => `${t.organisation_id}\u0000${t.day}`;
  const dailyTotals = new Map(daily.map((t) => [key(t), Number(t.n)]));
  const drifted = new Map<string, RepairedDay>();
  for (const h of hourly) if (dailyTotals.get(key(h)) !== Number(h.n)) drifted.set(key(h), { organisation: h.organisation_id, day: h.day });
  // A day left in the daily table with no hours behind it (its hours were deleted) is drift too.
  const hourlyKeys = new Set(hourly.map(key));
  for (const d of daily) if (!hourlyKeys.has(key(d))) drifted.set(key(d), { organisation: d.organisation_id, day: d.day });
  return [...drifted.values()];
}

/**
 * Rebuilds one organisation's day of the daily histogram from its hours, in one transaction. On
 * PostgreSQL the daily table is locked against concurrent ingests first (they wait for the rebuild,
 * then add their rows on top of it); the totals are compared again under the lock, so a day that an
 * ingest finished in between is left alone.
 */
async function rebuildDay(db: Database, { organisation, day }: RepairedDay): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.run('LOCK TABLE analytics_daily_latency IN SHARE ROW EXCLUSIVE MODE');
    const hours = [organisation, `${day}T00`, `${day}T23`] as const;
    const sums = await tx.get<{ hourly: number | string | null; daily: number | string | null }>(
      `SELECT (SELECT SUM(count) FROM analytics_hourly_latency WHERE organisation_id = ? AND hour >= ? AND hour <= ?) AS hourly,
              (SELECT SUM(count) FROM analytics_daily_latency WHERE organisation_id = ? AND day = ?) AS daily`,
      [...hours, organisation, day],
    );
    if (Number(sums?.hourly ?? 0) === Number(sums?.daily ?? 0)) return false;
    await tx.run(`DELETE FROM analytics_daily_latency WHERE organisation_id = ? AND day = ?`, [organisation, day]);
    await tx.run(
      `INSERT INTO analytics_daily_latency (organisation_id, day, workspace_id, provider, model, status, bucket, count)
         SELECT organisation_id, substr(hour, 1, 10), workspace_id, provider, model, status, bucket, SUM(count)
         FROM analytics_hourly_latency WHERE organisation_id = ? AND hour >= ? AND hour <= ? GROUP BY 1, 2, 3, 4, 5, 6, 7`,
      hours,
    );
    return true;
  });
}

/** Finds and rebuilds drifted days from `sinceDay` on; resolves to the days rebuilt. */
export async function repairDailyLatency(db: Database, sinceDay?: string): Promise<RepairedDay[]> {
  const repaired: RepairedDay[] = [];
  for (const d of await driftedDays(db, sinceDay)) if (await rebuildDay(db, d)) repaired.push(d);
  return repaired;
}

export interface DailyRepairLogger {
  warn(o: object, m: string): void;
}

/**
 * Runs the repair over every day once (in the background, after start), then every `everyMs` over
 * the last two UTC days, which is where a rolling upgrade's older replicas write.
 */
export function scheduleDailyRepair(db: Database, log: DailyRepairLogger, everyMs = 600_000): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const pass = (sinceDay?: string) => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const repaired = await repairDailyLatency(db, sinceDay);
        if (repaired.length > 0) log.warn({ repaired: repaired.length, days: repaired.slice(0, 20) }, 'analytics: daily latency histogram rebuilt from the hourly one (rows stored by an older release)');
      } catch (err) {
        if (!stopped) log.warn({ err }, 'analytics: daily latency histogram repair failed; it is tried again at the next pass');
      }
    });
  };
  pass();
  const timer = setInterval(() => pass(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)), everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
