import { useMemo } from 'react';
import { api, rows } from '../../api/client.js';
import type { AnalyticsQuery } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { setParams } from '../../app/route.js';
import { windowOf } from '../../app/time-range.js';
import { TimeChart, type Series } from '../../components/Chart.js';
import { Loaded } from '../../components/States.js';
import type { ScreenProps } from '../../app/Screen.js';
import { baseQuery, CHARTS, DEFAULT_RANGE, filtersByModel, groupLines, modelFilter, seriesOf, type ChartSpec, type GroupBy, type GroupLine } from './charts.js';
import { Filters } from './Filters.js';

export function Overview({ route }: ScreenProps) {
  const p = route.params;
  const range = p.get('range') ?? DEFAULT_RANGE;
  const groupBy = (p.get('group') ?? '') as GroupBy | '';
  // The window is fixed per range and refresh, so every chart asks about the same minutes.
  const refresh = p.get('t') ?? '';
  const key = p.toString();
  const span = useMemo(() => windowOf(range), [range, refresh]); // eslint-disable-line react-hooks/exhaustive-deps

  // Resolve the filters and the grouping into Admin API queries: one for the totals, one per line.
  const plan = useAsync(async (signal) => {
    const workspace = p.get('ws') ?? undefined;
    // Which providers, models and keys had requests: needed only to resolve those filters and groupings.
    const needsDims = filtersByModel(p) || groupBy === 'model' || groupBy === 'provider' || groupBy === 'key';
    const dims = needsDims ? await api.dimensions(span.from, span.to, workspace, signal) : { models: [], keys: [] };
    const base = baseQuery(p, span, modelFilter(dims, p.get('model') ?? undefined, p.get('provider') ?? undefined));
    if (!groupBy) return { base, lines: [] as GroupLine[] };
    let values: string[] = [];
    if (groupBy === 'workspace') values = rows(await api.workspaceGroups(base, signal)).map((g) => g.workspace_id);
    else if (groupBy.startsWith('metadata:')) values = rows(await api.metadataGroups(groupBy.slice('metadata:'.length), base, signal)).map((g) => g.metadata_value);
    return { base, lines: groupLines(groupBy, base, dims, values) };
  }, [key, span]);

  return (
    <section className="overview">
      <div className="screen-head">
        <h1 tabIndex={-1}>Overview</h1>
        <button type="button" className="button-secondary" onClick={() => setParams(route, { t: String(Date.now()) })}>Refresh</button>
      </div>
      <Filters route={route} />
      <Loaded state={plan} what="the dashboard">
        {({ base, lines }) => (
          <div className="chart-grid">
            {CHARTS.map((spec) => <ChartCard key={spec.id} spec={spec} base={base} lines={lines} grouped={Boolean(groupBy)} />)}
          </div>
        )}
      </Loaded>
    </section>
  );
}

function ChartCard({ spec, base, lines, grouped }: { spec: ChartSpec; base: AnalyticsQuery; lines: GroupLine[]; grouped: boolean }) {
  const state = useAsync(async (signal) => {
    const total = await api.graph<Record<string, unknown>>(spec.graph, base, signal);
    if (!grouped) return { total, series: seriesOf(spec, total) };
    const per = await Promise.all(lines.map((l) => api.graph<Record<string, unknown>>(spec.graph, l.query, signal)));
    const series: Series[] = per.flatMap((res, i) => seriesOf(spec, res, lines[i].name));
    return { total, series };
  }, [spec.id, base, lines, grouped]);

  const headingId = `chart-${spec.id}`;
  return (
    <article className="card chart-card" aria-labelledby={headingId} data-chart={spec.id}>
      <h2 id={headingId}>{spec.title}</h2>
      <Loaded state={state} what={spec.title.toLowerCase()}>
        {({ total, series }) => (
          <>
            <p className="summary" data-testid={`summary-${spec.id}`}>{spec.summary(total.summary)}</p>
            {total.data_points.length === 0 || series.length === 0
              ? <p className="state state-empty">No requests in this range.</p>
              : <TimeChart label={`${spec.title} over time`} series={series} unit={spec.unit} kind={spec.id === 'requests' && !grouped ? 'bar' : 'line'} />}
          </>
        )}
      </Loaded>
    </article>
  );
}
