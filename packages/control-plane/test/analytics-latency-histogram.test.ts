import { describe, expect, it } from 'vitest';
import { bucketValue, histogramPercentiles, latencyBucket } from '../src/analytics/latency-histogram.js';

/**
 * The histogram's percentiles against the exact nearest rank: always within 1%, and the check is
 * tight enough to tell a coarser method apart (a bucket's upper bound, or buckets growing by 1.1).
 */
const QUANTILES = [0.5, 0.9, 0.95, 0.99];
const nearest = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const relError = (got: number, exact: number) => Math.abs(got - exact) / exact;

function histogram(latencies: number[], bucketOf = latencyBucket): Map<number, number> {
  const h = new Map<number, number>();
  for (const l of latencies) h.set(bucketOf(l), (h.get(bucketOf(l)) ?? 0) + 1);
  return h;
}

/** A deterministic pseudo-random generator, so a failure reproduces. */
function random(seed: number) {
  return () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('latency histogram percentiles', () => {
  it('are within 1% of the exact nearest-rank value over many spreads, from 1 ms to 10^6 ms', () => {
    const next = random(42);
    let worst = 0;
    for (let trial = 0; trial < 300; trial++) {
      const scale = 10 ** (next() * 6);
      const latencies = Array.from({ length: 1 + Math.floor(next() * 2000) }, () => 1 + scale * next() ** 3);
      const sorted = [...latencies].sort((a, b) => a - b);
      const got = histogramPercentiles(histogram(latencies), QUANTILES);
      QUANTILES.forEach((q, i) => (worst = Math.max(worst, relError(got[i], nearest(sorted, q)))));
    }
    expect(worst).toBeLessThan(0.01);
    expect(worst).toBeGreaterThan(0.009); // the bound is reached: the buckets are no finer than claimed
  });

  it('tells a coarse method apart: the upper bound, or buckets growing by 1.1, miss by more than 1%', () => {
    // 1004 ms sits just above bucket 350's lower bound 1.02^349 ≈ 1003.4 ms, far from its upper bound.
    const latencies = [...Array(60).fill(300), ...Array(40).fill(1004), ...Array(1).fill(5000)];
    const exactP90 = nearest([...latencies].sort((a, b) => a - b), 0.9);
    expect(exactP90).toBe(1004);
    const h = histogram(latencies);
    expect(relError(histogramPercentiles(h, [0.9])[0], exactP90)).toBeLessThan(0.01);
    const upperBound = 1.02 ** latencyBucket(1004);
    expect(relError(upperBound, exactP90)).toBeGreaterThan(0.01);
    // Buckets growing by 1.05, reporting their middle, miss by more than 1% on an even spread of latencies.
    const spread = Array.from({ length: 1000 }, (_, i) => 1 + i * 10);
    const coarseMiddle = (ms: number) => 1.05 ** Math.floor(Math.log(ms) / Math.log(1.05)) * Math.sqrt(1.05);
    const exact = QUANTILES.map((q) => nearest(spread, q));
    expect(Math.max(...exact.map((x) => relError(coarseMiddle(x), x)))).toBeGreaterThan(0.01);
    const fine = histogramPercentiles(histogram(spread), QUANTILES);
    exact.forEach((x, i) => expect(relError(fine[i], x)).toBeLessThan(0.01));
  });

  it('puts latencies under 1 ms in bucket 0, reported as 0, and an empty histogram gives 0', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.99)).toBe(0);
    expect(latencyBucket(1)).toBe(1);
    expect(bucketValue(0)).toBe(0);
    expect(histogramPercentiles(new Map(), QUANTILES)).toEqual([0, 0, 0, 0]);
    expect(histogramPercentiles(histogram([0, 0, 0.5, 2]), [0.5])).toEqual([0]);
  });
});
