import type { AnalyticsQuery, Dimensions, GraphResponse } from '../../api/types.js';
import type { GraphName } from '../../api/client.js';
import type { Series } from '../../components/Chart.js';

/** The dashboard's charts: which graph each reads, and which data-point fields become lines. */
export interface ChartSpec {
  id: string;
  title: string;
  graph: GraphName;
  fields: string[];
  unit?: string;
  /** Multiplies every value: Portkey reports cost in cents, shown here in dollars. */
  scale?: number;
  summary: (s: Record<string, number>) => string;
}

const num = (v: number | undefined) => (v === undefined ? '—' : new Intl.NumberFormat().format(Math.round(v * 100) / 100));

export const CHARTS: ChartSpec[] = [
  { id: 'requests', title: 'Requests', graph: 'requests', fields: ['total'], summary: (s) => `${num(s.total)} request${s.total === 1 ? '' : 's'}` },
  { id: 'cost', title: 'Cost', graph: 'cost', fields: ['total'], unit: 'USD', scale: 0.01, summary: (s) => `$${((s.total ?? 0) / 100).toFixed(2)}` },
  { id: 'tokens', title: 'Tokens', graph: 'tokens', fields: ['total'], summary: (s) => `${num(s.total)} tokens` },
  { id: 'latency', title: 'Latency', graph: 'latency', fields: ['p50', 'p95', 'p99'], unit: 'ms', summary: (s) => `p50 ${num(s.p50)} ms · ${s.p95 !== undefined ? `p95 ${num(s.p95)}` : `p90 ${num(s.p90)}`} ms · p99 ${num(s.p99)} ms` },
  { id: 'errors', title: 'Error rate', graph: 'errors/rate', fields: ['rate'], unit: '%', summary: (s) => `${num(s.rate)}%` },
  { id: 'cache', title: 'Cache hit rate', graph: 'cache/hit-rate', fields: ['rate'], unit: '%', summary: (s) => `${num(s.rate)}%` },
  { id: 'rescued', title: 'Rescued requests', graph: 'requests/rescued', fields: ['retry', 'fallback'], summary: (s) => `${num(s.retry)} by retries · ${num(s.fallback)} by fallbacks` },
];

/** A data point's field as a number; Portkey's rescued graph gives retries as [{retry_success_count, count}]. */
export function pointValue(point: Record<string, unknown>, field: string): number {
  const v = point[field];
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v) || 0;
  if (Array.isArray(v)) return v.reduce((n, r: { retry_success_count?: number }) => n + (r.retry_success_count ?? 0), 0);
  return 0;
}

/** Lines of one graph response: a line per field, or (grouped) one line named after the group. */
export function seriesOf(spec: ChartSpec, res: GraphResponse<Record<string, unknown>>, groupName?: string): Series[] {
  const has = (f: string) => res.data_points.some((p) => f in p);
  // Portkey's latency graph has p90 where Portico's has p95: draw whichever the answer carries.
  const actual = spec.fields.map((f) => (f === 'p95' && !has('p95') && has('p90') ? 'p90' : f));
  const pick = groupName ? actual.slice(0, 1) : actual;
  return pick.map((f) => ({
    name: groupName ? groupName : f,
    points: res.data_points.map((p) => [p.timestamp, pointValue(p as Record<string, unknown>, f) * (spec.scale ?? 1)] as [string, number]),
  }));
}

export type GroupBy = 'model' | 'provider' | 'key' | 'workspace' | `metadata:${string}`;

/** One line of a grouped chart: its name and the query that selects its requests. */
export interface GroupLine {
  name: string;
  query: AnalyticsQuery;
}

export const GROUP_LIMIT = 5;

/**
 * The busiest groups' lines. Model and provider lines select provider__model pairs (Portkey's
 * ai_org_model filter); key lines select api_key_ids; workspace and metadata lines come from the
 * Admin API's own groups. `groupValues` lists a workspace or metadata group's values, busiest first.
 */
export function groupLines(by: GroupBy, base: AnalyticsQuery, dims: Dimensions, groupValues: string[] = []): GroupLine[] {
  if (by === 'model') {
    return dims.models.slice(0, GROUP_LIMIT).map((m) => ({ name: `${m.model} (${m.provider})`, query: { ...base, models: [`${m.provider}__${m.model}`] } }));
  }
  if (by === 'provider') {
    const byProvider = new Map<string, { requests: number; pairs: string[] }>();
    for (const m of dims.models) {
      const g = byProvider.get(m.provider) ?? { requests: 0, pairs: [] };
      g.requests += m.requests;
      g.pairs.push(`${m.provider}__${m.model}`);
      byProvider.set(m.provider, g);
    }
    return [...byProvider].sort((a, b) => b[1].requests - a[1].requests).slice(0, GROUP_LIMIT)
      .map(([provider, g]) => ({ name: provider, query: { ...base, models: g.pairs } }));
  }
  if (by === 'key') return dims.keys.slice(0, GROUP_LIMIT).map((k) => ({ name: k.key_id, query: { ...base, keys: [k.key_id] } }));
  if (by === 'workspace') return groupValues.slice(0, GROUP_LIMIT).map((id) => ({ name: id, query: { ...base, workspace: undefined, workspaceId: id } }));
  const key = by.slice('metadata:'.length);
  return groupValues.slice(0, GROUP_LIMIT).map((v) => ({ name: `${key}=${v}`, query: { ...base, metadata: { ...(base.metadata ?? {}), [key]: v } } }));
}

/** The model and provider filters as the provider__model pairs they match in the range (undefined: no filter). */
export function modelFilter(dims: Dimensions, model?: string, provider?: string): string[] | undefined {
  if (!model && !provider) return undefined;
  return dims.models.filter((m) => (!model || m.model === model) && (!provider || m.provider === provider)).map((m) => `${m.provider}__${m.model}`);
}

/** The range the overview shows when the URL names none. */
export const DEFAULT_RANGE = '24h';

/** Whether the URL filters by model or provider: those resolve to provider__model pairs (the dimensions route) first. */
export const filtersByModel = (p: URLSearchParams) => Boolean(p.get('model') || p.get('provider'));

/** The dashboard's totals query from the URL's filters; models: the pairs the model and provider filters resolved to. */
export function baseQuery(p: URLSearchParams, span: { from: string; to: string }, models?: string[]): AnalyticsQuery {
  return {
    ...span,
    workspace: p.get('ws') ?? undefined,
    models,
    keys: p.get('key') ? [p.get('key')!] : undefined,
    status: p.get('status') ?? undefined,
    metadata: parseMetadataFilter(p.get('metadata')),
  };
}

/** "team=alpha,env=prod" from the URL into a metadata filter; malformed pairs are dropped. */
export function parseMetadataFilter(raw: string | null): Record<string, string> | undefined {
  if (!raw) return undefined;
  const out: Record<string, string> = {};
  for (const pair of raw.split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return Object.keys(out).length ? out : undefined;
}
