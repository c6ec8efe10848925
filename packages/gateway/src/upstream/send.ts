import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors.js';
import type { AbortLike } from './abort.js';
import type { UpstreamRequest } from '../providers/types.js';
import { exchange, ResponseBufferFullError, ResponseTooLargeError, type UpstreamBody, type UpstreamHead } from './exchange.js';
import type { Release, TenantShares } from './tenant-shares.js';

export type UpstreamResponse = UpstreamHead;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host', 'content-length']);

/**
 * Sends one upstream request over the pooled dispatcher; `upload`, when given, is the body, streamed.
 * Network failures become 502/408 GatewayErrors.
 */
export async function sendUpstream(
  dispatcher: Dispatcher,
  req: UpstreamRequest,
  opts: {
    signal: AbortLike; provider: string; timedOut: () => boolean; upload?: AsyncIterable<Uint8Array>;
    /** The tenant's share of the origin's pool: the request waits for a place before it is dispatched. */
    share?: { shares: TenantShares; tenant: string };
  },
): Promise<UpstreamResponse> {
  const headers: Record<string, string> = {};
  for (const k in req.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) headers[k] = req.headers[k];
  // undici computes a buffered body's length; a streamed upload keeps the length the client declared.
  if (opts.upload && req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
  const { origin, path } = splitUrl(req.url);
  // undici sends async iterables as they yield, though its DispatchOptions type does not list them.
  const body = (opts.upload ?? req.body) as Dispatcher.DispatchOptions['body'];
  try {
    let release: Release | undefined;
    if (opts.share) {
      const place = opts.share.shares.acquire(origin, opts.share.tenant, opts.signal);
      release = place instanceof Promise ? await place : place;
    }
    return await exchange(dispatcher, { origin, path, method: req.method as Dispatcher.HttpMethod, headers, body }, opts.signal, release);
  } catch (e) {
    throw networkError(e, opts.provider, opts.timedOut());
  }
}

/** Origin and path of an absolute http(s) URL, without a full URL parse on the hot path. */
export function splitUrl(url: string): { origin: string; path: string } {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? { origin: url, path: '/' } : { origin: url.slice(0, slash), path: url.slice(slash) };
}

/** Maps a thrown network or abort error to a GatewayError without leaking internals. */
export function networkError(e: unknown, provider: string, timedOut: boolean): GatewayError {
  if (e instanceof GatewayError) return e;
  if (timedOut) {
    return new GatewayError({ status: 408, type: 'timeout_error', code: 'request_timeout', provider, message: `Request to ${provider} timed out; raise request_timeout in the config or x-portkey-request-timeout.` });
  }
  const err = e as { code?: string; message?: string; name?: string };
  if (isParserError(e)) {
    return new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider, message: `${provider} sent a response that is not valid HTTP; check that the provider or custom_host is an HTTP API.` });
  }
  const code = err.code ?? err.name ?? 'network_error';
  const reason = code === 'ECONNREFUSED' ? 'the connection was refused'
    : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'the connection was reset'
    : code === 'ENOTFOUND' ? 'the host name did not resolve'
    : code === 'AbortError' || code === 'UND_ERR_ABORTED' ? 'the request was aborted'
    : /forbidden address/.test(err.message ?? '') ? (err.message as string)
    : `a network error occurred (${code})`;
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_unreachable', provider, message: `Could not reach ${provider}: ${reason}.` });
}

/** Reads an upstream body fully, up to a bound; `take` (a budget) may refuse its bytes: ResponseBufferFullError. */
export async function readUpstreamBody(body: UpstreamBody, limit: number, provider: string, take?: (n: number) => boolean): Promise<Buffer> {
  try {
    return await body.readAll(limit, take);
  } catch (e) {
    if (e instanceof ResponseBufferFullError) throw e;
    if (e instanceof ResponseTooLargeError) {
      throw new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_response_too_large', provider, message: `${provider} returned a response larger than ${limit} bytes.` });
    }
    throw connectionLost(e, provider);
  }
}

/** Iterates an upstream body; a broken connection becomes a 502 that says the response is incomplete. */
export async function* upstreamChunks(body: UpstreamBody, provider: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (e) {
    throw connectionLost(e, provider);
  }
}

function isParserError(e: unknown): boolean {
  const err = e as { code?: string; name?: string };
  return err.name === 'HTTPParserError' || !!err.code?.startsWith('HPE_');
}

function connectionLost(e: unknown, provider: string): GatewayError {
  if (e instanceof GatewayError) return e;
  if (isParserError(e)) {
    return new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider, message: `${provider} broke HTTP in the middle of its response; the response is incomplete.` });
  }
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_connection_lost', provider, message: `The connection to ${provider} was lost mid-response; the response is incomplete.` });
}
