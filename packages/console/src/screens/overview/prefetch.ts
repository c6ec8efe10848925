import { api } from '../../api/client.js';
import { parseHash } from '../../app/route.js';
import { windowOf } from '../../app/time-range.js';
import { baseQuery, CHARTS, DEFAULT_RANGE, filtersByModel } from './charts.js';

/**
 * When the page opens on the overview, its graphs are asked for at once, alongside the session check,
 * instead of after it and the first render: the same queries the charts send (the window is rounded to
 * the minute, so both agree), whose answers the charts then take. Filters by model or provider need
 * the dimensions route first, so those pages load as usual.
 */
export function prefetchOverview(hash: string, now = Date.now()): void {
  const { segments, params } = parseHash(hash);
  if ((segments[0] ?? 'overview') !== 'overview' || filtersByModel(params)) return;
  const base = baseQuery(params, windowOf(params.get('range') ?? DEFAULT_RANGE, now));
  for (const spec of CHARTS) api.prefetchGraph(spec.graph, base);
}
