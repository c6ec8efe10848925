import { useMemo } from 'react';
import { api, type GroupBy } from '../../api/client.js';
import type { AnalyticsQuery, GraphResponse } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { setParams } from '../../app/route.js';
import { windowOf } from '../../app/time-range.js';
import { TimeChart, type Series } from '../../components/Chart.js';
import { Loaded } from '../../components/States.js';
import type { ScreenProps } from '../../app/Screen.js';
import { CHARTS, parseMetadataFilter, queryForGroup, seriesOf, type ChartSpec } from './charts.js';
import { Filters } from './Filters.js';

const GROUP_LIMIT = 5;

export function Overview({ route }: ScreenProps) {
  const p = route.params;
  const range = p.get('range') ?? '24h';
  const groupBy = (p.get('group') ?? '') as GroupBy | '';
  // The window is fixed per range and reload, so every chart asks about the same minutes.
  const refresh = p.get('t') ?? '';
  const query: AnalyticsQuery = useMemo(() => ({
    ...windowOf(range),
    workspace: p.get('ws') ?? undefined,
    model: p.get('model') ?? undefined,
    provider: p.get('provider') ?? undefined,
    key: p.get('key') ?? undefined,
    status: p.get('status') ?? undefined,
    metadata: parseMetadataFilter(p.get('metadata')),
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }), [p.toString(), refresh]);

  const groups = useAsync(
    async (signal) => (groupBy ? (await api.groups(groupBy, query, signal)).slice(0, GROUP_LIMIT) : []),
    [groupBy, JSON.stringify(query)],
  );

  return (
    <section className="overview">
      <div className="screen-head">
        <h1 tabIndex={-1}>Overview</h1>
        <button type="button" className="button-secondary" onClick={() => setParams(route, { t: String(Date.now()) })}>Refresh</button>
      </div>
      <Filters route={route} />
      <Loaded state={groups} what="groups">
        {(g) => (
          <div className="chart-grid">
            {CHARTS.map((spec) => (
              <ChartCard key={spec.id} spec={spec} query={query} groupBy={groupBy || undefined} groups={g.map((x) => x.value)} />
            ))}
          </div>
        )}
      </Loaded>
    </section>
  );
}

function ChartCard({ spec, query, groupBy, groups }: { spec: ChartSpec; query: AnalyticsQuery; groupBy?: GroupBy; groups: string[] }) {
  const state = useAsync(async (signal) => {
    const total = await api.graph<Record<string, unknown>>(spec.graph, query, signal);
    if (!groupBy) return { total, series: seriesOf(spec, total) };
    const per = await Promise.all(groups.map((g) => api.graph<Record<string, unknown>>(spec.graph, queryForGroup(query, groupBy, g), signal)));
    const series: Series[] = per.flatMap((res, i) => seriesOf(spec, res, groups[i]));
    return { total, series };
  }, [spec.id, JSON.stringify(query), groupBy, groups.join('\u0000')]);

  const headingId = `chart-${spec.id}`;
  return (
    <article className="card chart-card" aria-labelledby={headingId} data-chart={spec.id}>
      <h2 id={headingId}>{spec.title}</h2>
      <Loaded state={state} what={spec.title.toLowerCase()}>
        {({ total, series }) => (
          <>
            <p className="summary" data-testid={`summary-${spec.id}`}>{spec.summary(total.summary as GraphResponse<object>['summary'])}</p>
            {total.data_points.length === 0 || series.length === 0
              ? <p className="state state-empty">No requests in this range.</p>
              : <TimeChart label={`${spec.title} over time`} series={series} unit={spec.unit} kind={spec.id === 'requests' ? 'bar' : 'line'} />}
          </>
        )}
      </Loaded>
    </article>
  );
}
