import { request } from 'undici';
import { checkLiteral, EgressRefused, type AddressCheck, type Egress } from '../egress/connect.js';
import { SecretFetchError } from './aws.js';
import type { AzureAuthConfig } from './schema.js';

/**
 * Reads one secret from Azure Key Vault: a token from Entra ID (client credentials, scope
 * https://vault.azure.net/.default), then GET {vault}/secrets/{secret_path}?api-version=7.4.
 * `secret_path` is the secret's name, optionally "name/version". Entra's host is Microsoft's (held to
 * the code-named check, or the stricter one when the operator replaces it); the vault URL is the
 * caller's, held to the egress policy. Bounded: 10 s per call, 64 KiB per answer, no redirects.
 */
const TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;
export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';

async function call(egress: Egress, check: AddressCheck, url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, what: string): Promise<Record<string, unknown>> {
  let res;
  try {
    checkLiteral(url.hostname, check);
    res = await request(url, { ...init, dispatcher: check === egress.chosen ? egress.dispatcher : egress.trustedDispatcher, signal: AbortSignal.timeout(TIMEOUT_MS), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  } catch (e) {
    for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown }, depth++) {
      if (cur instanceof EgressRefused) throw new SecretFetchError(cur.message);
    }
    const err = e as { name?: string; code?: string };
    throw new SecretFetchError(`${what} could not be reached (${err.code ?? err.name ?? 'error'})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) {
      res.body.destroy();
      throw new SecretFetchError(`${what}'s answer is over ${MAX_BODY / 1024} KiB`);
    }
    chunks.push(c);
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // Reported below.
  }
  if (res.statusCode >= 300) {
    const err = (body.error ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof body.error === 'string' ? body.error : typeof err.code === 'string' ? err.code : '';
    throw new SecretFetchError(`${what} answered HTTP ${res.statusCode}${code ? ` (${String(code).slice(0, 100)})` : ''}`);
  }
  return body;
}

export async function fetchAzureSecret(auth: AzureAuthConfig, secretPath: string, egress: Egress, authority?: string): Promise<string> {
  const tokenUrl = new URL(`${(authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, '')}/${encodeURIComponent(auth.azure_entra_tenant_id)}/oauth2/v2.0/token`);
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.azure_entra_client_id, client_secret: auth.azure_entra_client_secret, scope: 'https://vault.azure.net/.default' });
  const token = await call(egress, authority ? egress.chosen : egress.trusted, tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() }, 'Entra ID');
  if (typeof token.access_token !== 'string') throw new SecretFetchError('Entra ID returned no access token');
  const path = secretPath.replace(/^\/+/, '').split('/').slice(0, 2).map(encodeURIComponent).join('/');
  const secret = await call(egress, egress.chosen, new URL(`${auth.azure_vault_url.replace(/\/+$/, '')}/secrets/${path}?api-version=7.4`), { method: 'GET', headers: { authorization: `Bearer ${token.access_token}`, accept: 'application/json' } }, 'Azure Key Vault');
  if (typeof secret.value !== 'string') throw new SecretFetchError('Azure Key Vault\'s answer has no value');
  return secret.value;
}
