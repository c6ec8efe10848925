/**
 * Every secret a request is known to carry: the credentials in its headers, in its routing config
 * (api_key, webhook headers, passwords in URLs), and those of the virtual keys it used. Each is masked
 * by value wherever it appears in the log line or in an error the client gets, whatever field holds it:
 * an upstream error that echoes the key, a prompt that quotes it, a config passed as a JSON string.
 * Collected after the response, never on the request path.
 */
import type { ProviderTarget } from '../providers/types.js';
import { REDACTED } from './redact.js';

/** Shorter values are not masked by value: they would hit ordinary text. */
export const MIN_MASKED_SECRET = 6;
/** Config nodes visited at most: a config is small, a hostile one is not walked without end. */
const CONFIG_WALK_MAX = 10_000;

export type IsSecretName = (name: string) => boolean;

/** Adds a credential value: a bearer token without its scheme, skipped when too short or only digits. */
export function addSecret(into: string[], value: unknown): void {
  if (typeof value !== 'string') return;
  const v = value.replace(/^Bearer\s+/i, '').trim();
  if (v.length >= MIN_MASKED_SECRET && !/^\d+$/.test(v) && !into.includes(v)) into.push(v);
}

/** A Vertex key file's private key, and the file itself. */
function addServiceAccount(into: string[], json: unknown): void {
  if (typeof json !== 'string') return;
  addSecret(into, json);
  try {
    const sa = JSON.parse(json) as { private_key?: unknown; private_key_id?: unknown };
    addSecret(into, sa.private_key);
    addSecret(into, sa.private_key_id);
  } catch {
    // not JSON: the whole value is masked already
  }
}

/** The password of a URL with userinfo (http://user:pass@host/). */
function addUrlPassword(into: string[], url: unknown): void {
  if (typeof url !== 'string' || !url.includes('@')) return;
  try {
    const u = new URL(url);
    addSecret(into, decodeURIComponent(u.password));
    addSecret(into, u.password);
  } catch {
    // not a URL
  }
}

/** A resolved target's credentials: its key, credential-named settings, its key file. */
export function addTargetSecrets(into: string[], target: ProviderTarget, isSecretName: IsSecretName): void {
  addSecret(into, target.apiKey);
  for (const name in target.settings) {
    if (name === 'vertex_service_account_json') addServiceAccount(into, target.settings[name]);
    else if (isSecretName(name)) addSecret(into, target.settings[name]);
  }
  addUrlPassword(into, target.customHost);
}

/** Credentials in request headers: every credential-named header, and the password of x-portkey-custom-host. */
export function addHeaderSecrets(into: string[], headers: Record<string, string | string[] | undefined>, isSecretName: IsSecretName): void {
  for (const name in headers) {
    const v = headers[name];
    const value = Array.isArray(v) ? v.join(', ') : v;
    if (name === 'x-portkey-vertex-service-account-json') addServiceAccount(into, value);
    else if (isSecretName(name)) addSecret(into, value);
    else if (name === 'x-portkey-custom-host') addUrlPassword(into, value);
  }
}

/**
 * Credentials in a routing config: credential-named fields at any depth, every value of a webhook's
 * `headers` (an object, or the same as a JSON string), and passwords in URLs.
 */
export function addConfigSecrets(into: string[], config: unknown, isSecretName: IsSecretName): void {
  const stack: unknown[] = [config];
  let budget = CONFIG_WALK_MAX;
  while (stack.length && budget-- > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'headers') addHeaderValues(into, v);
      else if (typeof v === 'string') {
        if (k === 'vertex_service_account_json') addServiceAccount(into, v);
        else if (isSecretName(k)) addSecret(into, v);
        else addUrlPassword(into, v);
      } else if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
}

function addHeaderValues(into: string[], headers: unknown): void {
  let h = headers;
  if (typeof h === 'string') {
    try {
      h = JSON.parse(h);
    } catch {
      return;
    }
  }
  if (h === null || typeof h !== 'object') return;
  for (const v of Object.values(h as Record<string, unknown>)) addSecret(into, v);
}

const escapeOnce = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Plain text (an error message) with every known secret masked. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * A JSON line with every known secret masked: as written, escaped once (a JSON string) and twice (JSON
 * text inside a JSON string, such as x-portkey-config). Should a mask land across an escape or inside a
 * number, the line is masked string by string from its parsed form instead, so it stays valid JSON.
 */
export function maskSecretsInLine(line: string, secrets: readonly string[]): string {
  let out = line;
  // Longest first: a key file is masked whole before the private key inside it.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    const once = escapeOnce(s);
    for (const form of once === s ? [s] : [escapeOnce(once), once]) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  if (out === line) return line;
  try {
    JSON.parse(out);
    return out;
  } catch {
    return JSON.stringify(maskStrings(JSON.parse(line), secrets));
  }
}

function maskStrings(v: unknown, secrets: readonly string[]): unknown {
  if (typeof v === 'string') return maskSecrets(v, secrets);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => maskStrings(x, secrets));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = maskStrings((v as Record<string, unknown>)[k], secrets);
  return out;
}
