import { request } from 'undici';
import { checkLiteral, EgressRefused, type Egress } from '../egress/connect.js';
import { SecretFetchError } from './aws.js';
import type { VaultAuthConfig } from './schema.js';

/**
 * Reads one secret from HashiCorp Vault over its HTTP API: token auth sends X-Vault-Token; AppRole
 * logs in first (POST /v1/auth/approle/login) for a client token. `secret_path` is the API path
 * after /v1/ (KV v2: "secret/data/prod/openai"; KV v1: "kv/prod/openai"); the answer's key/value map
 * (data.data for KV v2, data for KV v1) is the value, as JSON, so `secret_key` picks one key. The
 * Vault address is the caller's choice, so it is held to the egress policy; bounded: 10 s per call,
 * 64 KiB per answer, no redirects.
 */
const TIMEOUT_MS = 10_000;
const MAX_BODY = 64 * 1024;

async function vaultCall(egress: Egress, url: URL, init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }): Promise<Record<string, unknown>> {
  let res;
  try {
    checkLiteral(url.hostname, egress.chosen);
    res = await request(url, { ...init, dispatcher: egress.dispatcher, signal: AbortSignal.timeout(TIMEOUT_MS), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  } catch (e) {
    for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown }, depth++) {
      if (cur instanceof EgressRefused) throw new SecretFetchError(cur.message);
    }
    const err = e as { name?: string; code?: string };
    throw new SecretFetchError(`Vault could not be reached (${err.code ?? err.name ?? 'error'})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) {
      res.body.destroy();
      throw new SecretFetchError(`Vault's answer is over ${MAX_BODY / 1024} KiB`);
    }
    chunks.push(c);
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // Reported by status below, or as not JSON.
  }
  if (res.statusCode >= 300) {
    const errors = Array.isArray(body.errors) ? (body.errors as unknown[]).filter((x) => typeof x === 'string').join('; ').slice(0, 300) : '';
    throw new SecretFetchError(`Vault answered HTTP ${res.statusCode}${errors ? `: ${errors}` : ''}`);
  }
  if (!body || typeof body !== 'object') throw new SecretFetchError('Vault\'s answer is not JSON');
  return body;
}

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
