import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Label values that come from clients (model names) are capped so a client
 * cannot blow up the series count: past MAX_MODELS distinct values, new ones are reported as "other".
 */
const MAX_MODELS = 200;

export class GatewayMetrics {
  readonly registry: Registry;
  private readonly requests: Counter<'endpoint' | 'provider' | 'model' | 'status'>;
  private readonly duration: Histogram<'endpoint' | 'provider' | 'model' | 'status'>;
  private readonly upstream: Histogram<'provider' | 'status'>;
  private readonly retries: Counter<'provider'>;
  private readonly fallbacks: Counter<'provider'>;
  private readonly cacheResults: Counter<'result'>;
  private readonly inFlight: Gauge;
  private readonly streamErrors: Counter<'provider' | 'stage'>;
  private readonly models = new Set<string>();
  /** Label children by their joined values: prom-client hashes a label object on every call otherwise. */
  private readonly requestChildren = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();
  private readonly upstreamChildren = new Map<string, { observe(v: number): void }>();

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry, prefix: 'portico_process_' });
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    this.requests = new Counter({ name: 'portico_requests_total', help: 'Requests by endpoint, provider, model and HTTP status.', labelNames: ['endpoint', 'provider', 'model', 'status'], registers: [registry] });
    this.duration = new Histogram({ name: 'portico_request_duration_seconds', help: 'Time to the last byte sent to the client.', labelNames: ['endpoint', 'provider', 'model', 'status'], buckets, registers: [registry] });
    this.upstream = new Histogram({ name: 'portico_upstream_duration_seconds', help: 'Time to upstream response headers, per attempt.', labelNames: ['provider', 'status'], buckets, registers: [registry] });
    this.retries = new Counter({ name: 'portico_retries_total', help: 'Retries of a target.', labelNames: ['provider'], registers: [registry] });
    this.fallbacks = new Counter({ name: 'portico_fallbacks_total', help: 'Fallbacks away from a failed target.', labelNames: ['provider'], registers: [registry] });
    this.cacheResults = new Counter({ name: 'portico_cache_results_total', help: 'Response cache results: HIT, MISS, REFRESH, DISABLED.', labelNames: ['result'], registers: [registry] });
    this.inFlight = new Gauge({ name: 'portico_requests_in_flight', help: 'Requests being served now.', registers: [registry] });
    this.streamErrors = new Counter({ name: 'portico_stream_errors_total', help: 'Streams that failed after bytes were sent.', labelNames: ['provider', 'stage'], registers: [registry] });
  }

  private model(m: string | undefined): string {
    if (!m) return '';
    if (this.models.has(m)) return m;
    if (this.models.size >= MAX_MODELS) return 'other';
    this.models.add(m);
    return m;
  }

  requestDone(endpoint: string, provider: string | undefined, model: string | undefined, status: number, seconds: number): void {
    const m = this.model(model);
    const key = `${endpoint}\0${provider ?? ''}\0${m}\0${status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      const labels = { endpoint, provider: provider ?? '', model: m, status: String(status) };
      child = { count: this.requests.labels(labels), time: this.duration.labels(labels) };
      if (this.requestChildren.size < 20_000) this.requestChildren.set(key, child);
    }
    child.count.inc();
    child.time.observe(seconds);
  }

  upstreamLatency(provider: string, status: number, seconds: number): void {
    const key = `${provider}\0${status}`;
    let child = this.upstreamChildren.get(key);
    if (!child) {
      child = this.upstream.labels({ provider, status: String(status) });
      if (this.upstreamChildren.size < 5_000) this.upstreamChildren.set(key, child);
    }
    child.observe(seconds);
  }

  retry(provider: string): void {
    this.retries.inc({ provider });
  }

  fallback(provider: string): void {
    this.fallbacks.inc({ provider });
  }

  cache(result: string): void {
    this.cacheResults.inc({ result });
  }

  streamError(provider: string, stage: string): void {
    this.streamErrors.inc({ provider, stage });
  }

  enter(): void {
    this.inFlight.inc();
  }

  leave(): void {
    this.inFlight.dec();
  }
}
