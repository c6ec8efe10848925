/**
 * Health-aware load balancing: each loadbalance target's recent error rate and latency, as
 * exponentially weighted averages kept in this process, scale its weight down (outlier handling in the
 * spirit of Envoy's). The scaling is bounded: a target keeps at least MIN_FACTOR of its weight (it
 * still gets traffic, so its recovery is seen), it is never scaled up, and a target's latency counts
 * only against its siblings' fastest, so one slow target loses share without starving the rest.
 */

const ALPHA = 0.2;
/** Samples before a target's health counts at all. */
const MIN_SAMPLES = 5;
export const MIN_FACTOR = 0.1;
/** Latency within this multiple of the fastest sibling's costs nothing. */
const LATENCY_SLACK = 2;

interface Stats {
  samples: number;
  errorRate: number;
  latencyMs: number;
}

export class TargetHealth {
  private readonly stats = new Map<string, Stats>();
  constructor(private readonly max = 10_000) {}

  /** One attempt's outcome: failed (5xx, 408, connection errors) and how long it took. */
  record(key: string, failed: boolean, ms: number): void {
    let s = this.stats.get(key);
    if (!s) {
      if (this.stats.size >= this.max) this.stats.delete(this.stats.keys().next().value!);
      s = { samples: 0, errorRate: failed ? 1 : 0, latencyMs: ms };
      this.stats.set(key, s);
    }
    s.samples++;
    s.errorRate += ALPHA * ((failed ? 1 : 0) - s.errorRate);
    // Failures are often fast (a refused connection): only successes teach the latency.
    if (!failed) s.latencyMs += ALPHA * (ms - s.latencyMs);
  }

  /** Weight multipliers in [MIN_FACTOR, 1] for sibling targets, in the order of `keys`. */
  factors(keys: readonly string[]): number[] {
    const stats = keys.map((k) => this.stats.get(k));
    let fastest = Infinity;
    for (const s of stats) if (s && s.samples >= MIN_SAMPLES && s.errorRate < 0.5) fastest = Math.min(fastest, s.latencyMs);
    return stats.map((s) => {
      if (!s || s.samples < MIN_SAMPLES) return 1;
      const health = 1 - s.errorRate;
      const slowness = fastest === Infinity || s.latencyMs <= fastest * LATENCY_SLACK ? 1 : (fastest * LATENCY_SLACK) / s.latencyMs;
      return Math.max(MIN_FACTOR, Math.min(1, health * slowness));
    });
  }

  /** Whether each target fails less than half of its recent attempts (latency aside): sticky routing's test. */
  healthy(keys: readonly string[]): boolean[] {
    return keys.map((k) => {
      const s = this.stats.get(k);
      return !s || s.samples < MIN_SAMPLES || s.errorRate < 0.5;
    });
  }

  /** For /health: what this replica thinks of each target it has seen. */
  view(limit = 50): Array<{ target: string; samples: number; error_rate: number; latency_ms: number }> {
    const out = [];
    for (const [target, s] of this.stats) {
      if (out.length >= limit) break;
      out.push({ target, samples: s.samples, error_rate: Math.round(s.errorRate * 1000) / 1000, latency_ms: Math.round(s.latencyMs) });
    }
    return out;
  }
}
