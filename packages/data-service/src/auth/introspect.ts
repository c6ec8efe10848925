import { createHash } from 'node:crypto';
import { request } from 'undici';
import { GatewayError, SYNC_PATHS, type GatewayKey } from '@portico/contract';
import { openPrincipal, principalOf, type Principal } from './principal.js';

export interface Authenticator {
  authenticate(presented: string | undefined): Promise<Principal>;
}

interface Entry {
  key: GatewayKey | null;
  until: number;
}

const NEGATIVE_TTL_MS = 5_000;

/**
 * Resolves x-portkey-api-key through the control plane's POST /v1/sync/keys/introspect, keyed by the
 * key's SHA-256 (the key itself never leaves this process). Answers are cached briefly, in a bounded
 * map (oldest evicted first); unknown keys for a shorter time, so a new key works within seconds.
 */
export function controlPlaneAuthenticator(opts: {
  url: string;
  clientAuth: string;
  organisations: string[];
  ttlMs: number;
  maxKeys: number;
}): Authenticator {
  const cache = new Map<string, Entry>();
  const pending = new Map<string, Promise<GatewayKey | null>>();

  async function introspect(hash: string): Promise<GatewayKey | null> {
    for (const organisation of opts.organisations) {
      let res;
      try {
        res = await request(new URL(SYNC_PATHS.introspect, opts.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${opts.clientAuth}`, 'content-type': 'application/json' },
          body: JSON.stringify({ organisation, hash }),
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
      } catch {
        throw new GatewayError({ status: 503, code: 'control_plane_unavailable', message: 'The control plane could not be reached to check your API key; try again shortly.', headers: { 'retry-after': '5' } });
      }
      const text = await res.body.text();
      if (res.statusCode === 404) continue;
      if (res.statusCode !== 200) {
        throw new GatewayError({ status: 503, code: 'control_plane_unavailable', message: `The control plane answered ${res.statusCode} when checking your API key; try again shortly.` });
      }
      return JSON.parse(text) as GatewayKey;
    }
    return null;
  }

  return {
    async authenticate(presented) {
      if (!presented) throw new GatewayError({ status: 401, code: 'missing_api_key', message: 'Send your Portkey API key in the x-portkey-api-key header.' });
      const hash = createHash('sha256').update(presented).digest('hex');
      const now = Date.now();
      let entry = cache.get(hash);
      if (!entry || entry.until <= now) {
        let p = pending.get(hash);
        if (!p) {
          p = introspect(hash).finally(() => pending.delete(hash));
          pending.set(hash, p);
        }
        const key = await p;
        entry = { key, until: now + (key ? opts.ttlMs : NEGATIVE_TTL_MS) };
        cache.delete(hash);
        cache.set(hash, entry);
        while (cache.size > opts.maxKeys) cache.delete(cache.keys().next().value as string);
      }
      const key = entry.key;
      if (!key) throw new GatewayError({ status: 401, code: 'invalid_api_key', message: 'The x-portkey-api-key is not a valid key.' });
      if (key.expires_at && Date.parse(key.expires_at) <= now) throw new GatewayError({ status: 401, code: 'expired_api_key', message: 'This API key has expired.' });
      return principalOf(key, presented);
    },
  };
}

export function openAuthenticator(): Authenticator {
  return { authenticate: async (presented) => openPrincipal(presented) };
}
