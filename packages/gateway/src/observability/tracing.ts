/**
 * OpenTelemetry traces over OTLP/HTTP, following the GenAI semantic conventions: a SERVER span per
 * request and a CLIENT span per upstream attempt, whose W3C traceparent goes to the provider.
 *
 * Off unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set (as the SDKs
 * decide), and free when off: this module and the SDK are loaded only then (see loadTracing), and the
 * pipeline checks one undefined field per request.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

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
  startRequest(r: { operation: string; model?: string; path: string; method: string; traceparent?: string; tracestate?: string; portkeyTraceId: string }): RequestSpan;
  shutdown(): Promise<void>;
}

/** GenAI operation names (gen_ai.operation.name) for the gateway's inbound APIs. */
const OPERATION: Record<string, string> = { chat: 'chat', messages: 'chat', responses: 'chat', completions: 'text_completion', embeddings: 'embeddings' };

export function createTracing(url: string, options: { serviceName?: string; version?: string } = {}): Tracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME || options.serviceName || 'portico-gateway', 'service.version': options.version ?? '' }),
    // Bounded: at most 2048 spans wait; past that new ones are dropped, never the request held.
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 1000 })],
  });
  const tracer: Tracer = provider.getTracer('portico-gateway');
  const propagator = new W3CTraceContextPropagator();

  return {
    startRequest(r) {
      const operation = OPERATION[r.operation] ?? r.operation;
      const carrier: Record<string, string> = {};
      if (r.traceparent) carrier.traceparent = r.traceparent;
      if (r.tracestate) carrier.tracestate = r.tracestate;
      const parent: Context = r.traceparent ? propagator.extract(context.active(), carrier, { get: (c, k) => c[k], keys: (c) => Object.keys(c) }) : context.active();
      const span = tracer.startSpan(r.model ? `${operation} ${r.model}` : operation, {
        kind: SpanKind.SERVER,
        attributes: {
          'gen_ai.operation.name': operation,
          ...(r.model ? { 'gen_ai.request.model': r.model } : {}),
          'http.request.method': r.method,
          'url.path': r.path.split('?')[0],
          'portico.trace_id': r.portkeyTraceId,
        },
      }, parent);
      const requestContext = trace.setSpan(parent, span);
      return {
        attempt(a) {
          const child: Span = tracer.startSpan(a.model ? `${operation} ${a.model}` : operation, {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': operation,
              ...(a.provider ? { 'gen_ai.provider.name': a.provider, 'gen_ai.system': a.provider } : {}),
              ...(a.model ? { 'gen_ai.request.model': a.model } : {}),
              ...(a.host ? { 'server.address': a.host } : {}),
              'portico.target': a.target,
            },
          }, requestContext);
          const out: Record<string, string> = {};
          propagator.inject(trace.setSpan(requestContext, child), out, { set: (c, k, v) => { c[k] = v; } });
          return {
            traceparent: out.traceparent,
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
          span.setAttribute('portico.retries', e.retries);
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
