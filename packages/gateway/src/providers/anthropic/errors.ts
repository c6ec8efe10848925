import { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';
import { isObject } from './wire.js';

/** Anthropic error types and the HTTP status the API sends with each. */
export const ANTHROPIC_ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** Pulls `{type, message}` out of Anthropic's `{type:'error', error:{type,message}}`, if the body has that shape. */
export function parseAnthropicError(body: unknown): { type: string; message: string } | undefined {
  if (!isObject(body) || !isObject(body.error)) return undefined;
  const { type, message } = body.error;
  if (typeof type !== 'string' && typeof message !== 'string') return undefined;
  return { type: typeof type === 'string' ? type : 'api_error', message: typeof message === 'string' ? message : '' };
}

/**
 * Maps a non-2xx Anthropic response to a GatewayError, keeping the status and Anthropic's message.
 * The Anthropic error type is kept as `type` and `code`, so the /v1/messages inbound can answer in kind.
 */
export function mapAnthropicError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = parseAnthropicError(tryParseJson(body));
  const message = parsed?.message || (body && !parsed ? body.slice(0, 500) : '');
  return upstreamError('anthropic', status, message, {
    type: parsed?.type,
    code: parsed?.type ?? null,
    headers: retryAfterHeader(lowerKeys(headers)),
  });
}

/** A mid-stream `error` event: status from Anthropic's error type (overloaded_error is 529). */
export function anthropicStreamError(data: unknown): GatewayError {
  const parsed = parseAnthropicError(data) ?? { type: 'api_error', message: 'error event without details' };
  const status = ANTHROPIC_ERROR_STATUS[parsed.type] ?? 500;
  return upstreamError('anthropic', status, `${parsed.message} (stream error event ${parsed.type}, after the response had started)`, {
    type: parsed.type,
    code: parsed.type,
  });
}

/** The stream ended without message_stop: a cut connection must never look like a clean finish. */
export function truncatedStreamError(lastEvent: string | undefined): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'stream_truncated',
    provider: 'anthropic',
    message: `anthropic error: the stream ended before message_stop (last event: ${lastEvent ?? 'none'}); the response is incomplete, retry the request`,
  });
}

export function badStreamEvent(event: string | undefined, why: string): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'invalid_stream_event',
    provider: 'anthropic',
    message: `anthropic error: could not read stream event ${event ?? '(unnamed)'}: ${why}`,
  });
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
