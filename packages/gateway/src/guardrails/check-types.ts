/**
 * What a built-in check is: its input (the text it reads and the request's context), its outcome
 * (a verdict, data for hook_results, and for checks that rewrite, the new texts or body), and the
 * parameter readers every check compiles its `parameters` with.
 */
export interface CheckInput {
  /** The text the check reads: the last message of a request, or the first choice of a response. */
  text: string;
  /** The request's model (default.modelWhitelist, default.modelRules). */
  model?: string;
  /** The request's type in Portkey's words: chatComplete, complete, embed, messages, ... (default.allowedRequestTypes). */
  requestType?: string;
  /** Which side is checked, in Portkey's words (default.webhook sends it). */
  event?: 'beforeRequestHook' | 'afterRequestHook';
  /** The request body, and the response body for output checks (default.webhook sends them). */
  request?: unknown;
  response?: unknown;
  metadata?: Record<string, string>;
  /** How default.webhook reaches its URL: the gateway's guarded client (guardrails/webhook.ts). */
  postWebhook?: WebhookPoster;
  /** The text items of the part `text` joins (checks that rewrite replace them one for one). */
  texts?: string[];
  /** The client's request headers (default.jwt reads its token from one). */
  requestHeaders?: Record<string, string | string[] | undefined>;
  /** How default.jwt gets a JWKS: the gateway's guarded, cached client (guardrails/jwks.ts). */
  fetchJwks?: JwksFetcher;
}

/** The JWKS at a URL, from the cache unless `refresh` (a token names a key the cached set lacks). */
export type JwksFetcher = (url: string, maxAgeSeconds: number, refresh: boolean) => Promise<{ keys: unknown[] }>;

/** POSTs a JSON body and returns the parsed JSON answer; throws WebhookTimeoutError past `timeoutMs`. */
export type WebhookPoster = (url: string, headers: Record<string, string>, body: unknown, timeoutMs: number) => Promise<unknown>;

export class WebhookTimeoutError extends Error {}

export interface CheckOutcome {
  verdict: boolean;
  /** What the check saw, for hook_results and the log: never the whole text. */
  data: Record<string, unknown>;
  /** A rewriting check's new text items, one for each of CheckInput.texts. */
  texts?: string[];
  /** A rewriting check's new request body, whole (default.addPrefix adds a message). */
  body?: Record<string, unknown>;
}

export type CompiledCheck = (input: CheckInput) => CheckOutcome | Promise<CheckOutcome>;

/** Thrown while compiling: `where` is relative to the check's `parameters`. */
export class CheckParameterError extends Error {
  constructor(readonly where: string, message: string) {
    super(message);
  }
}

export type Params = Record<string, unknown>;

export function bool(p: Params, key: string): boolean {
  const v = p[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new CheckParameterError(key, 'must be true or false');
  return v;
}

export function num(p: Params, key: string, optional = true): number | undefined {
  const v = p[key];
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw new CheckParameterError(key, 'is required: a number');
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new CheckParameterError(key, 'must be a number of at least 0');
  return v;
}

export function str(p: Params, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new CheckParameterError(key, 'is required: a non-empty string');
  return v;
}

export function strings(p: Params, key: string): string[] {
  const v = p[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw new CheckParameterError(key, 'is required: a non-empty array of non-empty strings');
  }
  return v as string[];
}


/** Refuses parameters a check does not know, by name: a misspelt one must not be ignored. */
export function onlyKnown(p: Params, known: readonly string[]): void {
  for (const key of Object.keys(p)) {
    if (!known.includes(key)) throw new CheckParameterError(key, `is not a parameter of this check; it takes ${known.join(', ')}`);
  }
}

export function optionalString(p: Params, key: string): string | undefined {
  const v = p[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CheckParameterError(key, 'must be a string');
  return v;
}

/** A boolean that defaults to `fallback` when absent. */
export function flagOr(p: Params, key: string, fallback: boolean): boolean {
  return p[key] === undefined || p[key] === null ? fallback : bool(p, key);
}
