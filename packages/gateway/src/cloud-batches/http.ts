/**
 * Outbound calls of the cloud file and batch APIs: one undici request with bounded header and body
 * timeouts over the gateway's egress-checked dispatcher, bounded reads of answers, and the providers'
 * errors as GatewayErrors that relay the provider's code and message only (never request details,
 * which for S3 include the string that was signed).
 */
import { readAtMost } from '@portico/contract';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';
import { networkError } from '../upstream/send.js';

export interface CloudHttp {
  /** The gateway's dispatcher for provider-owned hosts: re-checks every address against the egress policy. */
  dispatcher: Dispatcher;
  /** Header and body inactivity bound of each call. */
  timeoutMs: number;
}

export interface CloudRequest {
  method: Dispatcher.HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface CloudResponse {
  status: number;
  headers: Record<string, string>;
  body: Dispatcher.ResponseData['body'];
}

export async function cloudCall(http: CloudHttp, req: CloudRequest, provider: string): Promise<CloudResponse> {
  const u = new URL(req.url);
  try {
    const res = await http.dispatcher.request({
      origin: u.origin, path: u.pathname + u.search, method: req.method, headers: req.headers, body: req.body,
      headersTimeout: http.timeoutMs, bodyTimeout: http.timeoutMs,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.statusCode, headers, body: res.body };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      throw new GatewayError({ status: 408, type: 'timeout_error', code: 'request_timeout', provider, message: `${provider} did not answer within ${http.timeoutMs} ms; try again.` });
    }
    throw networkError(e, provider, false);
  }
}

/** Reads an answer whole, up to `max` bytes (control-plane answers are small); more is an error. */
export async function readBounded(body: CloudResponse['body'], max: number, provider: string): Promise<string> {
  const tooLarge = () => new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_response_too_large', provider, message: `${provider} returned an answer larger than ${max} bytes.` });
  return (await readAtMost(body, max, tooLarge)).toString('utf8');
}

/** A 4xx keeps its status (what the caller sent or may do is wrong); a 5xx becomes 502. */
export function cloudError(provider: string, status: number, code: string | undefined, message: string | undefined, hint?: string): GatewayError {
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'upstream_error' : 'invalid_request_error';
  const text = `${provider} error${code ? ` (${code})` : ''}: ${(message ?? `HTTP ${status}`).slice(0, 500)}${hint ? `; ${hint}` : ''}`;
  return new GatewayError({ status: status >= 500 ? 502 : status, type, code: code ? code.slice(0, 64) : 'provider_error', provider, message: text });
}

/** JSON of a small answer, or undefined. */
export function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Control-plane and error answers are small: 1 MiB is plenty. */
export const SMALL_ANSWER_MAX = 1024 * 1024;
