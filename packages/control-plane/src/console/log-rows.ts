import type { LogDocument, LogRow } from '@portico/contract';

export type { LogRow };


export interface LogFilter {
  status?: string;
  model?: string;
  provider?: string;
  key?: string;
  trace_id?: string;
  /** "k=v,k2=v2" */
  metadata?: string;
}

export function rowOf(doc: LogDocument): LogRow {
  return {
    id: doc.id,
    trace_id: doc.trace_id,
    created_at: doc.created_at,
    status: doc.response?.status ?? 0,
    model: doc.model,
    provider: doc.provider,
    key_id: doc.principal?.key_id,
    workspace: doc.principal?.workspace,
    cost_usd: doc.cost?.usd,
    latency_ms: doc.timings?.total_ms ?? 0,
    total_tokens: doc.usage?.total_tokens,
    retries: doc.retries ?? 0,
    cache_status: doc.cache_status,
    metadata: doc.metadata,
    span_name: doc.span?.name,
  };
}

/** "200", "200,429", "4xx" or "5xx,429" → a status test. */
function statusTest(raw: string): (s: number) => boolean {
  const parts = raw.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  return (s) => parts.some((p) => (/^\dxx$/.test(p) ? Math.floor(s / 100) === Number(p[0]) : Number(p) === s));
}

/** A filter as a predicate on rows; every given field must match. */
export function matcher(f: LogFilter): (r: LogRow) => boolean {
  const status = f.status ? statusTest(f.status) : undefined;
  const meta = (f.metadata ?? '').split(',').map((p) => p.split('=')).filter((kv) => kv.length === 2 && kv[0].trim()).map(([k, v]) => [k.trim(), v.trim()]);
  return (r) =>
    (!status || status(r.status)) &&
    (!f.model || r.model === f.model) &&
    (!f.provider || r.provider === f.provider) &&
    (!f.key || r.key_id === f.key) &&
    (!f.trace_id || r.trace_id === f.trace_id) &&
    meta.every(([k, v]) => r.metadata?.[k] === v);
}
