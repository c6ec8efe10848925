/**
 * The OTel SDK settings Portico reads from the standard OTEL_* variables (see config/settings.ts):
 * the export protocol, the sampler, and the batch span processor's bounds. Kept apart from tracing.ts
 * so tracing.ts stays about spans. Loaded, like the SDK, only when tracing is on.
 */
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';

export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export interface TracingOptions {
  serviceName?: string;
  version?: string;
  /** OTLP/HTTP body encoding; http/protobuf (the OTLP default) unless http/json. */
  protocol?: 'http/protobuf' | 'http/json';
  sampler?: SamplerName;
  /** The ratio of the traceidratio samplers, 0..1 (default 1). */
  samplerArg?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduleDelayMs?: number;
}

/** The sampler the OTEL_TRACES_SAMPLER name and ratio describe; parentbased_always_on by default, as the spec says. */
export function samplerFor(name: SamplerName = 'parentbased_always_on', ratio = 1): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
