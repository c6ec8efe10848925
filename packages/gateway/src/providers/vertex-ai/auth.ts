/**
 * Vertex AI credentials: a service account key exchanged for an OAuth access token (RFC 7523 JWT
 * bearer grant, signed RS256 with node:crypto, posted to the key's token_uri), or a ready bearer
 * token in target.apiKey. Tokens are cached per service account until shortly before they expire.
 * The key file comes from the client, so its token_uri is honoured only when it is Google's endpoint or
 * one the operator allows (VERTEX_TOKEN_URIS), it passes the egress policy, and the endpoint's own error
 * text is never relayed: a caller cannot use the exchange to probe or reach other hosts.
 * The only file of this provider that does I/O.
 */
import { createHash, createSign } from 'node:crypto';
import { getGlobalDispatcher, request } from 'undici';
import { GatewayError } from '../../errors.js';
import type { AuthorizeContext, ProviderTarget, UpstreamRequest } from '../types.js';
import { DEFAULT_TOKEN_URI, parseServiceAccountJson, type ServiceAccountKey } from './target.js';
import { TokenCache, type CachedToken } from '../token-cache.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Refresh this long before expiry, so a token never expires in flight. */
const REFRESH_MARGIN_S = 300;
const TOKEN_TIMEOUT_MS = 15_000;
/** RFC 6749 §5.2 error codes: fixed words, relayed; the endpoint's free text is not. */
const OAUTH_ERROR_CODES = new Set(['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

/** Outside the gateway (tools, tests): Google's own token endpoint only. */
const GOOGLE_ONLY: AuthorizeContext = { dispatcher: getGlobalDispatcher(), checkEgress: async () => undefined, tokenUris: [] };

const tokens = new TokenCache();

/** Cache key: a hash of the identity and key material, never the key itself. */
function cacheKey(sa: ServiceAccountKey): string {
  return createHash('sha256').update(`${sa.client_email}\n${sa.private_key_id ?? ''}\n${sa.token_uri}\n${sa.private_key}`).digest('hex');
}

/** Returns a cached or fresh access token; concurrent callers for one account share one exchange. */
export async function getVertexAccessToken(sa: ServiceAccountKey, ctx: AuthorizeContext = GOOGLE_ONLY, now: () => number = Date.now): Promise<string> {
  return tokens.get(cacheKey(sa), () => exchangeToken(sa, ctx, now), now);
}

export function clearVertexTokenCache(): void {
  tokens.clear();
}

/** Builds the signed JWT assertion for the token endpoint. */
export function signServiceAccountAssertion(sa: ServiceAccountKey, nowS: number): string {
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (sa.private_key_id) header.kid = sa.private_key_id;
  const claims = { iss: sa.client_email, sub: sa.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: sa.token_uri, iat: nowS, exp: nowS + 3600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  let signature: string;
  try {
    signature = createSign('RSA-SHA256').update(input).sign(sa.private_key, 'base64url');
  } catch {
    throw authError(400, `the private_key of service account ${sa.client_email} could not sign a token request; it must be the PEM key from the downloaded key file.`);
  }
  return `${input}.${signature}`;
}

async function exchangeToken(sa: ServiceAccountKey, ctx: AuthorizeContext, now: () => number): Promise<CachedToken> {
  checkTokenUri(sa.token_uri, ctx);
  await ctx.checkEgress(sa.token_uri, 'token_uri');
  const nowS = Math.floor(now() / 1000);
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signServiceAccountAssertion(sa, nowS) });
  const { status, text } = await postForm(sa.token_uri, form.toString(), ctx);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Non-JSON error page: reported below by status.
  }
  if (status < 200 || status > 299 || typeof body.access_token !== 'string') {
    // Only the standard error code is named: the endpoint's own text is not relayed.
    const code = typeof body.error === 'string' && OAUTH_ERROR_CODES.has(body.error) ? body.error : `HTTP ${status}`;
    throw authError(status >= 500 ? 502 : 401, `the token exchange for service account ${sa.client_email} failed (${code}); check that the key is active and the account may use Vertex AI.`);
  }
  const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
  return { token: body.access_token, refreshAt: now() + (ttl - Math.min(REFRESH_MARGIN_S, ttl / 2)) * 1000 };
}

/** POSTs the grant; retries once when a kept-alive connection was closed under us (the exchange is idempotent). */
async function postForm(uri: string, body: string, ctx: AuthorizeContext): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await request(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        dispatcher: ctx.dispatcher,
        headersTimeout: TOKEN_TIMEOUT_MS,
        bodyTimeout: TOKEN_TIMEOUT_MS,
      });
      return { status: res.statusCode, text: await readBounded(res.body) };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (attempt < 2 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) continue;
      // The error's code only: its message would tell a caller which internal addresses answer.
      throw new GatewayError({
        status: 502, type: 'upstream_error', provider: 'vertex-ai', cause: e,
        message: `vertex-ai: could not reach the OAuth token endpoint ${new URL(uri).origin} (${/forbidden address/.test((e as Error).message ?? '') ? 'forbidden by the egress policy' : code ?? 'network error'}); check network egress to it.`,
      });
    }
  }
}

/** A token response is a few hundred bytes; a larger one is cut, not buffered whole. */
const TOKEN_RESPONSE_MAX = 64 * 1024;
async function readBounded(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > TOKEN_RESPONSE_MAX) {
      body.destroy();
      break;
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The key file's token_uri: Google's endpoint, or one the operator listed in VERTEX_TOKEN_URIS; https
 * only (plain http to loopback for local fakes).
 */
function checkTokenUri(uri: string, ctx: AuthorizeContext): void {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw authError(400, 'the service account token_uri is not a URL; use the key file as downloaded (token_uri https://oauth2.googleapis.com/token).');
  }
  if (uri !== DEFAULT_TOKEN_URI && !ctx.tokenUris.includes(uri)) {
    throw authError(400, `the service account token_uri ${u.origin} is not allowed: only ${DEFAULT_TOKEN_URI} is, unless the operator adds it to VERTEX_TOKEN_URIS. Use the key file as downloaded.`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) {
    throw authError(400, `the service account token_uri must use https (got ${u.protocol}//${u.host}).`);
  }
}

/**
 * Provider.authorize for vertex-ai: adds `Authorization: Bearer <token>` from the service account
 * (vertex_service_account_json) or, failing that, the bearer token given as the API key.
 */
export async function authorizeVertex(req: UpstreamRequest, target: ProviderTarget, ctx: AuthorizeContext = GOOGLE_ONLY): Promise<UpstreamRequest> {
  const json = target.settings.vertex_service_account_json;
  let token: string | undefined;
  if (json) token = await getVertexAccessToken(parseServiceAccountJson(json), ctx);
  else token = target.apiKey?.replace(/^Bearer\s+/i, '').trim() || undefined;
  if (!token) {
    throw authError(401, 'no credentials: set vertex_service_account_json (the service account key file) or send an OAuth access token as Authorization: Bearer <token>.');
  }
  return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
}

function authError(status: number, message: string): GatewayError {
  return new GatewayError({ status, type: status === 401 ? 'authentication_error' : status >= 500 ? 'upstream_error' : 'invalid_request_error', provider: 'vertex-ai', message: `vertex-ai: ${message}` });
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}
