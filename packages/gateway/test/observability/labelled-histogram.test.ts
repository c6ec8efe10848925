import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { LabelledHistogram } from '../../src/observability/labelled-histogram.js';
import { GatewayMetrics } from '../../src/observability/metrics.js';

const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const observations: Array<[string, string, number]> = [
  ['openai', '200', 0.003], ['openai', '200', 0.005], ['openai', '200', 0.4], ['openai', '200', 200],
  ['anthropic', '429', 0.07], ['openai', '500', 1], ['anthropic', '429', 0.0101], ['we"ird\\name\n', '200', 3],
];

describe('LabelledHistogram', () => {
  it('exposes the same text as prom-client Histogram and Counter fed the same observations', async () => {
    const reference = new Registry();
    const h = new Histogram({ name: 'x_seconds', help: 'Latency.', labelNames: ['provider', 'status'], buckets, registers: [reference] });
    const c = new Counter({ name: 'x_total', help: 'Requests.', labelNames: ['provider', 'status'], registers: [reference] });
    const ours = new Registry();
    const lh = new LabelledHistogram({ name: 'x_seconds', help: 'Latency.', labelNames: ['provider', 'status'], buckets, registry: ours, countAs: { name: 'x_total', help: 'Requests.' }, maxSeries: 100 });
    for (const [provider, status, v] of observations) {
      h.observe({ provider, status }, v);
      c.inc({ provider, status });
      lh.observe(lh.seriesFor([provider, status]), v);
    }
    // prom-client orders series by first observation, as we do; the texts must match line for line.
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('keeps at most maxSeries label sets and counts the rest under "other"', async () => {
    const registry = new Registry();
    const lh = new LabelledHistogram({ name: 'y_seconds', help: 'h', labelNames: ['model'], buckets: [1], registry, maxSeries: 2 });
    for (const m of ['a', 'b', 'c', 'd', 'a']) lh.observe(lh.seriesFor([m]), 0.5);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_count{model="a"} 2');
    expect(text).toContain('y_seconds_count{model="b"} 1');
    expect(text).toContain('y_seconds_count{model="other"} 2');
    expect(text).not.toContain('model="c"');
  });

  it('ignores values that are not finite numbers instead of corrupting the sum', async () => {
    const registry = new Registry();
    const lh = new LabelledHistogram({ name: 'z_seconds', help: 'h', labelNames: [], buckets: [1], registry, maxSeries: 1 });
    const s = lh.seriesFor([]);
    lh.observe(s, Number.NaN);
    lh.observe(s, 0.25);
    expect(await registry.metrics()).toContain('z_seconds_sum 0.25');
  });
});

describe('GatewayMetrics', () => {
  it('counts requests, their durations, upstream times and requests in flight', async () => {
    const m = new GatewayMetrics();
    m.enter();
    m.enter();
    m.leave();
    m.requestDone('chat', 'openai', 'gpt-4o-mini', 200, 0.02);
    m.requestDone('chat', 'openai', 'gpt-4o-mini', 200, 0.2);
    m.upstreamLatency('openai', 200, 0.015);
    const text = await m.registry.metrics();
    expect(text).toContain('portico_requests_total{endpoint="chat",provider="openai",model="gpt-4o-mini",status="200"} 2');
    expect(text).toContain('portico_request_duration_seconds_bucket{le="0.025",endpoint="chat",provider="openai",model="gpt-4o-mini",status="200"} 1');
    expect(text).toContain('portico_request_duration_seconds_sum{endpoint="chat",provider="openai",model="gpt-4o-mini",status="200"} 0.22');
    expect(text).toContain('portico_upstream_duration_seconds_count{provider="openai",status="200"} 1');
    expect(text).toContain('portico_requests_in_flight 1');
  });
});
