import type { Registry } from 'prom-client';

/** One label set's numbers: observations per bucket (not cumulative), their sum and count. */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram for the request path, exposed through a prom-client Registry in the same
 * text format as prom-client's own Histogram. A caller holds a Series per label set and observing is
 * a few arithmetic operations: prom-client's observe() hashes the label object and updates buckets
 * kept under string keys on every call, which cost as much as the rest of the metrics per request.
 * Optionally also exposes the series' counts as a counter (`countAs`), so one observation serves a
 * request counter and a latency histogram with the same labels.
 */
export class LabelledHistogram {
  private readonly series = new Map<string, Series>();
  /** Shared by the label sets that came after maxSeries. */
  private overflow?: Series;
  private readonly bounds: Float64Array;

  constructor(
    private readonly opts: {
      name: string;
      help: string;
      labelNames: readonly string[];
      buckets: readonly number[];
      registry: Registry;
      /** Also expose the counts as this counter (name and help). */
      countAs?: { name: string; help: string };
      /** Label sets kept at most; further ones share an overflow series (labels all "other"). */
      maxSeries: number;
    },
  ) {
    this.bounds = Float64Array.from([...opts.buckets].sort((a, b) => a - b));
    const register = (metric: ExposedMetric) => opts.registry.registerMetric(metric as never);
    register({ name: opts.name, help: opts.help, type: 'histogram', aggregator: 'sum', get: async () => this.histogramValues(), reset: () => this.reset() });
    if (opts.countAs) {
      const { name, help } = opts.countAs;
      register({ name, help, type: 'counter', aggregator: 'sum', get: async () => this.counterValues(name, help), reset: () => this.reset() });
    }
  }

  /**
   * The series for these label values (in labelNames order), created on first use. Past maxSeries
   * label sets, new ones share one series whose labels are all "other".
   */
  seriesFor(values: readonly string[]): Series {
    const key = values.join('\0');
    let s = this.series.get(key);
    if (s) return s;
    if (this.series.size >= this.opts.maxSeries) return (this.overflow ??= this.newSeries(this.opts.labelNames.map(() => 'other')));
    s = this.newSeries(values);
    this.series.set(key, s);
    return s;
  }

  private newSeries(values: readonly string[]): Series {
    const labels: Record<string, string> = {};
    this.opts.labelNames.forEach((n, i) => (labels[n] = values[i]));
    return { labels, buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }

  observe(s: Series, value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        s.buckets[i]++;
        break;
      }
    }
    s.sum += value;
    s.count++;
  }

  private reset(): void {
    this.series.clear();
    this.overflow = undefined;
  }

  private all(): Series[] {
    return this.overflow ? [...this.series.values(), this.overflow] : [...this.series.values()];
  }

  private histogramValues(): MetricValues {
    const { name, help } = this.opts;
    const values: MetricValue[] = [];
    for (const s of this.all()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.buckets[i];
        values.push({ metricName: `${name}_bucket`, labels: { le: this.bounds[i], ...s.labels }, value: cumulative });
      }
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
      values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
    }
    return { name, help, type: 'histogram', aggregator: 'sum', values };
  }

  private counterValues(name: string, help: string): MetricValues {
    const values: MetricValue[] = [];
    for (const s of this.all()) values.push({ labels: s.labels, value: s.count });
    return { name, help, type: 'counter', aggregator: 'sum', values };
  }
}

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

interface MetricValues {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  aggregator: 'sum';
  values: MetricValue[];
}

/** What a prom-client Registry needs of a metric to expose and reset it. */
interface ExposedMetric {
  name: string;
  help: string;
  type: 'histogram' | 'counter';
  aggregator: 'sum';
  get(): Promise<MetricValues>;
  reset(): void;
}
