/**
 * OpenTelemetry traces over OTLP/HTTP, following the GenAI semantic conventions: a SERVER span per
 * request and a CLIENT span per upstream attempt, whose W3C traceparent goes to the provider.
 *
 * Off unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set (as the SDKs
 * decide), and free when off: this module and the SDK are loaded only then (see loadTracing), and the
 * pipeline checks one undefined field per request.
 */
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { samplerFor, type TracingOptions } from './tracing-options.js';

export type { TracingOptions } from './tracing-options.js';

export interface AttemptSpan {
  /** The W3C traceparent naming this attempt's span, for the upstream request. */
  traceparent: string;
  end(status: number, error?: { type: string; message: string }): void;
}

export interface RequestSpanEnd {
  status: number;
  provider?: string;
  model?: string;
  responseModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
  errorType?: string;
  retries: number;
  cacheStatus: string;
}

export interface RequestSpan {
  attempt(a: { target: string; provider?: string; model?: string; host?: string }): AttemptSpan;
  end(e: RequestSpanEnd): void;
}

export interface Tracing {
  /** The request's span; undefined when the sampler drops it (then nothing else is built for it). */
  startRequest(r: { operation: string; model?: string; path: string; method: string; traceparent?: string; tracestate?: string; portkeyTraceId: string }): RequestSpan | undefined;
  shutdown(): Promise<void>;
}

/** GenAI operation names (gen_ai.operation.name) for the gateway's inbound APIs. */
const OPERATION: Record<string, string> = { chat: 'chat', messages: 'chat', responses: 'chat', completions: 'text_completion', embeddings: 'embeddings' };

const carrierGetter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };

/**
 * What a sampled request costs is mostly per span and out of our hands (the SDK's span, its export
 * serialisation); what is ours is kept small: the sampling decision comes first, with no attributes
 * built for a request it drops; the traceparent is written from the span's ids, not through a
 * propagator and a context per attempt; the request's context is made only when an attempt needs it.
 */
export function createTracing(url: string, options: TracingOptions = {}): Tracing {
  const Exporter = options.protocol === 'http/json' ? JsonExporter : ProtobufExporter;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || options.serviceName || 'portico-gateway', 'service.version': options.version ?? '' }),
    sampler: samplerFor(options.sampler, options.samplerArg),
    // Bounded: at most maxQueueSize spans wait; past that new ones are dropped, never the request held.
    spanProcessors: [new BatchSpanProcessor({
      exporter: new Exporter({ url }),
      maxQueueSize: options.maxQueueSize ?? 2048,
      maxExportBatchSize: options.maxExportBatchSize ?? 512,
      scheduledDelayMillis: options.scheduleDelayMs ?? 1000,
    })],
  });
  const tracer: Tracer = provider.getTracer('portico-gateway');
  const propagator = new W3CTraceContextPropagator();

  return {
    startRequest(r) {
      const operation = OPERATION[r.operation] ?? r.operation;
      let parent: Context = context.active();
      if (r.traceparent) {
        const carrier: Record<string, string> = { traceparent: r.traceparent };
        if (r.tracestate) carrier.tracestate = r.tracestate;
        parent = propagator.extract(parent, carrier, carrierGetter);
      }
      const span = tracer.startSpan(r.model ? `${operation} ${r.model}` : operation, { kind: SpanKind.SERVER }, parent);
      if (!span.isRecording()) return undefined;
      span.setAttribute('gen_ai.operation.name', operation);
      if (r.model) span.setAttribute('gen_ai.request.model', r.model);
      span.setAttribute('http.request.method', r.method);
      const q = r.path.indexOf('?');
      span.setAttribute('url.path', q === -1 ? r.path : r.path.slice(0, q));
      span.setAttribute('portico.trace_id', r.portkeyTraceId);
      let requestContext: Context | undefined;
      return {
        attempt(a) {
          requestContext ??= trace.setSpan(parent, span);
          const child: Span = tracer.startSpan(a.model ? `${operation} ${a.model}` : operation, { kind: SpanKind.CLIENT }, requestContext);
          child.setAttribute('gen_ai.operation.name', operation);
          if (a.provider) child.setAttribute('gen_ai.provider.name', a.provider);
          if (a.model) child.setAttribute('gen_ai.request.model', a.model);
          if (a.host) child.setAttribute('server.address', a.host);
          child.setAttribute('portico.target', a.target);
          const sc = child.spanContext();
          return {
            // W3C trace-context version 00: what the propagator would write, without its carrier and context.
            traceparent: `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags & 1 ? '01' : '00'}`,
            end(status, error) {
              child.setAttribute('http.response.status_code', status);
              if (error) {
                child.setAttribute('error.type', error.type);
                child.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
              }
              child.end();
            },
          };
        },
        end(e) {
          span.setAttribute('http.response.status_code', e.status);
          if (e.provider) span.setAttribute('gen_ai.provider.name', e.provider);
          if (e.responseModel ?? e.model) span.setAttribute('gen_ai.response.model', (e.responseModel ?? e.model)!);
          if (e.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', e.inputTokens);
          if (e.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', e.outputTokens);
          if (e.cachedTokens) span.setAttribute('gen_ai.usage.cache_read.input_tokens', e.cachedTokens);
          if (e.retries) span.setAttribute('portico.retries', e.retries);
          span.setAttribute('portico.cache_status', e.cacheStatus);
          if (e.errorType) {
            span.setAttribute('error.type', e.errorType);
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
    async shutdown() {
      await provider.shutdown().catch(() => undefined);
    },
  };
}
