import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';

/**
 * CORS for browser clients (an SDK with dangerouslyAllowBrowser, an internal web tool). Off unless
 * CORS_ALLOWED_ORIGINS names origins: a gateway that holds virtual keys and answers any web page would
 * let every site its users visit spend those keys through their browsers.
 */
export interface CorsPolicy {
  /** Exact origins (scheme://host[:port]), or '*' for any. */
  origins: ReadonlySet<string>;
}

/** Headers a browser script may read on gateway answers: the Portkey ones and the providers' request ids. */
const EXPOSED = [
  'x-portkey-trace-id', 'x-portkey-provider', 'x-portkey-cache-status', 'x-portkey-retry-attempt-count', 'x-portkey-last-used-option-index',
  'x-request-id', 'request-id', 'retry-after', 'openai-processing-ms',
].join(', ');
const METHODS = 'GET, POST, DELETE, OPTIONS';
const MAX_AGE_S = '600';
/** A preflight's Access-Control-Request-Headers: field names, comma-separated (RFC 9110 tokens). */
const HEADER_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/;

export function corsPolicy(origins: string[]): CorsPolicy | undefined {
  return origins.length ? { origins: new Set(origins.map((o) => (o === '*' ? o : o.replace(/\/+$/, '').toLowerCase()))) } : undefined;
}

function allowed(policy: CorsPolicy, origin: string): boolean {
  return policy.origins.has('*') || policy.origins.has(origin.toLowerCase());
}

/**
 * Adds the CORS headers a request from an allowed origin needs, and answers preflights itself.
 * Returns true when the request was a preflight and has been answered.
 */
export function applyCors(policy: CorsPolicy, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
  if (!origin) return false;
  res.setHeader('vary', 'origin');
  if (!allowed(policy, origin)) {
    if (!preflight) return false;
    req.resume();
    const body = JSON.stringify(new GatewayError({ status: 403, code: 'cors_origin_not_allowed', message: `Origin ${origin.slice(0, 200)} may not call this gateway from a browser; add it to CORS_ALLOWED_ORIGINS.` }).toBody());
    res.writeHead(403, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
    return true;
  }
  res.setHeader('access-control-allow-origin', origin);
  if (!preflight) {
    res.setHeader('access-control-expose-headers', EXPOSED);
    return false;
  }
  req.resume();
  const asked = req.headers['access-control-request-headers'];
  const headers: Record<string, string> = { 'access-control-allow-methods': METHODS, 'access-control-max-age': MAX_AGE_S, 'content-length': '0' };
  // Any header the page asks to send (authorization, x-portkey-*): the gateway authenticates them itself.
  if (asked && HEADER_LIST.test(asked)) headers['access-control-allow-headers'] = asked;
  res.writeHead(204, headers).end();
  return true;
}
