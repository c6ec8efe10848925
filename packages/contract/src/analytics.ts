/**
 * One row per request, sent by each gateway to the control plane in batches. It never holds a request
 * or response body: those stay in the customer's log store, read through the gateway's /v1/logs/{id}.
 * `id` is the log document's id, so a row delivered twice is stored once.
 */
export interface AnalyticsRow {
  id: string;
  organisation: string;
  workspace: string | null;
  /** Gateway key id (never the key itself). */
  key_id: string | null;
  trace_id: string;
  /** ISO-8601 start of the request. */
  created_at: string;
  endpoint: string;
  provider: string | null;
  /** The model sent upstream on the attempt that answered. */
  model: string | null;
  virtual_key: string | null;
  config_id: string | null;
  prompt_id: string | null;
  /** HTTP status returned to the client. */
  status: number;
  latency_ms: number;
  first_byte_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  /** As the log document says it; SEMANTIC HIT is an answer from the semantic cache. */
  cache_status: 'DISABLED' | 'MISS' | 'HIT' | 'REFRESH' | 'SEMANTIC HIT' | 'SEMANTIC MISS';
  /** Upstream attempts beyond the first (retries and fallbacks). */
  retries: number;
  /** True when a retry or a fallback turned a failure into a success. */
  rescued: boolean;
  stream: boolean;
  error_code: string | null;
  /** metadata._user, when given. */
  user: string | null;
  metadata: Record<string, string>;
}
