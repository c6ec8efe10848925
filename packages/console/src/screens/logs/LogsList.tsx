import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api/client.js';
import type { LogRow } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo, setParams } from '../../app/route.js';
import { RANGES, windowOf } from '../../app/time-range.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatMs, formatTime, formatUsd } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

const FILTERS = ['status', 'model', 'provider', 'key', 'trace_id', 'metadata'] as const;
const LABELS: Record<(typeof FILTERS)[number], string> = {
  status: 'Status', model: 'Model', provider: 'Provider', key: 'API key id', trace_id: 'Trace id', metadata: 'Metadata (key=value)',
};

export function LogsList({ route }: ScreenProps) {
  const p = route.params;
  const page = Math.max(0, Number(p.get('page') ?? '0') || 0);
  const refresh = p.get('t') ?? '';
  const [draft, setDraft] = useState(() => readFilters(p));
  useEffect(() => setDraft(readFilters(p)), [p.toString()]); // eslint-disable-line react-hooks/exhaustive-deps

  const state = useAsync((signal) => api.logs({
    ...windowOf(p.get('range')),
    ...readFilters(p),
    workspace: p.get('ws') ?? undefined,
    page,
  }, signal), [p.toString(), refresh]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setParams(route, { ...draft, page: undefined });
  };

  return (
    <section>
      <div className="screen-head">
        <h1 tabIndex={-1}>Logs</h1>
        <button type="button" className="button-secondary" onClick={() => setParams(route, { t: String(Date.now()) })}>Refresh</button>
        <a className="button-link" href={linkTo(['exports'], p, Object.fromEntries(FILTERS.map((f) => [f, p.get(f) ?? undefined])))}>Export these logs</a>
      </div>
      <form className="filters" onSubmit={apply} aria-label="Log filters">
        <label>Time range
          <select value={p.get('range') ?? '24h'} onChange={(e) => setParams(route, { range: e.target.value, page: undefined })}>
            {RANGES.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
          </select>
        </label>
        {FILTERS.map((f) => (
          <label key={f}>{LABELS[f]}
            <input value={draft[f] ?? ''} onChange={(e) => setDraft({ ...draft, [f]: e.target.value })} />
          </label>
        ))}
        <button type="submit">Apply filters</button>
      </form>
      <Loaded state={state} what="logs">
        {(res) => res.data.length === 0
          ? <Empty><p>No requests match these filters in this time range.</p><p>Widen the range, clear a filter, or send a request through the gateway; it appears here a few seconds after it ends.</p></Empty>
          : (
            <>
              <LogsTable rows={res.data} params={p} />
              {(page > 0 || res.has_more) && <nav className="pager" aria-label="Pages">
                <button type="button" disabled={page === 0} onClick={() => setParams(route, { page: page > 1 ? String(page - 1) : undefined })}>Newer</button>
                <span>Page {page + 1}</span>
                <button type="button" disabled={!res.has_more} onClick={() => setParams(route, { page: String(page + 1) })}>Older</button>
              </nav>}
            </>
          )}
      </Loaded>
    </section>
  );
}

function readFilters(p: URLSearchParams): Partial<Record<(typeof FILTERS)[number], string>> {
  const out: Partial<Record<(typeof FILTERS)[number], string>> = {};
  for (const f of FILTERS) {
    const v = p.get(f);
    if (v) out[f] = v;
  }
  return out;
}

export function LogsTable({ rows, params }: { rows: LogRow[]; params: URLSearchParams }) {
  return (
    <div className="table-wrap">
      <table className="logs-table">
        <caption className="visually-hidden">Requests, newest first</caption>
        <thead>
          <tr><th scope="col">Time</th><th scope="col">Status</th><th scope="col">Model</th><th scope="col">Provider</th><th scope="col">Key</th><th scope="col">Trace</th><th scope="col">Metadata</th><th scope="col">Cost</th><th scope="col">Latency</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-log-id={r.id}>
              <td><a href={linkTo(['logs', r.id], params)}>{formatTime(r.created_at)}</a></td>
              <td><span className={`status status-${Math.floor(r.status / 100)}xx`}>{r.status}</span>{r.retries > 0 && <span className="badge" title="Retries and fallbacks">+{r.retries}</span>}</td>
              <td className="nowrap">{r.model ?? '—'}</td>
              <td>{r.provider ?? '—'}</td>
              <td className="mono nowrap" title={r.key_id}>{r.key_id ? `${r.key_id.slice(0, 8)}…` : '—'}</td>
              <td className="mono"><a href={linkTo(['traces', r.trace_id], params)} title={r.trace_id}><span className="visually-hidden">Trace </span>{r.trace_id.slice(0, 12)}</a></td>
              <td>{r.metadata && Object.keys(r.metadata).length ? Object.entries(r.metadata).map(([k, v]) => `${k}=${v}`).join(', ') : '—'}</td>
              <td>{formatUsd(r.cost_usd)}</td>
              <td>{formatMs(r.latency_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
