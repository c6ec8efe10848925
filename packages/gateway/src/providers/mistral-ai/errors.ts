import type { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

interface Detail { loc?: Array<string | number>; msg?: string }

function describeDetail(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail)) return undefined;
  return (detail as Detail[])
    .map((d) => `${(d.loc ?? []).filter((x) => x !== 'body').join('.') || 'body'}: ${d.msg ?? 'invalid'}`)
    .join('; ');
}

/**
 * Mistral errors come as {"object":"error","message":...,"type","code"}, {"message","request_id"},
 * or FastAPI validation errors {"detail":[{loc,msg,type}]} (also nested in message).
 */
export function mapMistralError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const p = tryParseJson(body) as { message?: unknown; detail?: unknown; type?: unknown; code?: unknown; param?: unknown } | undefined;
  let message: string | undefined;
  if (typeof p?.message === 'string') message = p.message;
  else if (p?.message && typeof p.message === 'object') message = describeDetail((p.message as { detail?: unknown }).detail) ?? JSON.stringify(p.message);
  else if (p?.detail !== undefined) message = describeDetail(p.detail);
  message ??= body.trim().slice(0, 500);
  if (status === 401 && !/api key/i.test(message)) message += '. Check the Mistral API key.';
  return upstreamError('mistral-ai', status, message, {
    code: typeof p?.code === 'string' ? p.code : null,
    param: typeof p?.param === 'string' ? p.param : null,
    headers: retryAfterHeader(headers),
  });
}
