import type { SqlValue } from '../db/types.js';
import { latencyBucketSql } from './latency-histogram.js';

/**
 * Which rows of the latency histograms (daily, hourly) and of analytics_rows add up to a time range's
 * histogram, read in one statement. A range's edges can be covered forwards (the hours, then the rows,
 * inside the edge) or backwards (the whole day or hour that holds the edge, less the part outside the
 * range, with negative counts): the histograms hold exactly the stored rows, so both give the same
 * counts, and the cheaper is chosen. Time after `now` costs nothing (no rows yet), so a range ending
 * now reads today as its day less the hours still to come, not as every hour since midnight.
 */
export type Level = 'day' | 'hour' | 'row';
/** Counts of [from, to) (ms) at a level, added (sign 1) or taken away (sign -1). */
export interface Term {
  sign: 1 | -1;
  level: Level;
  from: number;
  to: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const UNIT: Record<Exclude<Level, 'row'>, number> = { day: DAY, hour: HOUR };
const FINER: Record<Exclude<Level, 'row'>, Level> = { day: 'hour', hour: 'row' };
/**
 * Rough rows read per hour of data at each level, for a busy organisation (where it matters): an
 * hour of the hourly histogram is the unit; the rows are many times more; a day of the daily
 * histogram is little more than an hour of the hourly one (the buckets in use saturate).
 */
const COST_PER_HOUR: Record<Level, number> = { row: 8, hour: 1, day: 1.5 / 24 };

const negate = (terms: Term[]): Term[] => terms.map((t) => ({ ...t, sign: (t.sign === 1 ? -1 : 1) as 1 | -1 }));

export function planCost(terms: Term[], now: number): number {
  // Each term is at least an index probe; time after now holds no rows yet.
  return terms.reduce((n, t) => n + 0.01 + (COST_PER_HOUR[t.level] * Math.max(0, Math.min(t.to, now) - t.from)) / HOUR, 0);
}

const cheaper = (a: Term[], b: Term[], now: number) => (planCost(a, now) <= planCost(b, now) ? a : b);

/** Terms whose signed counts are exactly [from, to), using `level` and finer levels. */
export function cover(level: Level, from: number, to: number, now: number): Term[] {
  if (from >= to) return [];
  if (level === 'row') return [{ sign: 1, level, from, to }];
  const unit = UNIT[level];
  const finer = FINER[level];
  const wholeFrom = Math.ceil(from / unit) * unit;
  const wholeTo = Math.floor(to / unit) * unit;
  if (wholeFrom > wholeTo) {
    // Inside one unit [wholeTo, wholeFrom): its finer parts, or the unit less what lies outside.
    const backwards = [{ sign: 1 as const, level, from: wholeTo, to: wholeFrom }, ...negate(cover(finer, wholeTo, from, now)), ...negate(cover(finer, to, wholeFrom, now))];
    return cheaper(cover(finer, from, to, now), backwards, now);
  }
  const terms: Term[] = wholeFrom < wholeTo ? [{ sign: 1, level, from: wholeFrom, to: wholeTo }] : [];
  if (from < wholeFrom) {
    const backwards = [{ sign: 1 as const, level, from: wholeFrom - unit, to: wholeFrom }, ...negate(cover(finer, wholeFrom - unit, from, now))];
    terms.push(...cheaper(cover(finer, from, wholeFrom, now), backwards, now));
  }
  if (wholeTo < to) {
    const backwards = [{ sign: 1 as const, level, from: wholeTo, to: wholeTo + unit }, ...negate(cover(finer, to, wholeTo + unit, now))];
    terms.push(...cheaper(cover(finer, wholeTo, to, now), backwards, now));
  }
  return terms;
}

const TABLE = {
  day: { table: 'analytics_daily_latency', column: 'day', label: (t: number) => new Date(t).toISOString().slice(0, 10) },
  hour: { table: 'analytics_hourly_latency', column: 'hour', label: (t: number) => new Date(t).toISOString().slice(0, 13) },
} as const;

/**
 * One statement summing the terms' counts per output bucket (labels of `labelLength` characters:
 * 10 for days, 13 for hours) and latency bucket. dims: the filter's conditions on the histograms'
 * key columns (workspace, provider, model, status), which analytics_rows has too.
 */
export function histogramQuery(terms: Term[], organisation: string, labelLength: 10 | 13, dims: { where: string; params: SqlValue[] }): [string, SqlValue[]] {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const level of ['day', 'hour', 'row'] as const) {
    for (const sign of [1, -1] as const) {
      const ts = terms.filter((t) => t.level === level && t.sign === sign);
      if (ts.length === 0) continue;
      const minus = sign === -1 ? '-' : '';
      if (level === 'row') {
        parts.push(`SELECT substr(created_at, 1, ${labelLength}) AS b, ${latencyBucketSql('latency_ms')} AS bucket, ${minus}1 AS n FROM analytics_rows
          WHERE organisation_id = ? AND (${ts.map(() => '(created_at >= ? AND created_at < ?)').join(' OR ')}) AND ${dims.where}`);
        params.push(organisation, ...ts.flatMap((t) => [new Date(t.from).toISOString(), new Date(t.to).toISOString()]), ...dims.params);
      } else {
        const { table, column, label } = TABLE[level];
        parts.push(`SELECT substr(${column}, 1, ${labelLength}) AS b, bucket, ${minus}count AS n FROM ${table}
          WHERE organisation_id = ? AND (${ts.map(() => `(${column} >= ? AND ${column} < ?)`).join(' OR ')}) AND ${dims.where}`);
        params.push(organisation, ...ts.flatMap((t) => [label(t.from), label(t.to)]), ...dims.params);
      }
    }
  }
  return [`SELECT b, bucket, SUM(n) AS n FROM (${parts.join('\n      UNION ALL\n      ')}) s GROUP BY b, bucket`, params];
}
