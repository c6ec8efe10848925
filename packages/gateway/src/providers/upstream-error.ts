import { GatewayError } from '../errors.js';

/**
 * Builds the GatewayError for a failed upstream call, keeping the provider's status and message.
 * Providers call this from their pure mapError after pulling the message out of their own error shape.
 */
export function upstreamError(provider: string, status: number, message: string, opts: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {}): GatewayError {
  const safeStatus = status >= 400 && status <= 599 ? status : 502;
  return new GatewayError({
    status: safeStatus,
    message: `${provider} error: ${message || `upstream returned HTTP ${status} with no message`}`,
    type: opts.type ?? (safeStatus >= 500 ? 'upstream_error' : undefined),
    code: opts.code ?? null,
    param: opts.param ?? null,
    headers: opts.headers,
    provider,
  });
}

/** Parses a body as JSON without throwing; undefined when it is not JSON. */
export function tryParseJson(body: string): unknown {
  if (!body) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Keeps only Retry-After from an upstream's headers, so it reaches the client on 429/503. */
export function retryAfterHeader(headers: Record<string, string>): Record<string, string> | undefined {
  const v = headers['retry-after'];
  return v ? { 'retry-after': v } : undefined;
}
