/**
 * Entra ID client credentials for the Azure providers (azure-openai, azure-ai): with
 * azure_auth_mode "entra" and azure_entra_tenant_id / _client_id / _client_secret set (Portkey's
 * x-portkey-azure-entra-* headers), a token is fetched from the tenant's v2.0 token endpoint for
 * azure_entra_scope (default Cognitive Services) and sent as the bearer. Tokens are cached per
 * identity until shortly before they expire; concurrent requests share one exchange. The only file
 * of these providers that does I/O.
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { GatewayError, badRequest } from '../../errors.js';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { TokenCache, type CachedToken } from '../token-cache.js';

export const DEFAULT_ENTRA_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** Azure SDKs' variable for sovereign clouds (login.microsoftonline.us, login.chinacloudapi.cn). */
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const REFRESH_MARGIN_S = 300;
const TOKEN_TIMEOUT_MS = 15_000;
const MAX_TOKEN_BODY = 64 * 1024;
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$/;

interface ClientCredentials { tenant: string; clientId: string; secret: string; scope: string }
const tokens = new TokenCache();

/** The client credentials a target names, or undefined when it does not use them. Pure. */
export function entraClientCredentials(provider: string, target: ProviderTarget): ClientCredentials | undefined {
  const s = target.settings;
  if (s.azure_auth_mode !== 'entra') return undefined;
  const tenant = s.azure_entra_tenant_id;
  const clientId = s.azure_entra_client_id;
  const secret = s.azure_entra_client_secret;
  if (!tenant && !clientId && !secret) return undefined; // entra with a ready token (azure_ad_token or the request key)
  if (!tenant || !clientId || !secret) {
    throw badRequest(`${provider}: Entra client credentials need x-portkey-azure-entra-tenant-id, -client-id and -client-secret together`, !tenant ? 'x-portkey-azure-entra-tenant-id' : !clientId ? 'x-portkey-azure-entra-client-id' : 'x-portkey-azure-entra-client-secret');
  }
  if (!TENANT_RE.test(tenant)) throw badRequest(`${provider}: x-portkey-azure-entra-tenant-id must be a tenant id (GUID) or domain`, 'x-portkey-azure-entra-tenant-id');
  return { tenant, clientId, secret, scope: s.azure_entra_scope || DEFAULT_ENTRA_SCOPE };
}

/** authorize hook: swaps the key for an Entra bearer when the target uses client credentials. */
export function authorizeWithEntra(provider: string) {
  return async (req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> => {
    const creds = entraClientCredentials(provider, target);
    if (!creds) return req;
    const token = await getEntraToken(provider, creds);
    const headers: Record<string, string> = { ...req.headers, authorization: `Bearer ${token}` };
    delete headers['api-key'];
    return { ...req, headers };
  };
}

export function clearEntraTokenCache(): void {
  tokens.clear();
}

async function getEntraToken(provider: string, c: ClientCredentials, now: () => number = Date.now): Promise<string> {
  // A hash of the identity and secret: the secret itself is never a map key.
  const key = createHash('sha256').update(`${c.tenant}\n${c.clientId}\n${c.scope}\n${c.secret}`).digest('hex');
  return tokens.get(key, () => exchange(provider, c, now), now);
}

function authorityBase(): string {
  const raw = process.env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY;
  const u = new URL(raw);
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) throw new Error(`AZURE_AUTHORITY_HOST must be https (got ${u.protocol})`);
  return u.origin;
}

const refused = (provider: string, message: string) =>
  new GatewayError({ status: 401, type: 'authentication_error', code: 'entra_token_refused', provider, message: `${provider}: ${message}` });
const unreachable = (provider: string, message: string) =>
  new GatewayError({ status: 502, type: 'upstream_error', code: 'entra_token_unavailable', provider, message: `${provider}: ${message}` });

async function exchange(provider: string, c: ClientCredentials, now: () => number): Promise<CachedToken> {
  const url = `${authorityBase()}/${encodeURIComponent(c.tenant)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.secret, scope: c.scope }).toString();
  let status: number;
  let text: string;
  try {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form, signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
    status = res.statusCode;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_TOKEN_BODY) {
        res.body.destroy();
        throw new Error('token response too large');
      }
      chunks.push(chunk as Buffer);
    }
    text = Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    throw unreachable(provider, `could not reach the Entra token endpoint ${new URL(url).origin} (${(e as Error).message}); check network egress to it.`);
  }
  let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // handled below
  }
  if (status !== 200 || typeof body.access_token !== 'string') {
    // Entra's error_description names the problem (AADSTS codes) without echoing the secret.
    const why = typeof body.error_description === 'string' ? body.error_description.split('\r\n')[0] : typeof body.error === 'string' ? body.error : `HTTP ${status}`;
    if (status === 400 || status === 401) throw refused(provider, `Entra refused the client credentials: ${why}`);
    throw unreachable(provider, `the Entra token endpoint failed: ${why}`);
  }
  const expiresIn = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
  return { token: body.access_token, refreshAt: now() + Math.max(0, expiresIn - REFRESH_MARGIN_S) * 1000 };
}
