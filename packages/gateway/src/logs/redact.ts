import type { LogDocument } from './types.js';

/**
 * Removes credentials from a log document before it is written anywhere.
 * - Fields whose name is a credential are deleted at any depth (headers, bodies, metadata):
 *   authorization, cookie, x-api-key, api-key, x-portkey-api-key, x-goog-api-key, the x-portkey-aws-*
 *   credentials, and any name containing secret/password/api_key/access_key/private_key or ending
 *   in <something>token (but not *_tokens, so usage counts stay), plus the configured extra names.
 * - x-portkey-virtual-key is kept: it is a slug that names a stored key, not the key itself.
 * - Inside every string, values in known key formats (sk-..., AKIA..., AIza..., Bearer ..., JWTs...)
 *   are masked, and "name":"value" pairs in JSON text (unparsed or truncated bodies, x-portkey-config)
 *   have credential values masked.
 * Pure: never mutates its input; returns the input itself when nothing in it needs redacting.
 */
export const REDACTED = '[REDACTED]';

export const EXACT_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-portkey-api-key',
  'x-goog-api-key',
  'x-portkey-aws-access-key-id',
  'x-portkey-aws-secret-access-key',
  'x-portkey-aws-session-token',
  'x-portkey-aws-external-id',
  'x-amz-security-token',
  'x-portkey-vertex-service-account-json',
  'service_account_json',
  'aws_access_key_id',
  'awsaccesskeyid',
]);

// `.token$` and not `token$`: a bare "token" is the logprobs field of chat responses, not a credential.
// Every x-portkey-aws-* header is one, but those that say where and what (region, service, role, bucket,
// object key, model, encryption type, auth type): masking their values by value would blank the bucket
// and model out of file ids and batch objects in the log.
const NAME_RE = /secret|passw(or)?d|api[-_]?key|access[-_]?key|private[-_]?key|.token$|^x-portkey-aws-(?!(?:region|service|role-arn|s3-bucket|s3-object-key|bedrock-model|server-side-encryption|auth-type)$)/;

// Known credential formats. Each is specific enough not to hit ordinary text.
const VALUE_RE = new RegExp(
  [
    String.raw`\bsk-[A-Za-z0-9_-]{16,}`, // OpenAI, Anthropic (sk-ant-...), DeepSeek and other sk- keys
    String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`, // AWS access key ids
    String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
    String.raw`\bgsk_[A-Za-z0-9]{20,}`, // Groq
    String.raw`\bxai-[A-Za-z0-9]{20,}`, // xAI
    String.raw`\bhf_[A-Za-z0-9]{30,}`, // Hugging Face
    String.raw`\bgh[pousr]_[A-Za-z0-9]{36,}`, // GitHub
    String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`, // Slack
    String.raw`\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}`, // Stripe
    String.raw`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`, // JWTs
    String.raw`\bBearer\s+[A-Za-z0-9._~+/=-]{8,}`, // bearer tokens in free text
    String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`,
  ].join('|'),
  'g',
);
const VALUE_HINT_RE = /sk-|AKIA|ASIA|AIza|gsk_|xai-|hf_|gh[pousr]_|xox|_live_|_test_|eyJ|Bearer|PRIVATE KEY/;
// "name": "value" inside JSON text; the value may be cut short by truncation. The name may spell
// characters as \u escapes (api\u005fkey): decodeName reads it as JSON would.
const JSON_PAIR_RE = /"((?:[A-Za-z0-9_.-]|\\u[0-9A-Fa-f]{4}){1,80})"\s*:\s*"((?:[^"\\]|\\.)*)("?)/g;
const decodeName = (name: string): string => (name.includes('\\u') ? name.replace(/\\u([0-9A-Fa-f]{4})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))) : name);
// user:password@ in a URL (a custom_host, a webhook URL): the userinfo is masked, the host kept.
const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"\\]*:[^\s/?#@"\\]*@/gi;
const USERINFO_TEST = new RegExp(USERINFO_RE.source, 'i');
const hasUserinfo = (s: string): boolean => s.includes('://') && s.includes('@') && USERINFO_TEST.test(s);
// name=value in a query string (a passthrough path's ?api_key=...).
const QUERY_PAIR_RE = /([?&])([^=&#\s"?]{1,80})=([^&#\s"]*)/g;
/** Query parameter names that carry credentials besides the credential-like names (Google's ?key=, signed URLs). */
const QUERY_SECRET_NAMES = new Set(['key', 'sig', 'signature', 'auth', 'code', 'token', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token']);
// Every credential name (EXACT_NAMES, NAME_RE) contains one of these: text without any holds no
// credential pair, so the pair scan, which visits every pair of a body, is skipped.
const NAME_HINTS = ['secret', 'passw', 'api-key', 'api_key', 'apikey', 'access-key', 'access_key', 'accesskey', 'private-key', 'private_key', 'privatekey', 'token"', 'authorization', 'cookie', 'x-portkey-aws-', 'service_account_json', 'x-portkey-vertex-service-account-json'];
const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a field of this name holds a credential (without the operator's LOG_REDACT_FIELDS). */
export const isCredentialName = (name: string): boolean => {
  const n = name.toLowerCase();
  return EXACT_NAMES.has(n) || NAME_RE.test(n);
};

export interface Redactor {
  (doc: LogDocument): LogDocument;
  /** Whether a value (a parsed body) holds anything to redact; absent on hand-made redactors. */
  needsRedaction?(value: unknown): boolean;
  /**
   * True when raw JSON text can hold nothing to redact, neither in the text nor in its parsed form:
   * no credential-like name, no key-format hint, and no escape that could hide one (\u, or the \"
   * of JSON embedded in a string). False means "look closer", not "has a secret".
   */
  provablyClean?(rawJson: string): boolean;
}

/** makeRedactor's redactor, with the pieces that let a writer redact a document field by field. */
export interface LogRedactor extends Redactor {
  needsRedaction(value: unknown): boolean;
  provablyClean(rawJson: string): boolean;
  /** A string with credential values masked; the string itself when there are none. */
  maskString(s: string): string;
  /** Whether a field of this name is dropped wherever it appears. */
  isSecretName(name: string): boolean;
  /** Any value, redacted: the value itself when nothing in it needs redacting, else a redacted copy. */
  redactValue(value: unknown): unknown;
}

/** A redactor with the extra field names compiled once; use this on the write path. */
export function makeRedactor(extraFields: readonly string[] = []): LogRedactor {
  const extra = new Set(extraFields.map((f) => f.trim().toLowerCase()).filter(Boolean));
  const nameHint = new RegExp([...NAME_HINTS, ...[...extra].map((n) => `"${n}"`)].map(escapeRe).join('|'), 'i');
  // Field names repeat from document to document (role, content, model...): decide each once.
  const verdicts = new Map<string, boolean>();
  const isSecretName = (name: string): boolean => {
    let secret = verdicts.get(name);
    if (secret === undefined) {
      const n = name.toLowerCase();
      secret = EXACT_NAMES.has(n) || extra.has(n) || NAME_RE.test(n);
      if (verdicts.size >= 10_000) verdicts.clear();
      verdicts.set(name, secret);
    }
    return secret;
  };
  const isSecretQueryName = (name: string): boolean => isSecretName(name) || QUERY_SECRET_NAMES.has(name.toLowerCase());
  const hasSecretQuery = (s: string): boolean => {
    if (!s.includes('=') || (!s.includes('?') && !s.includes('&'))) return false;
    for (const m of s.matchAll(QUERY_PAIR_RE)) if (m[3] && isSecretQueryName(m[2])) return true;
    return false;
  };
  const maskString = (s: string): string => {
    // Shorter strings hold no key format and no "name":"value" pair with a credential name.
    if (s.length < 8) return s;
    let out = s;
    if (VALUE_HINT_RE.test(out)) out = out.replace(VALUE_RE, REDACTED);
    if (out.includes('":')) {
      out = out.replace(JSON_PAIR_RE, (whole, name: string, _v: string, close: string) =>
        isSecretName(decodeName(name)) ? `"${name}":"${REDACTED}${close}` : whole,
      );
    }
    if (out.includes('://') && out.includes('@')) out = out.replace(USERINFO_RE, `$1${REDACTED}@`);
    if (out.includes('=') && (out.includes('?') || out.includes('&'))) {
      out = out.replace(QUERY_PAIR_RE, (whole, sep: string, name: string, value: string) => (value && isSecretQueryName(name) ? `${sep}${name}=${REDACTED}` : whole));
    }
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return maskString(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (isSecretName(k)) continue;
      out[k] = walk((v as Record<string, unknown>)[k]);
    }
    return out;
  };
  const hasSecretPair = (s: string): boolean => {
    if (!nameHint.test(s) && !s.includes('\\u')) return false;
    for (const m of s.matchAll(JSON_PAIR_RE)) if (isSecretName(decodeName(m[1]))) return true;
    return false;
  };
  // Most documents hold nothing to redact: check first, without allocating, and copy only when needed.
  const needsWalk = (v: unknown, depth: number): boolean => {
    if (typeof v === 'string') return v.length >= 8 && (VALUE_HINT_RE.test(v) || (v.includes('":') && hasSecretPair(v)) || hasUserinfo(v) || hasSecretQuery(v));
    if (v === null || typeof v !== 'object') return false;
    if (depth > 64) return true; // let walk() deal with pathological nesting
    if (Array.isArray(v)) {
      for (const x of v) if (needsWalk(x, depth + 1)) return true;
      return false;
    }
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      if (isSecretName(k) || needsWalk((v as Record<string, unknown>)[k], depth + 1)) return true;
    }
    return false;
  };
  const redactValue = (v: unknown): unknown => (needsWalk(v, 0) ? walk(v) : v);
  const redactor = ((doc: LogDocument) => redactValue(doc) as LogDocument) as LogRedactor;
  redactor.needsRedaction = (value) => needsWalk(value, 0);
  redactor.provablyClean = (text) => !text.includes('\\u') && !text.includes('\\"') && !VALUE_HINT_RE.test(text) && !nameHint.test(text) && !hasUserinfo(text) && !hasSecretQuery(text);
  redactor.maskString = maskString;
  redactor.isSecretName = isSecretName;
  redactor.redactValue = redactValue;
  return redactor;
}

/** One-off form of makeRedactor(extraFields)(doc). */
export function redactLogDocument(doc: LogDocument, extraFields: string[] = []): LogDocument {
  return makeRedactor(extraFields)(doc);
}
