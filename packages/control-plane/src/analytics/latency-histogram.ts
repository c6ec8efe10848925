/**
 * Latency histogram on a log scale, kept per rollup key in analytics_hourly_latency so that latency
 * percentiles over long ranges need no sort of the raw rows.
 *
 * Bucket 0 holds latencies under 1 ms; bucket k ≥ 1 holds [1.02^(k-1), 1.02^k) ms. A percentile is
 * reported as the geometric middle of its bucket's bounds, 1.01 · 1.02^(k-1) ms, which is within 1% of
 * every value in the bucket (the bucket spans a factor of 1.02), so within 1% of the exact nearest-rank
 * value. Latencies under 1 ms are reported as 0.
 */
export const GROWTH = 1.02;
const LN_GROWTH = Math.log(GROWTH);

/** The bucket of a latency in ms, as SQL computes it too (LATENCY_BUCKET_SQL). */
export function latencyBucket(ms: number): number {
  return ms < 1 ? 0 : Math.floor(Math.log(ms) / LN_GROWTH) + 1;
}

/** The same bucket in SQL: ln() is built into PostgreSQL and into the SQLite better-sqlite3 ships. */
export const latencyBucketSql = (column: string) => `CASE WHEN ${column} < 1 THEN 0 ELSE CAST(floor(ln(${column}) / ${LN_GROWTH}) AS INTEGER) + 1 END`;

/** The value reported for a bucket: within 1% of any latency in it. */
export function bucketValue(bucket: number): number {
  return bucket <= 0 ? 0 : GROWTH ** (bucket - 1) * Math.sqrt(GROWTH);
}

/**
 * The nearest-rank percentiles (the value at 0-based rank min(n-1, floor(q·n)) of the sorted latencies)
 * of a histogram given as bucket → count, reported by bucketValue.
 */
export function histogramPercentiles(counts: Map<number, number>, quantiles: readonly number[]): number[] {
  const buckets = [...counts.keys()].sort((a, b) => a - b);
  let n = 0;
  for (const b of buckets) n += counts.get(b)!;
  if (n === 0) return quantiles.map(() => 0);
  return quantiles.map((q) => {
    const rank = Math.min(n - 1, Math.floor(q * n));
    let seen = 0;
    for (const b of buckets) {
      seen += counts.get(b)!;
      if (seen > rank) return bucketValue(b);
    }
    return bucketValue(buckets[buckets.length - 1]);
  });
}
