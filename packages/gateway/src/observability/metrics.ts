import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.js';

/**
 * Prometheus metrics. Label values that come from clients (model names) are capped so a client
 * cannot blow up the series count: past MAX_MODELS distinct values, new ones are reported as "other".
 */
const MAX_MODELS = 200;
/** Label sets kept per histogram; past them, new ones share one series labelled "other". */
const MAX_REQUEST_SERIES = 20_000;
const MAX_UPSTREAM_SERIES = 5_000;

export class GatewayMetrics {
  readonly registry: Registry;
  /** Request counts and durations: one series per endpoint, provider, model and status. */
  private readonly requests: LabelledHistogram;
  private readonly upstream: LabelledHistogram;
  private readonly retries: Counter<'provider'>;
  private readonly fallbacks: Counter<'provider'>;
  private readonly cacheResults: Counter<'result'>;
  private inFlight = 0;
  private readonly streamErrors: Counter<'provider' | 'stage'>;
  private readonly models = new Set<string>();
  private readonly promptTokensTotal: Counter<'provider'>;
  private readonly cachedPromptTokensTotal: Counter<'provider'>;
  private readonly cuts: Counter<'reason'>;
  private readonly bufferRefusals: Counter;
  /** Bytes of non-streamed answers held now (set by app.ts to read the budget). */
  bufferedBytes: () => number = () => 0;

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry, prefix: 'portico_process_' });
    const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
    this.requests = new LabelledHistogram({
      name: 'portico_request_duration_seconds', help: 'Time to the last byte sent to the client.', labelNames: ['endpoint', 'provider', 'model', 'status'], buckets, registry,
      countAs: { name: 'portico_requests_total', help: 'Requests by endpoint, provider, model and HTTP status.' }, maxSeries: MAX_REQUEST_SERIES,
    });
    this.upstream = new LabelledHistogram({ name: 'portico_upstream_duration_seconds', help: 'Time to upstream response headers, per attempt.', labelNames: ['provider', 'status'], buckets, registry, maxSeries: MAX_UPSTREAM_SERIES });
    this.retries = new Counter({ name: 'portico_retries_total', help: 'Retries of a target.', labelNames: ['provider'], registers: [registry] });
    this.fallbacks = new Counter({ name: 'portico_fallbacks_total', help: 'Fallbacks away from a failed target.', labelNames: ['provider'], registers: [registry] });
    this.cacheResults = new Counter({ name: 'portico_cache_results_total', help: 'Response cache results: HIT, MISS, REFRESH, DISABLED; SEMANTIC HIT and SEMANTIC MISS where a semantic lookup decided.', labelNames: ['result'], registers: [registry] });
    const inFlight = () => this.inFlight;
    new Gauge({ name: 'portico_requests_in_flight', help: 'Requests being served now.', registers: [registry], collect() { this.set(inFlight()); } });
    this.promptTokensTotal = new Counter({ name: 'portico_prompt_tokens_total', help: 'Prompt (input) tokens of answered requests.', labelNames: ['provider'], registers: [registry] });
    this.cachedPromptTokensTotal = new Counter({ name: 'portico_cached_prompt_tokens_total', help: 'Prompt tokens the provider served from its prompt cache; divided by portico_prompt_tokens_total, the cached-token share.', labelNames: ['provider'], registers: [registry] });
    this.streamErrors = new Counter({ name: 'portico_stream_errors_total', help: 'Streams that failed after bytes were sent.', labelNames: ['provider', 'stage'], registers: [registry] });
    this.cuts = new Counter({ name: 'portico_client_connections_cut_total', help: 'Client connections closed for sending or reading too slowly: headers, slow_body, write_idle.', labelNames: ['reason'], registers: [registry] });
    this.bufferRefusals = new Counter({ name: 'portico_response_buffer_refusals_total', help: 'Answers refused with 503 because RESPONSE_BUFFER_MAX_BYTES of answers were already held.', registers: [registry] });
    const buffered = () => this.bufferedBytes();
    new Gauge({ name: 'portico_response_buffer_bytes', help: 'Bytes of non-streamed answers held now, until their clients take them.', registers: [registry], collect() { this.set(buffered()); } });
  }

  clientCut(reason: 'headers' | 'slow_body' | 'write_idle'): void {
    this.cuts.inc({ reason });
  }

  responseBufferFull(): void {
    this.bufferRefusals.inc();
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
    this.requests.observe(this.requests.seriesFor([endpoint, provider ?? '', m, String(status)]), seconds);
  }

  upstreamLatency(provider: string, status: number, seconds: number): void {
    this.upstream.observe(this.upstream.seriesFor([provider, String(status)]), seconds);
  }

  retry(provider: string): void {
    this.retries.inc({ provider });
  }

  fallback(provider: string): void {
    this.fallbacks.inc({ provider });
  }

  promptTokens(provider: string, prompt: number, cached: number): void {
    this.promptTokensTotal.inc({ provider }, prompt);
    if (cached > 0) this.cachedPromptTokensTotal.inc({ provider }, cached);
  }

  cache(result: string): void {
    this.cacheResults.inc({ result });
  }

  streamError(provider: string, stage: string): void {
    this.streamErrors.inc({ provider, stage });
  }

  enter(): void {
    this.inFlight++;
  }

  leave(): void {
    this.inFlight--;
  }
}
