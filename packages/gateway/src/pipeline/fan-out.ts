import { GatewayError } from '../errors.js';
import type { AuthorizeContext, OperationMapping, Provider, ProviderTarget, UpstreamRequest } from '../providers/types.js';
import { tryParseJson } from '../providers/upstream-error.js';
import { readUpstreamBody, sendUpstream } from '../upstream/send.js';
import type { Dispatcher } from 'undici';
import type { AbortLike } from '../upstream/abort.js';
import type { TenantShares } from '../upstream/tenant-shares.js';

const MAX_PARALLEL = 8;
const MAX_BODY = 16 * 1024 * 1024;

/**
 * Sends several upstream requests for one inbound request (APIs that take one input per call),
 * at most MAX_PARALLEL at a time, and combines the bodies. Any failure fails the whole request.
 */
export async function fanOut<Req, Res>(
  provider: Provider,
  mapping: OperationMapping<Req, Res>,
  requests: UpstreamRequest[],
  req: Req,
  target: ProviderTarget,
  opts: {
    dispatcher: Dispatcher; signal: AbortLike; timedOut: () => boolean;
    /** The tenant's share of the pool, and the request's buffer budget, as for a single call. */
    share?: { shares: TenantShares; tenant: string };
    take?: (n: number) => boolean;
    /** What authorize() may use to reach a token endpoint (Vertex service accounts). */
    authorize?: AuthorizeContext;
  },
): Promise<Res> {
  const bodies: unknown[] = new Array(requests.length);
  const heads: Array<Record<string, string>> = new Array(requests.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < requests.length) {
      const i = next++;
      let upstream = requests[i];
      if (provider.authorize) upstream = await provider.authorize(upstream, target, opts.authorize);
      const res = await sendUpstream(opts.dispatcher, upstream, { signal: opts.signal, provider: provider.id, timedOut: opts.timedOut, share: opts.share });
      const text = (await readUpstreamBody(res.body, MAX_BODY, provider.id, res.status < 400 ? opts.take : undefined)).toString('utf8');
      if (res.status >= 400) throw provider.mapError(res.status, text, res.headers);
      const parsed = tryParseJson(text);
      if (parsed === undefined) throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: provider.id, message: `${provider.id} returned a body that is not JSON.` });
      bodies[i] = parsed;
      heads[i] = res.headers;
    }
  }
  await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL, requests.length) }, worker));
  return mapping.fromResponses!(bodies, req, target, heads);
}
