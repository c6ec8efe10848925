import { z } from 'zod';
import type { AnalyticsRow } from '@portico/contract';
import type { Database, SqlValue } from '../db/types.js';

/**
 * Analytics rows from gateways, stored idempotently: the primary key is (organisation, row id) and
 * every insert is a multi-row INSERT … ON CONFLICT DO NOTHING, so a batch delivered twice stores each
 * row once and the answer says how many were new.
 */
const str = (max: number) => z.string().max(max);
const nullableStr = (max: number) => z.string().max(max).nullable();
const count = z.number().int().min(0).max(1e12);
export const analyticsRowSchema = z.strictObject({
  id: str(128).min(1), organisation: str(128).min(1), workspace: nullableStr(128), key_id: nullableStr(128), trace_id: str(256),
  created_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time'), endpoint: str(256),
  provider: nullableStr(128), model: nullableStr(256), virtual_key: nullableStr(256), config_id: nullableStr(256), prompt_id: nullableStr(256),
  status: z.number().int().min(0).max(999), latency_ms: z.number().min(0), first_byte_ms: z.number().min(0).nullable(),
  prompt_tokens: count, completion_tokens: count, total_tokens: count, cached_tokens: count, cost_usd: z.number().min(0),
  cache_status: z.enum(['DISABLED', 'MISS', 'HIT', 'REFRESH']), retries: z.number().int().min(0).max(1000), rescued: z.boolean(), stream: z.boolean(),
  error_code: nullableStr(256), user: nullableStr(256),
  metadata: z.record(z.string().max(128), z.string().max(1024)).refine((m) => Object.keys(m).length <= 64, 'at most 64 metadata keys'),
});
export const MAX_BATCH_ROWS = 10_000;
export const analyticsBatchSchema = z.strictObject({ gateway: str(256), rows: z.array(analyticsRowSchema).max(MAX_BATCH_ROWS, `at most ${MAX_BATCH_ROWS} rows per batch`) });

const COLUMNS = [
  'id', 'organisation_id', 'workspace_id', 'key_id', 'trace_id', 'created_at', 'endpoint', 'provider', 'model', 'virtual_key', 'config_id', 'prompt_id',
  'status', 'latency_ms', 'first_byte_ms', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'cost_usd', 'cache_status',
  'retries', 'rescued', 'stream', 'error_code', 'user_id', 'metadata', 'received_at',
];

function values(r: AnalyticsRow, receivedAt: string): SqlValue[] {
  return [
    r.id, r.organisation, r.workspace, r.key_id, r.trace_id, new Date(r.created_at).toISOString(), r.endpoint, r.provider, r.model, r.virtual_key,
    r.config_id, r.prompt_id, r.status, r.latency_ms, r.first_byte_ms, r.prompt_tokens, r.completion_tokens, r.total_tokens, r.cached_tokens,
    r.cost_usd, r.cache_status, r.retries, r.rescued ? 1 : 0, r.stream ? 1 : 0, r.error_code, r.user, JSON.stringify(r.metadata), receivedAt,
  ];
}

/** Stores rows; resolves to how many were new (the rest were already stored). */
export async function insertAnalytics(db: Database, rows: AnalyticsRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const receivedAt = new Date().toISOString();
  const perStatement = Math.max(1, Math.min(2_000, Math.floor(db.maxParams / COLUMNS.length)));
  const one = `(${COLUMNS.map(() => '?').join(',')})`;
  let inserted = 0;
  await db.transaction(async (tx) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      const chunk = rows.slice(i, i + perStatement);
      const params: SqlValue[] = [];
      for (const r of chunk) params.push(...values(r, receivedAt));
      inserted += await tx.run(
        `INSERT INTO analytics_rows (${COLUMNS.join(',')}) VALUES ${chunk.map(() => one).join(',')} ON CONFLICT (organisation_id, id) DO NOTHING`,
        params,
      );
    }
  });
  return inserted;
}
