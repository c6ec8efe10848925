import type { AnalyticsQuery, GraphResponse } from '../../api/types.js';
import type { GraphName, GroupBy } from '../../api/client.js';
import type { Series } from '../../components/Chart.js';

/** The dashboard's charts: which graph each reads, and which data-point fields become lines. */
export interface ChartSpec {
  id: string;
  title: string;
  graph: GraphName;
  fields: string[];
  unit?: string;
  summary: (s: Record<string, number>) => string;
}

const num = (v: number | undefined) => (v === undefined ? '—' : new Intl.NumberFormat().format(Math.round(v * 100) / 100));

export const CHARTS: ChartSpec[] = [
  { id: 'requests', title: 'Requests', graph: 'requests', fields: ['total'], summary: (s) => `${num(s.total)} requests` },
  { id: 'cost', title: 'Cost', graph: 'cost', fields: ['total'], unit: 'USD', summary: (s) => `$${num(s.total)}` },
  { id: 'tokens', title: 'Tokens', graph: 'tokens', fields: ['total'], summary: (s) => `${num(s.total)} tokens` },
  { id: 'latency', title: 'Latency', graph: 'latency', fields: ['p50', 'p95', 'p99'], unit: 'ms', summary: (s) => `p50 ${num(s.p50)} ms · p95 ${num(s.p95 ?? s.p90)} ms · p99 ${num(s.p99)} ms` },
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
    points: res.data_points.map((p) => [p.timestamp, pointValue(p as Record<string, unknown>, f)] as [string, number]),
  }));
}

/** The query for one group's line: the dashboard's filters plus the group's own. */
export function queryForGroup(base: AnalyticsQuery, by: GroupBy, value: string): AnalyticsQuery {
  if (by === 'model') return { ...base, model: value };
  if (by === 'provider') return { ...base, provider: value };
  if (by === 'key') return { ...base, key: value };
  if (by === 'workspace') return { ...base, workspace: value };
  return { ...base, metadata: { ...(base.metadata ?? {}), [by.slice('metadata:'.length)]: value } };
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
