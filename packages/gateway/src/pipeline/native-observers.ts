import { GatewayError } from '../errors.js';
import type { FramedEvent, Operation, Usage } from '../providers/types.js';
import { tryParseJson } from '../providers/upstream-error.js';
import type { NativeStreamObserver } from './streams.js';

/** Observers for streams relayed byte for byte, by inbound operation and provider. */
const factories = new Map<string, () => NativeStreamObserver>();

export function registerNativeObserver(providerId: string, op: Operation, factory: () => NativeStreamObserver): void {
  factories.set(`${providerId}:${op}`, factory);
}

export function nativeObserverFor(providerId: string, op: Operation): NativeStreamObserver | undefined {
  const f = factories.get(`${providerId}:${op}`) ?? factories.get(`*:${op}`);
  return f?.();
}

/** OpenAI Responses API streams end with response.completed / incomplete / failed. */
export function createResponsesObserver(): NativeStreamObserver {
  let usage: Usage | undefined;
  let done = false;
  let error: GatewayError | undefined;
  return {
    observe(ev: FramedEvent) {
      const type = ev.event;
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        done = true;
        const body = tryParseJson(ev.data) as { response?: { usage?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } } } | undefined;
        const u = body?.response?.usage;
        if (u) usage = { prompt_tokens: u.input_tokens ?? 0, completion_tokens: u.output_tokens ?? 0, total_tokens: u.total_tokens ?? 0 };
      } else if (type === 'error') {
        const body = tryParseJson(ev.data) as { message?: string; code?: string } | undefined;
        error = new GatewayError({ status: 502, type: 'upstream_error', code: body?.code ?? null, message: `Upstream stream failed: ${body?.message ?? 'error event'}` });
      }
    },
    usage: () => usage,
    completed: () => done,
    error: () => error,
  };
}

/** OpenAI legacy completions streams: `data:` chunks ending with [DONE]. */
export function createOpenAIDoneObserver(): NativeStreamObserver {
  let usage: Usage | undefined;
  let done = false;
  return {
    observe(ev) {
      if (ev.data === '[DONE]') done = true;
      else if (ev.data.includes('"usage":{')) usage = (tryParseJson(ev.data) as { usage?: Usage } | undefined)?.usage ?? usage;
    },
    usage: () => usage,
    completed: () => done,
    error: () => undefined,
  };
}

registerNativeObserver('*', 'responses', createResponsesObserver);
registerNativeObserver('*', 'completions', createOpenAIDoneObserver);
