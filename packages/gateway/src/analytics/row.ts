import type { AnalyticsRow, LogDocument } from '@portico/contract';

/** What the log document does not hold about a request, but its analytics row does. */
export interface RowExtras {
  organisation: string;
  config_id: string | null;
  prompt_id: string | null;
}

const METADATA_MAX_KEYS = 32;
const METADATA_VALUE_MAX = 256;

/**
 * The analytics row of a request, from its log document: ids, times, who, where, tokens, cost,
 * status. Built from fields only; the bodies in the document are never read.
 */
export function analyticsRow(doc: LogDocument, extras: RowExtras): AnalyticsRow {
  const usage = doc.usage;
  const attempts = doc.attempts ?? [];
  const metadata: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(doc.metadata ?? {})) {
    if (++n > METADATA_MAX_KEYS) break;
    metadata[k] = v.length > METADATA_VALUE_MAX ? v.slice(0, METADATA_VALUE_MAX) : v;
  }
  return {
    id: doc.id,
    organisation: extras.organisation,
    workspace: doc.principal?.workspace ?? null,
    key_id: doc.principal?.key_id ?? null,
    trace_id: doc.trace_id,
    created_at: doc.timings.started_at,
    endpoint: doc.request.endpoint,
    provider: doc.provider ?? null,
    model: doc.model ?? null,
    virtual_key: doc.principal?.virtual_key ?? null,
    config_id: extras.config_id,
    prompt_id: extras.prompt_id,
    status: doc.response.status,
    latency_ms: Math.round(doc.timings.total_ms),
    first_byte_ms: doc.timings.first_byte_ms === undefined ? null : Math.round(doc.timings.first_byte_ms),
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    total_tokens: usage?.total_tokens ?? 0,
    cached_tokens: usage?.cached_tokens ?? 0,
    cost_usd: doc.cost?.usd ?? 0,
    // The control plane's rows know HIT and MISS; a semantic answer counts as one (its log document says which).
    cache_status: doc.cache_status === 'SEMANTIC HIT' ? 'HIT' : doc.cache_status === 'SEMANTIC MISS' ? 'MISS' : doc.cache_status,
    retries: Math.max(doc.retries, attempts.length > 0 ? attempts.length - 1 : 0),
    rescued: attempts.length > 1 && doc.response.status < 400,
    stream: doc.request.stream,
    error_code: doc.error?.code ?? null,
    user: doc.metadata?._user ?? null,
    metadata,
  };
}
