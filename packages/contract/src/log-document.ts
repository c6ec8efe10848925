/** Guardrail verdicts in Portkey's hook_results form, as the gateway records them. */
export interface CheckResult {
  id: string;
  verdict: boolean;
  data: Record<string, unknown>;
  error: string | null;
  execution_time: number;
  created_at: string;
  /** True when the check rewrote the text it checked (default.regexReplace, default.redact_pii, default.addPrefix). */
  transformed?: boolean;
}

/** Portkey's guardrail feedback: the hook's on_fail or on_success value and weight, with which checks passed. */
export interface HookFeedback {
  value: number;
  weight: number;
  metadata: Record<string, unknown> & { successfulChecks: string; failedChecks: string; erroredChecks: string };
}

export interface HookResult {
  id: string;
  /** "mutator" hooks rewrite and never deny; "guardrail" hooks check (and may rewrite). */
  type: 'guardrail' | 'mutator';
  verdict: boolean;
  deny: boolean;
  async: boolean;
  /** True when a check of the hook rewrote the request or response before it went on. */
  transformed: boolean;
  /** From the hook's on_fail / on_success; null when it has neither. */
  feedback: HookFeedback | null;
  checks: CheckResult[];
  execution_time: number;
  created_at: string;
}

export interface HookResults {
  before_request_hooks: HookResult[];
  after_request_hooks: HookResult[];
}

/**
 * A log document: one per request, about 10 kB, redacted before it is written.
 * Written through a LogStore, never on the request's critical path.
 */
export interface LogDocument {
  /** Unique id of this document (also the request id). */
  id: string;
  trace_id: string;
  created_at: string; // ISO-8601
  timings: {
    started_at: string;
    /** Total time to the last byte sent to the client, ms. */
    total_ms: number;
    /** Time spent waiting on upstreams (all attempts), ms. */
    upstream_ms?: number;
    /** Time to the first byte sent to the client, ms (streams). */
    first_byte_ms?: number;
    /** Gateway time before the first upstream call, ms. */
    gateway_overhead_ms?: number;
  };
  request: {
    method: string;
    path: string;
    endpoint: string;
    stream: boolean;
    headers: Record<string, string>;
    body?: unknown;
    body_truncated?: boolean;
  };
  response: {
    status: number;
    body?: unknown;
    body_truncated?: boolean;
  };
  provider?: string;
  /** The model sent upstream by the attempt that served the request (a target's override_params.model wins). */
  model?: string;
  /** The model the provider says it served, when it differs from `model`. */
  served_model?: string;
  /** Config path taken, e.g. "config.targets[1]". */
  config_path?: string;
  retries: number;
  /**
   * Upstream attempts in order. breaker: the target's circuit-breaker state when it was reached
   * (closed, half_open for the probe, open for a target skipped without a call: status 503, ms 0);
   * breaker_opened: this attempt's failure opened the breaker.
   */
  attempts?: Array<{ target: string; provider: string; model?: string; status: number; ms: number; error?: string; breaker?: 'closed' | 'half_open' | 'open'; breaker_opened?: boolean }>;
  /** As Portkey reports it; SEMANTIC HIT / SEMANTIC MISS when a semantic lookup (cache.mode "semantic") decided. */
  cache_status: 'DISABLED' | 'MISS' | 'HIT' | 'REFRESH' | 'SEMANTIC HIT' | 'SEMANTIC MISS';
  /** Guardrail verdicts, in Portkey's hook_results form. */
  hook_results?: HookResults;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; cached_tokens?: number; cache_creation_tokens?: number; reasoning_tokens?: number };
  cost?: { usd: number; priced: boolean };
  metadata?: Record<string, string>;
  /** Where the request sits in the caller's trace (x-portkey-span-* or W3C traceparent). */
  span?: { id?: string; name?: string; parent_id?: string };
  /** Who made the request: gateway key id (never the key), virtual key slug, workspace. */
  principal?: { key_id?: string; virtual_key?: string; workspace?: string };
  error?: { message: string; type: string; code: string | null; status: number; stage?: 'before_first_byte' | 'mid_stream' };
  /** How the stream ended: complete, client_aborted, client_too_slow (read nothing for request_timeout), upstream_error. */
  stream_outcome?: 'complete' | 'client_aborted' | 'client_too_slow' | 'upstream_error';
}

/** One row of a logs list (the console's): a log document's fields, never its bodies. */
export interface LogRow {
  id: string;
  trace_id: string;
  created_at: string;
  status: number;
  model?: string;
  provider?: string;
  key_id?: string;
  workspace?: string;
  cost_usd?: number;
  latency_ms: number;
  total_tokens?: number;
  retries: number;
  cache_status?: string;
  metadata?: Record<string, string>;
  span_name?: string;
}
