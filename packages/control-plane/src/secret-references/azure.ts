import type { AddressCheck, Egress } from '../egress/connect.js';
import { SecretFetchError } from './aws.js';
import { secretManagerCall, type SecretCall } from './http.js';
import type { AzureAuthConfig } from './schema.js';

/**
 * Reads one secret from Azure Key Vault: a token from Entra ID (client credentials, scope
 * https://vault.azure.net/.default), then GET {vault}/secrets/{secret_path}?api-version=7.4.
 * `secret_path` is the secret's name, optionally "name/version". Entra's host is Microsoft's (held to
 * the code-named check, or the stricter one when the operator replaces it); the vault URL is the
 * caller's, held to the egress policy. Bounded: 10 s per call, 64 KiB per answer, no redirects (http.ts).
 */

export const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';

/** Entra ID and Key Vault name the failure in `error` (a string) or `error.code`. */
function azureErrorCode(body: Record<string, unknown>): string {
  const err = (body.error ?? {}) as { code?: unknown };
  const code = typeof body.error === 'string' ? body.error : typeof err.code === 'string' ? err.code : '';
  return code ? ` (${String(code).slice(0, 100)})` : '';
}

const call = (egress: Egress, check: AddressCheck, url: URL, init: SecretCall, what: string) => secretManagerCall(egress, check, url, init, what, azureErrorCode);

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
