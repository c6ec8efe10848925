/**
 * Stability AI's error bodies → GatewayError, keeping its status. v2beta answers
 * {id, name, errors: [...]}; v1 answers {id, name, message}. Pure.
 */
import type { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

export function mapStabilityError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body) as { name?: unknown; errors?: unknown; message?: unknown } | undefined;
  const name = typeof parsed?.name === 'string' ? parsed.name : null;
  const message = Array.isArray(parsed?.errors)
    ? parsed.errors.filter((e) => typeof e === 'string').join('; ')
    : typeof parsed?.message === 'string' ? parsed.message : body.trim().slice(0, 300);
  return upstreamError('stability-ai', status, message, { code: name, headers: retryAfterHeader(headers) });
}
