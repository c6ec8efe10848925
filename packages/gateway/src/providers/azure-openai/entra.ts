/**
 * Entra ID tokens for the Azure providers (azure-openai, azure-ai), for the identity identity.ts
 * picks: client credentials and workload identity at the tenant's v2.0 token endpoint (client_secret,
 * or the federated token as client_assertion), managed identity at the instance metadata service
 * (through the one client the egress policy lets reach it). Tokens are cached per identity until
 * shortly before they expire; concurrent requests share one exchange. The only file of these
 * providers that does I/O, and only on a cache miss.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { GatewayError } from '../../errors.js';
import { getFromMetadataTokenEndpoint } from '../../upstream/metadata-token-client.js';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { TokenCache, type CachedToken } from '../token-cache.js';
import { entraIdentity, type EntraIdentity } from './identity.js';

export { DEFAULT_ENTRA_SCOPE } from './identity.js';

/** Azure SDKs' variable for sovereign clouds (login.microsoftonline.us, login.chinacloudapi.cn). */
const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
const IMDS_API_VERSION = '2018-02-01';
const REFRESH_MARGIN_S = 300;
const TOKEN_TIMEOUT_MS = 15_000;
const MAX_TOKEN_BODY = 64 * 1024;
const MAX_FEDERATED_TOKEN_BYTES = 16 * 1024;
const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const tokens = new TokenCache();

/** authorize hook: swaps the key for an Entra bearer when the target uses an Entra identity. */
export function authorizeWithEntra(provider: string) {
  return async (req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> => {
    const identity = entraIdentity(provider, target);
    if (!identity) return req;
    const token = await tokens.get(cacheKey(identity), () => exchange(provider, identity, Date.now));
    const headers: Record<string, string> = { ...req.headers, authorization: `Bearer ${token}` };
    delete headers['api-key'];
    return { ...req, headers };
  };
}

export function clearEntraTokenCache(): void {
  tokens.clear();
}

/** A hash of the identity (and for client credentials its secret): the secret itself is never a map key. */
function cacheKey(id: EntraIdentity): string {
  const parts = id.kind === 'client-secret' ? [id.kind, id.tenant, id.clientId, id.scope, id.secret]
    : id.kind === 'workload' ? [id.kind, authorityBase(), id.tenant, id.clientId, id.scope, id.tokenFile]
    : [id.kind, id.clientId ?? '', id.scope];
  return createHash('sha256').update(parts.join('\n')).digest('hex');
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

async function exchange(provider: string, id: EntraIdentity, now: () => number): Promise<CachedToken> {
  if (id.kind === 'managed') return managedIdentityToken(provider, id, now);
  const form: Record<string, string> = { grant_type: 'client_credentials', client_id: id.clientId, scope: id.scope };
  if (id.kind === 'client-secret') form.client_secret = id.secret;
  else {
    form.client_assertion_type = JWT_BEARER_ASSERTION;
    form.client_assertion = await federatedToken(provider, id.tokenFile);
  }
  const url = `${authorityBase()}/${encodeURIComponent(id.tenant)}/oauth2/v2.0/token`;
  let status: number;
  let text: string;
  try {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(form).toString(), signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS) });
    status = res.statusCode;
    text = await readBounded(res.body);
  } catch (e) {
    throw unreachable(provider, `could not reach the Entra token endpoint ${new URL(url).origin} (${(e as Error).message}); check network egress to it.`);
  }
  const what = id.kind === 'client-secret' ? 'the client credentials' : 'the workload identity (federated token)';
  return tokenFrom(provider, status, text, what, now);
}

/** The projected service account token: read (async) on each exchange, as the kubelet rotates it. */
async function federatedToken(provider: string, file: string): Promise<string> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw unreachable(provider, `could not read the federated token at AZURE_FEDERATED_TOKEN_FILE (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!text || text.length > MAX_FEDERATED_TOKEN_BYTES) throw unreachable(provider, 'the federated token file at AZURE_FEDERATED_TOKEN_FILE is empty or too large to be a token');
  return text;
}

async function managedIdentityToken(provider: string, id: Extract<EntraIdentity, { kind: 'managed' }>, now: () => number): Promise<CachedToken> {
  const query = new URLSearchParams({ 'api-version': IMDS_API_VERSION, resource: id.scope.replace(/\/\.default$/, '') });
  if (id.clientId) query.set('client_id', id.clientId);
  let result: { status: number; text: string };
  try {
    result = await getFromMetadataTokenEndpoint(query);
  } catch (e) {
    throw unreachable(provider, `could not reach the managed identity endpoint (${(e as { code?: string }).code ?? (e as Error).message}); the gateway must run on an Azure host with a managed identity`);
  }
  return tokenFrom(provider, result.status, result.text, 'the managed identity', now);
}

/** Reads an OAuth token response (Entra's or IMDS's; IMDS gives expires_in as a string). */
function tokenFrom(provider: string, status: number, text: string, what: string, now: () => number): CachedToken {
  let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // handled below
  }
  if (status !== 200 || typeof body.access_token !== 'string') {
    // Entra's error_description names the problem (AADSTS codes) without echoing the secret.
    const why = typeof body.error_description === 'string' ? body.error_description.split('\r\n')[0] : typeof body.error === 'string' ? body.error : `HTTP ${status}`;
    if (status === 400 || status === 401) throw refused(provider, `Entra refused ${what}: ${why}`);
    throw unreachable(provider, `the token endpoint failed for ${what}: ${why}`);
  }
  const expiresIn = Number(body.expires_in) > 0 ? Number(body.expires_in) : 3600;
  return { token: body.access_token, refreshAt: now() + Math.max(0, expiresIn - Math.min(REFRESH_MARGIN_S, expiresIn / 2)) * 1000 };
}

async function readBounded(body: AsyncIterable<unknown> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_TOKEN_BODY) {
      body.destroy();
      throw new Error('token response too large');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
