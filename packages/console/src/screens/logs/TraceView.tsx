import { api } from '../../api/client.js';
import type { LogRow } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo } from '../../app/route.js';
import { windowOf } from '../../app/time-range.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatMs } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

/** A trace's requests on one time line: each bar starts at its request's start and lasts its latency. */
export function TraceView({ route, traceId }: ScreenProps & { traceId: string }) {
  const range = route.params.get('range') ?? '7d';
  const state = useAsync(async (signal) => {
    const w = windowOf(range === '1h' || range === '24h' ? '7d' : range);
    return (await api.trace(traceId, w.from, w.to, signal)).data;
  }, [traceId, range]);
  return (
    <section>
      <div className="screen-head">
        <h1 tabIndex={-1}>Trace {traceId}</h1>
        <a className="button-link" href={linkTo(['logs'], route.params, { trace_id: traceId })}>These requests in the logs list</a>
      </div>
      <Loaded state={state} what="the trace">
        {(rows) => rows.length === 0 ? <Empty><p>No requests with this trace id in the last 7 days.</p></Empty> : <Waterfall rows={rows} params={route.params} />}
      </Loaded>
    </section>
  );
}

function Waterfall({ rows, params }: { rows: LogRow[]; params: URLSearchParams }) {
  const sorted = [...rows].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const start = Date.parse(sorted[0].created_at);
  const end = Math.max(...sorted.map((r) => Date.parse(r.created_at) + r.latency_ms));
  const span = Math.max(1, end - start);
  return (
    <ol className="waterfall" aria-label={`${rows.length} requests, ${formatMs(span)} in all`}>
      {sorted.map((r) => {
        const offset = ((Date.parse(r.created_at) - start) / span) * 100;
        const width = Math.max(0.5, (r.latency_ms / span) * 100);
        return (
          <li key={r.id}>
            <a href={linkTo(['logs', r.id], params)}>{r.span_name ?? r.model ?? r.id}</a>
            <span className="bar-track" aria-hidden="true">
              {/* Position and width are data, so they are the one place a style attribute is set. */}
              <span className={`bar status-${Math.floor(r.status / 100)}xx`} style={{ marginLeft: `${offset}%`, width: `${width}%` }} />
            </span>
            <span className="mono">{r.status} · {formatMs(r.latency_ms)}</span>
          </li>
        );
      })}
    </ol>
  );
}
