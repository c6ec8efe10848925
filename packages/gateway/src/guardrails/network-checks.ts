/**
 * default.validUrls and default.jwt, by Portkey's ids and parameters. validUrls never connects to the
 * URLs it finds (they come from model output or a client): it checks their syntax, and with onlyDNS
 * that their hosts resolve, bounded in hosts, time and lookups in flight. jwt verifies a token from a
 * request header against a JWKS fetched through the egress policy and cached (guardrails/jwks.ts).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { parseHttpUrl } from '../upstream/egress-policy.js';
import {
  CheckParameterError, flagOr, num, onlyKnown, optionalString, type CompiledCheck, type Params,
} from './check-types.js';

/** Hosts one validUrls check resolves at most; a text naming more fails rather than fan out. */
export const MAX_DNS_HOSTS = 10;
/** Time for all of one check's lookups. */
export const DNS_TIMEOUT_MS = 2000;
/** Lookups in flight across the gateway (they share libuv's small thread pool with file I/O). */
export const MAX_DNS_IN_FLIGHT = 16;
let dnsInFlight = 0;

/** URLs in a text: http(s)://... up to white space, less trailing punctuation a sentence adds. */
export function findUrls(text: string): string[] {
  return (text.match(/https?:\/\/[^\s<>"'`]+/g) ?? []).map((u) => u.replace(/[.,;:!?)\]}]+$/, ''));
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** Whether a URL is well formed: http(s), a host that is an IP or DNS labels, a port in range. */
export function validUrlSyntax(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) return false;
  if (isIP(host)) return true;
  const labels = host.replace(/\.$/, '').split('.');
  return host.length <= 253 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

async function resolves(host: string, signal: AbortSignal): Promise<boolean> {
  if (isIP(host)) return true;
  if (dnsInFlight >= MAX_DNS_IN_FLIGHT) throw new Error(`${MAX_DNS_IN_FLIGHT} DNS lookups are already in flight; try again`);
  dnsInFlight++;
  const found = lookup(host).then(() => true, () => false).finally(() => dnsInFlight--);
  const timedOut = new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(false), { once: true }));
  return Promise.race([found, timedOut]);
}

export const NETWORK_CHECKS: Record<string, (p: Params) => CompiledCheck> = {
  'default.validUrls': (p) => {
    onlyKnown(p, ['onlyDNS']);
    const onlyDNS = flagOr(p, 'onlyDNS', false);
    return async ({ text }) => {
      const urls = [...new Set(findUrls(text))];
      const invalid = urls.filter((u) => !validUrlSyntax(u));
      if (!onlyDNS || invalid.length) {
        return { verdict: invalid.length === 0, data: { checked: onlyDNS ? 'syntax, then DNS' : 'syntax', validURLs: urls.filter((u) => !invalid.includes(u)), invalidURLs: invalid } };
      }
      const hosts = [...new Set(urls.map((u) => new URL(u).hostname.replace(/^\[|\]$/g, '')))];
      if (hosts.length > MAX_DNS_HOSTS) throw new Error(`the text names ${hosts.length} hosts; onlyDNS resolves at most ${MAX_DNS_HOSTS}`);
      const signal = AbortSignal.timeout(DNS_TIMEOUT_MS);
      const results = await Promise.all(hosts.map((h) => resolves(h, signal)));
      const unresolved = hosts.filter((_, i) => !results[i]);
      const bad = urls.filter((u) => unresolved.includes(new URL(u).hostname.replace(/^\[|\]$/g, '')));
      return { verdict: bad.length === 0, data: { checked: 'syntax, then DNS', validURLs: urls.filter((u) => !bad.includes(u)), invalidURLs: bad, unresolvedHosts: unresolved } };
    };
  },

  'default.jwt': (p) => {
    onlyKnown(p, ['jwksUri', 'jwks', 'headerKey', 'algorithms', 'cacheMaxAge', 'clockTolerance', 'maxTokenAge']);
    const jwksUri = optionalString(p, 'jwksUri');
    const inline = p.jwks;
    if (!jwksUri && inline === undefined) throw new CheckParameterError('jwksUri', 'is required (or an inline "jwks": {"keys": [...]})');
    if (jwksUri && inline !== undefined) throw new CheckParameterError('jwks', 'give jwksUri or jwks, not both');
    if (jwksUri) {
      const parsed = parseHttpUrl(jwksUri);
      if (typeof parsed === 'string') throw new CheckParameterError('jwksUri', parsed);
    }
    const inlineSet = inline === undefined ? undefined : jwksOf(inline);
    const headerKey = (optionalString(p, 'headerKey') ?? 'Authorization').toLowerCase();
    const algorithms = algorithmList(p.algorithms);
    const cacheMaxAge = num(p, 'cacheMaxAge') ?? 86_400;
    const clockTolerance = num(p, 'clockTolerance') ?? 5;
    const maxTokenAge = tokenAge(p.maxTokenAge);
    const local = inlineSet && createLocalJWKSet(inlineSet);
    return async ({ requestHeaders, fetchJwks, event }) => {
      if (event === 'afterRequestHook') throw new Error('default.jwt checks the request\'s token: put it in before_request_hooks or input_guardrails');
      const raw = requestHeaders?.[headerKey];
      const header = Array.isArray(raw) ? raw[0] : raw;
      if (!header) return { verdict: false, data: { headerKey, explanation: `the request has no ${headerKey} header` } };
      const token = header.replace(/^Bearer\s+/i, '').trim();
      const options = { algorithms, clockTolerance, maxTokenAge };
      try {
        if (local) await jwtVerify(token, local, options);
        else {
          if (!fetchJwks) throw new Error('default.jwt has no HTTP client here');
          try {
            await jwtVerify(token, createLocalJWKSet(jwksOf(await fetchJwks(jwksUri!, cacheMaxAge, false))), options);
          } catch (e) {
            // A key the cached set lacks may have been rotated in: fetch the set again, once.
            if (!(e instanceof joseErrors.JWKSNoMatchingKey)) throw e;
            await jwtVerify(token, createLocalJWKSet(jwksOf(await fetchJwks(jwksUri!, cacheMaxAge, true))), options);
          }
        }
        return { verdict: true, data: { headerKey, explanation: 'the token is valid' } };
      } catch (e) {
        if (e instanceof joseErrors.JOSEError) return { verdict: false, data: { headerKey, code: e.code, explanation: `the token is not valid: ${e.message}` } };
        throw e;
      }
    };
  },
};

/** Asymmetric algorithms only: a JWKS publishes public keys, and a shared secret in a config is not one. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

function algorithmList(value: unknown): string[] {
  if (value === undefined || value === null) return ['RS256'];
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => ALGORITHMS.includes(a))) {
    throw new CheckParameterError('algorithms', `must be a non-empty array of ${ALGORITHMS.join(', ')}`);
  }
  return value as string[];
}

/** Portkey's form: a number of seconds, or "30s", "15m", "12h", "1d". */
function tokenAge(value: unknown): string | number {
  if (value === undefined || value === null) return '1d';
  if (typeof value === 'number' && value > 0) return value;
  if (typeof value === 'string' && /^\d+\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w|week|weeks)$/i.test(value)) return value;
  throw new CheckParameterError('maxTokenAge', 'must be a number of seconds or a duration such as "30m", "12h", "1d"');
}

function jwksOf(value: unknown): JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
    throw new CheckParameterError('jwks', 'must be a JWKS: {"keys": [{"kty": ..., "kid": ...}]}');
  }
  // Private members are refused: a JWKS for verifying holds public keys only.
  if (keys.some((k) => 'd' in (k as object) || 'k' in (k as object))) throw new CheckParameterError('jwks', 'holds private or symmetric key material ("d" or "k"); publish public keys only');
  return value as JSONWebKeySet;
}
