import type { LogDocument } from '@portico/contract';
import { invalid } from '../http/respond.js';

/** Portkey's LogExportsRequestedData, each read from a Portico log document. Costs are in USD. */
export const EXPORT_FIELDS = [
  'id', 'trace_id', 'created_at', 'request', 'response', 'is_success', 'ai_org', 'ai_model', 'req_units', 'res_units',
  'total_units', 'request_url', 'cost', 'cost_currency', 'response_time', 'response_status_code', 'mode', 'config',
  'prompt_slug', 'metadata',
] as const;
export type ExportField = (typeof EXPORT_FIELDS)[number];

const READERS: Record<ExportField, (d: LogDocument) => unknown> = {
  id: (d) => d.id,
  trace_id: (d) => d.trace_id,
  created_at: (d) => d.created_at,
  request: (d) => d.request?.body ?? null,
  response: (d) => d.response?.body ?? null,
  is_success: (d) => (d.response?.status ?? 0) < 400 && !d.error,
  ai_org: (d) => d.provider ?? null,
  ai_model: (d) => d.model ?? null,
  req_units: (d) => d.usage?.prompt_tokens ?? 0,
  res_units: (d) => d.usage?.completion_tokens ?? 0,
  total_units: (d) => d.usage?.total_tokens ?? 0,
  request_url: (d) => d.request?.path ?? null,
  cost: (d) => d.cost?.usd ?? 0,
  cost_currency: () => 'USD',
  response_time: (d) => d.timings?.total_ms ?? null,
  response_status_code: (d) => d.response?.status ?? null,
  // Portico records the config path taken, not the strategy: "config" when a routing config chose the target.
  mode: (d) => (d.config_path ? 'config' : 'single'),
  config: (d) => d.config_path ?? null,
  prompt_slug: () => null,
  metadata: (d) => d.metadata ?? {},
};

export function validateRequestedData(raw: unknown): ExportField[] {
  if (!Array.isArray(raw) || raw.length === 0) throw invalid(`requested_data must be a non-empty array of: ${EXPORT_FIELDS.join(', ')}.`, 'requested_data');
  const seen = new Set<string>();
  for (const f of raw) {
    if (typeof f !== 'string' || !(EXPORT_FIELDS as readonly string[]).includes(f)) throw invalid(`requested_data has an unknown field "${String(f)}"; accepted: ${EXPORT_FIELDS.join(', ')}.`, 'requested_data');
    if (seen.has(f)) throw invalid(`requested_data lists "${f}" twice.`, 'requested_data');
    seen.add(f);
  }
  return raw as ExportField[];
}

export type Projector = (d: LogDocument) => string;

/** One JSONL line per document: the requested fields, in the order asked. */
export function jsonlProjector(fields: ExportField[]): Projector {
  const readers = fields.map((f) => [f, READERS[f]] as const);
  return (d) => {
    const o: Record<string, unknown> = {};
    for (const [f, read] of readers) o[f] = read(d);
    return JSON.stringify(o);
  };
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvHeader(fields: ExportField[]): string {
  return fields.join(',');
}

/** One CSV row per document (RFC 4180 quoting; objects as JSON text). */
export function csvProjector(fields: ExportField[]): Projector {
  const readers = fields.map((f) => READERS[f]);
  return (d) => readers.map((read) => csvCell(read(d))).join(',');
}
