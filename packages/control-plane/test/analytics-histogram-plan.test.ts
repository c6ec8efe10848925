import { describe, expect, it } from 'vitest';
import { cover, histogramQuery, planCost, type Term } from '../src/analytics/histogram-plan.js';

/**
 * The histogram plan's terms must count every instant of the range exactly once and nothing outside
 * it, whichever way (forwards or backwards) each edge is covered; the SQL numbers themselves are
 * checked against the rows on both databases in analytics-numbers.test.ts.
 */
const HOUR = 3_600_000;
const DAY = 86_400_000;

function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

const weightAt = (terms: Term[], t: number) => terms.reduce((n, x) => n + (x.from <= t && t < x.to ? x.sign : 0), 0);

function expectExact(terms: Term[], from: number, to: number, next: () => number) {
  const points = new Set<number>([from - 1, from, to - 1, to]);
  for (const x of terms) for (const b of [x.from, x.to]) [b - 1, b, b + 1].forEach((p) => points.add(p));
  for (let i = 0; i < 200; i++) points.add(from - DAY + Math.floor(next() * (to - from + 2 * DAY)));
  const wrong = [...points].filter((p) => weightAt(terms, p) !== (from <= p && p < to ? 1 : 0)).map((p) => new Date(p).toISOString());
  expect(wrong, `instants counted wrongly in [${new Date(from).toISOString()}, ${new Date(to).toISOString()})`).toEqual([]);
  const misaligned = terms.filter((x) => (x.level === 'day' && (x.from % DAY || x.to % DAY)) || (x.level === 'hour' && (x.from % HOUR || x.to % HOUR)));
  expect(misaligned).toEqual([]);
}

describe('latency histogram plan', () => {
  it('counts exactly the range, for ranges from a minute to 40 days, ending now, in the past or in the future', () => {
    const next = random(7);
    const base = Date.UTC(2026, 11, 7, 16, 53, 36, 830);
    for (let trial = 0; trial < 400; trial++) {
      const span = Math.floor(60_000 * 60 * 24 * 40 * next() ** 3) + 1;
      const to = base - Math.floor(next() * 3 * DAY) + (trial % 7 === 0 ? 0 : 1);
      const from = to - span;
      const now = trial % 3 === 0 ? to : base + Math.floor((next() - 0.5) * 2 * DAY);
      for (const level of ['day', 'hour'] as const) expectExact(cover(level, from, to, now), from, to, next);
    }
    // Aligned ends: whole days and whole hours.
    const day = Date.UTC(2026, 11, 1);
    expectExact(cover('day', day, day + 3 * DAY, day + 3 * DAY), day, day + 3 * DAY, next);
    expectExact(cover('hour', day + HOUR, day + 5 * HOUR, day), day + HOUR, day + 5 * HOUR, next);
  });

  it('reads a 7-day range ending now as whole days, today less the hours to come, and the first day\'s nearer side', () => {
    const now = Date.UTC(2026, 11, 7, 16, 53, 36, 830);
    const terms = cover('day', now - 7 * DAY, now + 1, now);
    const forwardOnly: Term[] = [
      { sign: 1, level: 'day', from: Date.UTC(2026, 11, 1), to: Date.UTC(2026, 11, 7) },
      { sign: 1, level: 'hour', from: Date.UTC(2026, 10, 30, 17), to: Date.UTC(2026, 11, 1) },
      { sign: 1, level: 'hour', from: Date.UTC(2026, 11, 7), to: Date.UTC(2026, 11, 7, 16) },
      { sign: 1, level: 'row', from: now - 7 * DAY, to: Date.UTC(2026, 10, 30, 17) },
      { sign: 1, level: 'row', from: Date.UTC(2026, 11, 7, 16), to: now + 1 },
    ];
    expect(terms).toContainEqual({ sign: 1, level: 'day', from: Date.UTC(2026, 11, 7), to: Date.UTC(2026, 11, 8) });
    expect(terms.filter((t) => t.level === 'row' && t.sign === 1)).toHaveLength(1); // only the first day's 7 minutes
    expect(planCost(terms, now)).toBeLessThan(planCost(forwardOnly, now) / 2);
  });

  it('builds one statement: signed counts per level, bounds bound as parameters', () => {
    const [sql, params] = histogramQuery([
      { sign: 1, level: 'day', from: Date.UTC(2026, 11, 1), to: Date.UTC(2026, 11, 3) },
      { sign: -1, level: 'hour', from: Date.UTC(2026, 11, 2, 22), to: Date.UTC(2026, 11, 3) },
      { sign: -1, level: 'row', from: Date.UTC(2026, 11, 2, 21, 30), to: Date.UTC(2026, 11, 2, 22) },
    ], 'org-1', 10, { where: 'status IN (?)', params: [200] });
    expect(sql).toContain('-count AS n FROM analytics_hourly_latency');
    expect(sql).toContain('-1 AS n FROM analytics_rows');
    expect(params).toEqual([
      'org-1', '2026-12-01', '2026-12-03', 200,
      'org-1', '2026-12-02T22', '2026-12-03T00', 200,
      'org-1', '2026-12-02T21:30:00.000Z', '2026-12-02T22:00:00.000Z', 200,
    ]);
  });
});
