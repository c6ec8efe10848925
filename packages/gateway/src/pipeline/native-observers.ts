import { GatewayError } from '../errors.js';
import type { FramedEvent, FramerKind, Operation, Usage } from '../providers/types.js';
import { SAGEMAKER_EVENTSTREAM, createSageMakerStreamObserver } from '../providers/sagemaker/stream.js';
import { tryParseJson } from '../providers/upstream-error.js';
import { usageFromResponsesApi } from '../providers/usage.js';
import type { NativeStreamObserver } from './streams.js';

/**
 * Observers for streams relayed byte for byte, by inbound operation and provider. A factory may decline
 * a response by its content type (returning undefined), and an observer may name the framer it reads (SSE by default).
 */
type ObserverFactory = (collectOutput: boolean, contentType: string) => (NativeStreamObserver & { framer?: FramerKind }) | undefined;
const factories = new Map<string, ObserverFactory>();

export function registerNativeObserver(providerId: string, op: Operation, factory: ObserverFactory): void {
  factories.set(`${providerId}:${op}`, factory);
}

/** `collectOutput`: the observer also keeps the response's output, for output guardrails. */
export function nativeObserverFor(providerId: string, op: Operation, collectOutput = false, contentType = 'text/event-stream'): (NativeStreamObserver & { framer?: FramerKind }) | undefined {
  const f = factories.get(`${providerId}:${op}`) ?? factories.get(`*:${op}`);
  return f?.(collectOutput, contentType);
}

/** OpenAI Responses API streams end with response.completed / incomplete / failed. */
export function createResponsesObserver(collectOutput = false): NativeStreamObserver {
  let usage: Usage | undefined;
  let done = false;
  let error: GatewayError | undefined;
  let final: Record<string, unknown> | undefined;
  return {
    observe(ev: FramedEvent) {
      const type = ev.event;
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        done = true;
        const body = tryParseJson(ev.data) as { response?: { usage?: unknown } } | undefined;
        // The final event carries the whole response, output items included.
        if (collectOutput) final = body?.response;
        usage = usageFromResponsesApi(body?.response?.usage) ?? usage;
      } else if (type === 'error') {
        const body = tryParseJson(ev.data) as { message?: string; code?: string } | undefined;
        error = new GatewayError({ status: 502, type: 'upstream_error', code: body?.code ?? null, message: `Upstream stream failed: ${body?.message ?? 'error event'}` });
      }
    },
    usage: () => usage,
    completed: () => done,
    error: () => error,
    output: collectOutput ? () => final : undefined,
  };
}

/** OpenAI legacy completions streams: `data:` chunks ending with [DONE]. */
export function createOpenAIDoneObserver(collectOutput = false): NativeStreamObserver {
  let usage: Usage | undefined;
  let done = false;
  let text = '';
  return {
    observe(ev) {
      if (ev.data === '[DONE]') done = true;
      else if (collectOutput) {
        const chunk = tryParseJson(ev.data) as { usage?: Usage; choices?: Array<{ index?: number; text?: unknown }> } | undefined;
        usage = chunk?.usage ?? usage;
        const first = chunk?.choices?.find((c) => (c.index ?? 0) === 0);
        if (typeof first?.text === 'string') text += first.text;
      } else if (ev.data.includes('"usage":{')) usage = (tryParseJson(ev.data) as { usage?: Usage } | undefined)?.usage ?? usage;
    },
    usage: () => usage,
    completed: () => done,
    error: () => undefined,
    output: collectOutput ? () => ({ choices: [{ index: 0, text }] }) : undefined,
  };
}

registerNativeObserver('*', 'responses', createResponsesObserver);
registerNativeObserver('*', 'completions', createOpenAIDoneObserver);
// SageMaker's other responses (the container's own JSON, CSV, ...) are relayed unread.
registerNativeObserver('sagemaker', 'passthrough', (_collect, contentType) => (contentType.startsWith(SAGEMAKER_EVENTSTREAM) ? createSageMakerStreamObserver() : undefined));
