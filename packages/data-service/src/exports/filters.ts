import type { LogDocument } from '@portico/contract';
import { invalid } from '../http/respond.js';

/**
 * Portkey's GenerationsFilterSchema, compiled into a predicate over log documents. Comma-separated
 * values mean "any of". Filters Portico's log documents cannot answer (they hold no config ids, prompt
 * slugs or feedback) are refused by name rather than ignored.
 */
export interface ExportFilters {
  time_of_generation_min?: string;
  time_of_generation_max?: string;
  total_units_min?: number;
  total_units_max?: number;
  cost_min?: number;
  cost_max?: number;
  ai_model?: string;
  /** Portico's addition (provider names, comma-separated); Portkey filters providers through ai_org_model. */
  ai_org?: string;
  prompt_token_min?: number;
  prompt_token_max?: number;
  completion_token_min?: number;
  completion_token_max?: number;
  status_code?: string;
  metadata?: Record<string, unknown>;
  ai_org_model?: string;
  virtual_keys?: string;
  trace_id?: string;
  workspace_slug?: string;
  page_size?: number;
  current_page?: number;
}

const NUMBER_FIELDS = [
  'total_units_min', 'total_units_max', 'cost_min', 'cost_max', 'prompt_token_min', 'prompt_token_max',
  'completion_token_min', 'completion_token_max', 'page_size', 'current_page',
] as const;
const STRING_FIELDS = ['time_of_generation_min', 'time_of_generation_max', 'ai_model', 'ai_org', 'status_code', 'ai_org_model', 'virtual_keys', 'trace_id', 'workspace_slug'] as const;
const UNSUPPORTED = ['weighted_feedback_min', 'weighted_feedback_max', 'configs', 'prompt_slug'] as const;
const DEFAULT_WINDOW_MS = 30 * 24 * 3_600_000;
const MAX_PAGE_SIZE = 50_000;

export function validateFilters(raw: unknown): ExportFilters {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('filters must be an object (Portkey\'s GenerationsFilterSchema).', 'filters');
  const f = raw as Record<string, unknown>;
  for (const key of Object.keys(f)) {
    if ((UNSUPPORTED as readonly string[]).includes(key)) throw invalid(`filters.${key} is not supported: Portico's log documents do not record it. Remove it.`, `filters.${key}`, 'unsupported_filter');
    if (!(NUMBER_FIELDS as readonly string[]).includes(key) && !(STRING_FIELDS as readonly string[]).includes(key) && key !== 'metadata') {
      throw invalid(`Unknown filter "filters.${key}"; accepted: ${[...STRING_FIELDS, ...NUMBER_FIELDS, 'metadata'].join(', ')}.`, `filters.${key}`, 'unknown_parameter');
    }
  }
  for (const key of NUMBER_FIELDS) if (f[key] !== undefined && (typeof f[key] !== 'number' || !Number.isFinite(f[key]))) throw invalid(`filters.${key} must be a number.`, `filters.${key}`);
  for (const key of STRING_FIELDS) if (f[key] !== undefined && typeof f[key] !== 'string') throw invalid(`filters.${key} must be a string.`, `filters.${key}`);
  for (const key of ['time_of_generation_min', 'time_of_generation_max'] as const) {
    if (f[key] !== undefined && Number.isNaN(Date.parse(f[key] as string))) throw invalid(`filters.${key} must be a date or date-time (ISO 8601), got "${String(f[key])}".`, `filters.${key}`);
  }
  if (f.metadata !== undefined) {
    if (!f.metadata || typeof f.metadata !== 'object' || Array.isArray(f.metadata)) throw invalid('filters.metadata must be an object of metadata keys to values.', 'filters.metadata');
    for (const [k, v] of Object.entries(f.metadata)) if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw invalid(`filters.metadata.${k} must be a string.`, `filters.metadata.${k}`);
  }
  if (f.status_code !== undefined && !(f.status_code as string).split(',').every((s) => /^\s*\d{3}\s*$/.test(s))) throw invalid('filters.status_code must be comma-separated HTTP status codes, like "200,429".', 'filters.status_code');
  if (f.page_size !== undefined && (!Number.isInteger(f.page_size) || (f.page_size as number) < 1 || (f.page_size as number) > MAX_PAGE_SIZE)) throw invalid(`filters.page_size must be an integer from 1 to ${MAX_PAGE_SIZE}.`, 'filters.page_size');
  if (f.current_page !== undefined && (!Number.isInteger(f.current_page) || (f.current_page as number) < 0)) throw invalid('filters.current_page must be an integer of 0 or more.', 'filters.current_page');
  if (f.current_page !== undefined && f.page_size === undefined) throw invalid('filters.current_page needs filters.page_size.', 'filters.current_page');
  const { fromMs, toMs } = timeRange(f as ExportFilters);
  if (fromMs > toMs) throw invalid('filters.time_of_generation_min is after time_of_generation_max.', 'filters.time_of_generation_min');
  return f as ExportFilters;
}

/** The time range [from, to] in ms; defaults: up to now, the 30 days before the end. A bare date as max means the end of that day. */
export function timeRange(f: ExportFilters, now = Date.now()): { fromMs: number; toMs: number } {
  const dateOnly = (s: string) => /^\d{4}-\d\d-\d\d$/.test(s);
  const toMs = f.time_of_generation_max ? Date.parse(f.time_of_generation_max) + (dateOnly(f.time_of_generation_max) ? 86_399_999 : 0) : now;
  const fromMs = f.time_of_generation_min ? Date.parse(f.time_of_generation_min) : toMs - DEFAULT_WINDOW_MS;
  return { fromMs, toMs };
}

const list = (s: string | undefined): Set<string> | undefined => (s === undefined ? undefined : new Set(s.split(',').map((x) => x.trim()).filter(Boolean)));

/** A predicate for the filters, plus the caller's workspace bound (undefined: every workspace). */
export function compileFilter(f: ExportFilters, workspace: string | undefined): (doc: LogDocument) => boolean {
  const { fromMs, toMs } = timeRange(f);
  const models = list(f.ai_model);
  const providers = list(f.ai_org);
  const orgModels = list(f.ai_org_model);
  const statuses = f.status_code === undefined ? undefined : new Set(f.status_code.split(',').map((s) => Number(s.trim())));
  const traces = list(f.trace_id);
  const vks = list(f.virtual_keys);
  const wsSlugs = list(f.workspace_slug);
  const meta = f.metadata ? Object.entries(f.metadata).map(([k, v]) => [k, String(v)] as const) : [];
  const between = (v: number | undefined, min?: number, max?: number) => (min === undefined || (v ?? 0) >= min) && (max === undefined || (v ?? 0) <= max);
  return (doc) => {
    const at = Date.parse(doc.created_at);
    if (!(at >= fromMs && at <= toMs)) return false;
    if (workspace !== undefined && doc.principal?.workspace !== workspace) return false;
    if (wsSlugs && !wsSlugs.has(doc.principal?.workspace ?? '')) return false;
    if (models && !models.has(doc.model ?? '')) return false;
    if (providers && !providers.has(doc.provider ?? '')) return false;
    if (orgModels && !orgModels.has(`${doc.provider ?? ''}__${doc.model ?? ''}`)) return false;
    if (statuses && !statuses.has(doc.response?.status)) return false;
    if (traces && !traces.has(doc.trace_id)) return false;
    if (vks && !vks.has(doc.principal?.virtual_key ?? '')) return false;
    for (const [k, v] of meta) if (doc.metadata?.[k] !== v) return false;
    const u = doc.usage;
    if (!between(u?.total_tokens, f.total_units_min, f.total_units_max)) return false;
    if (!between(u?.prompt_tokens, f.prompt_token_min, f.prompt_token_max)) return false;
    if (!between(u?.completion_tokens, f.completion_token_min, f.completion_token_max)) return false;
    if (!between(doc.cost?.usd, f.cost_min, f.cost_max)) return false;
    return true;
  };
}
