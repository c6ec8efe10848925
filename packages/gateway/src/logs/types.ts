import type { HookResults } from '../guardrails/hooks.js';
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
  model?: string;
  /** Config path taken, e.g. "config.targets[1]". */
  config_path?: string;
  retries: number;
  attempts?: Array<{ target: string; provider: string; status: number; ms: number; error?: string }>;
  cache_status: 'DISABLED' | 'MISS' | 'HIT' | 'REFRESH';
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
  /** How the stream ended: complete, client_aborted, upstream_error. */
  stream_outcome?: 'complete' | 'client_aborted' | 'upstream_error';
}

export interface LogQuery {
  from: Date;
  to: Date;
  limit?: number;
}

/** Where log documents go. Implementations: file (default), s3. */
export interface LogStore {
  readonly kind: string;
  /**
   * Enqueue a document. Never blocks and never throws: when every bound is exhausted it counts a drop.
   * line, when given, is the document already redacted and serialised as one NDJSON line (no newline):
   * it is stored as is, and doc only supplies the id and times.
   */
  write(doc: LogDocument, line?: string): void;
  /** Flush everything buffered, up to the deadline. Resolves when done or when the deadline passes. */
  flush(deadlineMs: number): Promise<void>;
  /** Flush and release resources (on shutdown). */
  close(deadlineMs: number): Promise<void>;
  /** A document by id, or undefined. */
  get(id: string): Promise<LogDocument | undefined>;
  /** Documents in a time range, oldest first, streamed. */
  list(query: LogQuery): AsyncIterable<LogDocument>;
  /** Health for /v1/health: 'ok' or 'degraded' with a reason. */
  health(): { status: 'ok' | 'degraded'; detail?: string };
}
