import { GatewayError } from '../errors.js';
import type { AbortLike } from '../upstream/abort.js';

export const DEFAULT_RETRY_STATUS_CODES = [429, 500, 502, 503, 504];
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
const MAX_RETRY_AFTER_MS = 60_000;

export interface RetryPolicy {
  attempts: number;
  on_status_codes?: number[];
  use_retry_after_header?: boolean;
}

/** Exponential backoff with jitter (half fixed, half random), capped. */
export function backoffDelayMs(retryIndex: number, random = Math.random): number {
  const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** retryIndex);
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** Parses Retry-After (seconds or an HTTP date, or retry-after-ms) into milliseconds. */
export function retryAfterMs(headers: Record<string, string>, now = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.min(MAX_RETRY_AFTER_MS, Number(ms));
  const v = headers['retry-after'];
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.min(MAX_RETRY_AFTER_MS, Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}

export interface RetryOutcome<T> {
  value: T;
  retries: number;
}

/**
 * Runs `attempt` and retries it on the policy's status codes. The error of the last attempt is thrown
 * with the retry count attached, so the caller can report x-portkey-retry-attempt-count.
 */
export async function withRetries<T>(
  policy: RetryPolicy | undefined,
  attempt: (index: number) => Promise<T>,
  hooks: { onRetry?: (error: GatewayError, index: number) => void; signal?: AbortLike; canRepeat?: () => boolean } = {},
): Promise<RetryOutcome<T>> {
  const max = policy?.attempts ?? 0;
  const codes = policy?.on_status_codes ?? DEFAULT_RETRY_STATUS_CODES;
  for (let i = 0; ; i++) {
    try {
      return { value: await attempt(i), retries: i };
    } catch (e) {
      if (!(e instanceof GatewayError) || i >= max || !e.retryable || !codes.includes(e.status) || hooks.signal?.aborted || hooks.canRepeat?.() === false) {
        if (e instanceof GatewayError) (e as GatewayError & { retries?: number }).retries = i;
        throw e;
      }
      hooks.onRetry?.(e, i);
      const fromHeader = policy?.use_retry_after_header ? retryAfterMs(e.headers) : undefined;
      await sleep(fromHeader ?? backoffDelayMs(i), hooks.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortLike): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.off('abort', done);
      resolve();
    }
    signal?.once('abort', done);
  });
}
