import { readAtMost } from '@portico/contract';
import { Agent, request } from 'undici';
import { sleep } from '../jobs/job-host.js';

export interface LineResult {
  /** HTTP status from the gateway; 0 when no answer came (network, timeout). */
  status: number;
  requestId: string | null;
  body: unknown;
  /** Set when no usable answer came. */
  error?: { code: string; message: string };
}

/** A shared pause: after a 429 with Retry-After, no line of the batch is sent until it passes. */
export class BatchPacer {
  private until = 0;
  pauseFor(ms: number): void {
    this.until = Math.max(this.until, Date.now() + ms);
  }
  async wait(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && Date.now() < this.until) await sleep(this.until - Date.now(), signal);
  }
}

const RETRYABLE = new Set([429, 502, 503, 504]);
const MAX_RETRY_AFTER_MS = 60_000;
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

function retryAfterMs(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, s * 1000));
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - Date.now()));
}

export interface GatewayCaller {
  call(url: string, body: unknown, headers: Record<string, string>, pacer: BatchPacer, signal: AbortSignal): Promise<LineResult>;
  close(): Promise<void>;
}

/**
 * Sends one batch line through the gateway, so routing, limits, guardrails and logging apply as for any
 * request. 429 and 502/503/504 and network failures are retried (up to maxAttempts), after Retry-After
 * when given (the whole batch waits), else with exponential backoff and jitter. The gateway applies the
 * config's own retry rules within each attempt.
 */
export function gatewayCaller(opts: { gatewayUrl: () => string; maxAttempts: number; timeoutMs: number; connections: number; backoffMs?: number }): GatewayCaller {
  const dispatcher = new Agent({ connections: opts.connections, keepAliveTimeout: 30_000, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
  const backoff = opts.backoffMs ?? 500;
  return {
    async call(path, body, headers, pacer, signal) {
      let last: LineResult = { status: 0, requestId: null, body: null, error: { code: 'not_sent', message: 'not sent' } };
      for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
        await pacer.wait(signal);
        signal.throwIfAborted();
        try {
          const res = await request(new URL(path, opts.gatewayUrl()), {
            method: 'POST', dispatcher, signal,
            headers: { ...headers, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          const tooLarge = () => Object.assign(new Error(`response over ${MAX_RESPONSE_BYTES} bytes`), { code: 'response_too_large' });
          const text = (await readAtMost(res.body, MAX_RESPONSE_BYTES, tooLarge)).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          const rid = res.headers['x-portkey-request-id'] ?? res.headers['x-request-id'] ?? res.headers['x-portkey-trace-id'];
          last = { status: res.statusCode, requestId: (Array.isArray(rid) ? rid[0] : rid) ?? null, body: parsed };
          if (!RETRYABLE.has(res.statusCode) || attempt === opts.maxAttempts) return last;
          const wait = retryAfterMs(res.headers['retry-after']);
          if (wait !== undefined) pacer.pauseFor(wait);
          else await sleep(Math.min(30_000, backoff * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2), signal);
        } catch (e) {
          if (signal.aborted) throw signal.reason;
          last = { status: 0, requestId: null, body: null, error: { code: (e as { code?: string }).code === 'response_too_large' ? 'response_too_large' : 'gateway_unreachable', message: `The gateway could not be reached: ${(e as Error).message}` } };
          if ((e as { code?: string }).code === 'response_too_large' || attempt === opts.maxAttempts) return last;
          await sleep(Math.min(30_000, backoff * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2), signal);
        }
      }
      return last;
    },
    close: () => dispatcher.close(),
  };
}
