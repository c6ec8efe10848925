/** google.rpc error envelope {error:{code,message,status}} → GatewayError. Pure. */
import type { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';
import { isObject } from './schema.js';

/** google.rpc.Code name → HTTP status, per google/rpc/code.proto. */
const STATUS_HTTP: Record<string, number> = {
  CANCELLED: 499, UNKNOWN: 500, INVALID_ARGUMENT: 400, DEADLINE_EXCEEDED: 504, NOT_FOUND: 404, ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403, UNAUTHENTICATED: 401, RESOURCE_EXHAUSTED: 429, FAILED_PRECONDITION: 400, ABORTED: 409,
  OUT_OF_RANGE: 400, UNIMPLEMENTED: 501, INTERNAL: 500, UNAVAILABLE: 503, DATA_LOSS: 500,
};

export interface GoogleRpcError { code?: number; message?: string; status?: string }

/** Pulls {code,message,status} out of an error body: the envelope, or a streamed JSON array of one. */
export function parseGoogleRpcError(body: unknown): GoogleRpcError | undefined {
  const b = Array.isArray(body) ? body[0] : body;
  if (!isObject(b) || !isObject(b.error)) return undefined;
  const e = b.error;
  // Anthropic-on-Vertex errors also have an `error` object, but with `type` instead of code/status.
  if (typeof e.code !== 'number' && typeof e.status !== 'string') return undefined;
  return {
    code: typeof e.code === 'number' ? e.code : undefined,
    message: typeof e.message === 'string' ? e.message : undefined,
    status: typeof e.status === 'string' ? e.status : undefined,
  };
}

export function googleRpcToGatewayError(provider: string, httpStatus: number, e: GoogleRpcError, headers: Record<string, string> = {}): GatewayError {
  const status = (e.status && STATUS_HTTP[e.status]) || (httpStatus >= 400 ? httpStatus : e.code && e.code >= 400 ? e.code : 502);
  return upstreamError(provider, status, `${e.message ?? 'no message'}${e.status ? ` (${e.status})` : ''}`, {
    code: e.status ? e.status.toLowerCase() : null,
    headers: retryAfterHeader(headers),
  });
}

export function mapGoogleError(provider: string, status: number, body: string, headers: Record<string, string>): GatewayError {
  const e = parseGoogleRpcError(tryParseJson(body));
  if (e) return googleRpcToGatewayError(provider, status, e, headers);
  const text = body.trim().slice(0, 300);
  return upstreamError(provider, status, text || `upstream returned HTTP ${status}`, { headers: retryAfterHeader(headers) });
}
