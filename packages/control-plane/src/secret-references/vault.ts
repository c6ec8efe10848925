import type { Egress } from '../egress/connect.js';
import { SecretFetchError } from './aws.js';
import { secretManagerCall, type SecretCall } from './http.js';
import type { VaultAuthConfig } from './schema.js';

/**
 * Reads one secret from HashiCorp Vault over its HTTP API: token auth sends X-Vault-Token; AppRole
 * logs in first (POST /v1/auth/approle/login) for a client token. `secret_path` is the API path
 * after /v1/ (KV v2: "secret/data/prod/openai"; KV v1: "kv/prod/openai"); the answer's key/value map
 * (data.data for KV v2, data for KV v1) is the value, as JSON, so `secret_key` picks one key. The
 * Vault address is the caller's choice, so it is held to the egress policy; bounded: 10 s per call,
 * 64 KiB per answer, no redirects (http.ts).
 */

/** Vault lists what went wrong in `errors`. */
function vaultErrors(body: Record<string, unknown>): string {
  const errors = Array.isArray(body.errors) ? (body.errors as unknown[]).filter((x) => typeof x === 'string').join('; ').slice(0, 300) : '';
  return errors ? `: ${errors}` : '';
}

const vaultCall = (egress: Egress, url: URL, init: SecretCall) => secretManagerCall(egress, egress.chosen, url, init, 'Vault', vaultErrors);

export async function fetchVaultSecret(auth: VaultAuthConfig, secretPath: string, egress: Egress): Promise<string> {
  const base = auth.vault_addr.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (auth.vault_namespace) headers['x-vault-namespace'] = auth.vault_namespace;
  let token: string;
  if (auth.vault_auth_type === 'token') token = auth.vault_token;
  else {
    const login = await vaultCall(egress, new URL(`${base}/v1/auth/approle/login`), { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ role_id: auth.vault_role_id, secret_id: auth.vault_secret_id }) });
    const client = (login.auth as { client_token?: unknown } | undefined)?.client_token;
    if (typeof client !== 'string') throw new SecretFetchError('Vault\'s AppRole login returned no client token');
    token = client;
  }
  const path = secretPath.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
  const out = await vaultCall(egress, new URL(`${base}/v1/${path}`), { method: 'GET', headers: { ...headers, 'x-vault-token': token } });
  const data = out.data as Record<string, unknown> | undefined;
  const kv = data && typeof data.data === 'object' && data.data !== null && 'metadata' in data ? (data.data as Record<string, unknown>) : data;
  if (!kv || typeof kv !== 'object') throw new SecretFetchError('Vault\'s answer holds no data at that path');
  return JSON.stringify(kv);
}
