/**
 * default.jwt's JWKS client. The URL comes from a config, which any client may send inline, so it is
 * fetched like a webhook: through the egress policy and the dispatcher that re-checks addresses at
 * connect time, with a time and size bound. Sets are cached for the check's cacheMaxAge, in a bounded
 * map, one fetch in flight per URL; a refresh (a token naming a key the cached set lacks, as after a
 * rotation) is allowed once per REFRESH_COOLDOWN_MS per URL, so tokens with made-up key ids cannot make
 * the gateway fetch on every request.
 */
import { readAtMost } from '@portico/contract';
import { request, type Dispatcher } from 'undici';
import { validateCustomHost, type EgressPolicy } from '../upstream/egress-policy.js';
import type { JwksFetcher } from './check-types.js';

export const JWKS_MAX_BYTES = 256 * 1024;
export const JWKS_TIMEOUT_MS = 3000;
export const JWKS_CACHE_MAX = 100;
export const REFRESH_COOLDOWN_MS = 30_000;

interface Entry {
  keys: { keys: unknown[] };
  fetchedAt: number;
  /** When a refresh last fetched this set. */
  refreshedAt?: number;
}

export function createJwksFetcher(dispatcher: Dispatcher, policy: EgressPolicy, now: () => number = Date.now): JwksFetcher {
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<Entry>>();

  async function fetchSet(url: string, refresh: boolean): Promise<Entry> {
    await validateCustomHost(url, policy, 'jwksUri');
    const signal = AbortSignal.timeout(JWKS_TIMEOUT_MS);
    const res = await request(url, { method: 'GET', dispatcher, signal, headersTimeout: JWKS_TIMEOUT_MS, bodyTimeout: JWKS_TIMEOUT_MS, headers: { accept: 'application/json' } });
    const raw = await readAtMost(res.body, JWKS_MAX_BYTES, () => new Error(`the JWKS at jwksUri is larger than ${JWKS_MAX_BYTES} bytes`));
    if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`jwksUri answered HTTP ${res.statusCode}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Error('jwksUri did not answer JSON');
    }
    if (!Array.isArray((parsed as { keys?: unknown })?.keys)) throw new Error('jwksUri did not answer a JWKS ({"keys": [...]})');
    const entry: Entry = { keys: parsed as { keys: unknown[] }, fetchedAt: now(), refreshedAt: refresh ? now() : cache.get(url)?.refreshedAt };
    if (!cache.has(url) && cache.size >= JWKS_CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(url, entry);
    return entry;
  }

  function once(url: string, refresh: boolean): Promise<Entry> {
    let p = inFlight.get(url);
    if (!p) {
      p = fetchSet(url, refresh).finally(() => inFlight.delete(url));
      inFlight.set(url, p);
    }
    return p;
  }

  return async (url, maxAgeSeconds, refresh) => {
    const hit = cache.get(url);
    const fresh = hit && now() - hit.fetchedAt < maxAgeSeconds * 1000;
    const mayRefresh = refresh && (hit?.refreshedAt === undefined || now() - hit.refreshedAt >= REFRESH_COOLDOWN_MS);
    if (hit && fresh && !mayRefresh) return hit.keys;
    return (await once(url, refresh && !!hit)).keys;
  };
}
