/**
 * InvokeEndpointWithResponseStream's answer is relayed byte for byte (clients read AWS's event stream
 * themselves, as from Portkey); meanwhile the gateway reads the frames too, so a corrupt or cut stream
 * (checksums, a message left half-sent) and a ModelStreamError or InternalStreamFailure mid-stream are
 * errors in the log, not a clean 200. The stream has no closing event: ending between messages is its
 * normal end. Pure.
 */
import type { GatewayError } from '../../errors.js';
import type { FramedEvent, FramerKind } from '../types.js';
import { tryParseJson, upstreamError } from '../upstream-error.js';

export const SAGEMAKER_EVENTSTREAM = 'application/vnd.amazon.eventstream';

const STATUS: Record<string, number> = { ModelStreamError: 424, InternalStreamFailure: 500 };

export interface SageMakerStreamObserver {
  framer: FramerKind;
  observe(ev: FramedEvent): void;
  usage(): undefined;
  completed(): boolean;
  error(): GatewayError | undefined;
}

export function createSageMakerStreamObserver(): SageMakerStreamObserver {
  let error: GatewayError | undefined;
  return {
    framer: 'eventstream',
    observe(ev) {
      const h = ev.headers ?? {};
      const kind = h[':message-type'];
      if (kind !== 'exception' && kind !== 'error') return;
      const type = h[':exception-type'] ?? h[':error-code'] ?? 'UnknownError';
      const body = tryParseJson(ev.data) as { Message?: unknown; message?: unknown; ErrorCode?: unknown } | undefined;
      const message = typeof body?.Message === 'string' ? body.Message : typeof body?.message === 'string' ? body.message : h[':error-message'] ?? 'no message';
      error ??= upstreamError('sagemaker', STATUS[type] ?? 502, `${type} during the stream: ${message}`, { code: type });
    },
    usage: () => undefined,
    completed: () => true,
    error: () => error,
  };
}
