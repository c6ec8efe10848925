import type { LogRedactor } from './redact.js';
import type { LogDocument } from './types.js';

/**
 * Bodies that go into the line as the JSON text the client or the upstream sent, instead of being
 * serialised again from their parsed form. The caller vouches that each is valid JSON, on one line,
 * and holds nothing to redact (LogRedactor.provablyClean or a closer look).
 */
export interface VerbatimBodies {
  request?: string;
  response?: string;
}

/**
 * A log document as one NDJSON line, redacted as it is written: the same JSON as
 * JSON.stringify(redactor(doc)), key order included, for about half the work. The document's own
 * fields are written directly: strings that come from clients or upstreams are masked, the gateway's
 * own (ids, times, names) go as they are. Values whose shape the document does not fix (bodies,
 * attempts, hook results) go through the redactor; headers and metadata lose credential names.
 */
export function logDocumentLine(d: LogDocument, r: LogRedactor, verbatim: VerbatimBodies = {}): string {
  // An operator who named one of the document's own fields in LOG_REDACT_FIELDS gets it dropped.
  if (!ownNamesKept(r)) return JSON.stringify(r(d));
  const t = d.timings;
  let o = `{"id":${own(r, d.id)},"trace_id":${str(r, d.trace_id)},"created_at":${own(r, d.created_at)}`;
  o += `,"timings":{"started_at":${own(r, t.started_at)},"total_ms":${num(r, t.total_ms)}`;
  if (t.upstream_ms !== undefined) o += `,"upstream_ms":${num(r, t.upstream_ms)}`;
  if (t.first_byte_ms !== undefined) o += `,"first_byte_ms":${num(r, t.first_byte_ms)}`;
  if (t.gateway_overhead_ms !== undefined) o += `,"gateway_overhead_ms":${num(r, t.gateway_overhead_ms)}`;
  const q = d.request;
  o += `},"request":{"method":${str(r, q.method)},"path":${str(r, q.path)},"endpoint":${own(r, q.endpoint)},"stream":${bool(r, q.stream)},"headers":${strings(r, q.headers)}`;
  o += bodyFields(r, verbatim.request, q.body, q.body_truncated);
  o += `},"response":{"status":${num(r, d.response.status)}`;
  o += bodyFields(r, verbatim.response, d.response.body, d.response.body_truncated);
  o += '}';
  if (d.provider !== undefined) o += `,"provider":${str(r, d.provider)}`;
  if (d.model !== undefined) o += `,"model":${str(r, d.model)}`;
  if (d.served_model !== undefined) o += `,"served_model":${str(r, d.served_model)}`;
  if (d.config_path !== undefined) o += `,"config_path":${str(r, d.config_path)}`;
  o += `,"retries":${num(r, d.retries)}`;
  if (d.attempts !== undefined) o += `,"attempts":${any(r, d.attempts)}`;
  o += `,"cache_status":${own(r, d.cache_status)}`;
  if (d.hook_results !== undefined) o += `,"hook_results":${any(r, d.hook_results)}`;
  const u = d.usage;
  if (u !== undefined) {
    o += `,"usage":{"prompt_tokens":${num(r, u.prompt_tokens)},"completion_tokens":${num(r, u.completion_tokens)},"total_tokens":${num(r, u.total_tokens)}`;
    if (u.cached_tokens !== undefined) o += `,"cached_tokens":${num(r, u.cached_tokens)}`;
    if (u.cache_creation_tokens !== undefined) o += `,"cache_creation_tokens":${num(r, u.cache_creation_tokens)}`;
    if (u.reasoning_tokens !== undefined) o += `,"reasoning_tokens":${num(r, u.reasoning_tokens)}`;
    o += '}';
  }
  if (d.cost !== undefined) o += `,"cost":{"usd":${num(r, d.cost.usd)},"priced":${bool(r, d.cost.priced)}}`;
  if (d.metadata !== undefined) o += `,"metadata":${strings(r, d.metadata)}`;
  if (d.span !== undefined) o += `,"span":${any(r, d.span)}`;
  if (d.principal !== undefined) o += `,"principal":${any(r, d.principal)}`;
  if (d.error !== undefined) o += `,"error":${any(r, d.error)}`;
  if (d.stream_outcome !== undefined) o += `,"stream_outcome":${own(r, d.stream_outcome)}`;
  return `${o}}`;
}

/** A body and its truncation mark: the verbatim text when there is one, else the redacted value. */
function bodyFields(r: LogRedactor, verbatim: string | undefined, body: unknown, truncated: boolean | undefined): string {
  const written = verbatim ?? any(r, body);
  let o = written === undefined ? '' : `,"body":${written}`;
  if (truncated !== undefined) o += `,"body_truncated":${bool(r, truncated)}`;
  return o;
}

/** The document's top-level fields, each written above; a field added to LogDocument must join them. */
const FIELDS = [
  'id', 'trace_id', 'created_at', 'timings', 'request', 'response', 'provider', 'model', 'served_model', 'config_path', 'retries', 'attempts',
  'cache_status', 'hook_results', 'usage', 'cost', 'metadata', 'span', 'principal', 'error', 'stream_outcome',
] as const;
type Unwritten = Exclude<keyof LogDocument, (typeof FIELDS)[number]>;
const everyFieldWritten: [Unwritten] extends [never] ? true : Unwritten = true;
void everyFieldWritten;

/** The names the writer above sets itself, at any depth. */
const OWN_NAMES = [
  ...FIELDS, 'started_at', 'total_ms', 'upstream_ms', 'first_byte_ms', 'gateway_overhead_ms', 'method', 'path', 'endpoint', 'stream', 'headers', 'body',
  'body_truncated', 'status', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'cache_creation_tokens', 'reasoning_tokens', 'usd', 'priced',
];
const ownNamesKeptBy = new WeakMap<LogRedactor, boolean>();

/** Whether this redactor keeps every name the writer sets (it does unless LOG_REDACT_FIELDS names one); decided once. */
function ownNamesKept(r: LogRedactor): boolean {
  let kept = ownNamesKeptBy.get(r);
  if (kept === undefined) {
    kept = !OWN_NAMES.some((n) => r.isSecretName(n));
    ownNamesKeptBy.set(r, kept);
  }
  return kept;
}

// What JSON.stringify escapes in a string: quotes, backslashes, control characters and (lone) surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as a JSON string literal; most need no escaping and skip JSON.stringify's set-up. */
const quote = (s: string): string => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);

/** Any value, redacted, as JSON; undefined for what JSON.stringify leaves out. */
const any = (r: LogRedactor, v: unknown): string | undefined => JSON.stringify(r.redactValue(v));
// The typed writers fall back to any() for a value of another type, so the line is always what
// JSON.stringify would write.
const str = (r: LogRedactor, v: unknown): string => (typeof v === 'string' ? quote(r.maskString(v)) : any(r, v) ?? 'null');
const num = (r: LogRedactor, v: unknown): string => (typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : any(r, v) ?? 'null');
const bool = (r: LogRedactor, v: unknown): string => (typeof v === 'boolean' ? (v ? 'true' : 'false') : any(r, v) ?? 'null');

// Strings the gateway makes itself in a JSON-safe alphabet (ULID ids, ISO times from isoTime, endpoint
// and status names): quoted as they are. Scanning them would first copy each, as most are built by
// concatenation. A field of another type still goes through the general writers.
const own = (r: LogRedactor, v: unknown): string => (typeof v === 'string' ? `"${v}"` : str(r, v));

/** A record of strings (headers, metadata): credential names dropped, values masked. */
function strings(r: LogRedactor, v: unknown): string {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return any(r, v) ?? 'null';
  let o = '';
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k) || r.isSecretName(k)) continue;
    const value = (v as Record<string, unknown>)[k];
    if (value === undefined) continue;
    o += `${o ? ',' : ''}${quote(k)}:${str(r, value)}`;
  }
  return `{${o}}`;
}
