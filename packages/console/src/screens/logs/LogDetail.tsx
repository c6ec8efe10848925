import type { LogDocument, HookResult } from '@portico/contract';
import { api } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo } from '../../app/route.js';
import { Loaded } from '../../components/States.js';
import { JsonView } from '../../components/JsonView.js';
import { formatCount, formatMs, formatTime, formatUsd } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';
import { FeedbackPanel } from './FeedbackPanel.js';

export function LogDetail({ route, id }: ScreenProps & { id: string }) {
  const state = useAsync((signal) => api.log(id, signal), [id]);
  return (
    <section className="log-detail">
      <div className="screen-head">
        <h1 tabIndex={-1}>Request {id}</h1>
        <a className="button-link" href={linkTo(['logs'], route.params)}>Back to logs</a>
      </div>
      <Loaded state={state} what="the log document">
        {(doc) => (
          <div className="detail-grid">
            <Summary doc={doc} params={route.params} />
            <Attempts doc={doc} />
            <Guardrails doc={doc} />
            <FeedbackPanel traceId={doc.trace_id} canWrite />
            <article className="card wide"><h2>Request body</h2><JsonView value={doc.request.body} truncated={doc.request.body_truncated} label="Request body" /></article>
            <article className="card wide"><h2>Response body</h2><JsonView value={doc.response.body} truncated={doc.response.body_truncated} label="Response body" /></article>
          </div>
        )}
      </Loaded>
    </section>
  );
}

function Summary({ doc, params }: { doc: LogDocument; params: URLSearchParams }) {
  const rows: Array<[string, React.ReactNode]> = [
    ['Time', formatTime(doc.created_at)],
    ['Status', <span className={`status status-${Math.floor(doc.response.status / 100)}xx`}>{doc.response.status}</span>],
    ['Endpoint', `${doc.request.method} ${doc.request.path}`],
    ['Model', doc.model ?? '—'],
    ['Provider', doc.provider ?? '—'],
    ['Trace', <a href={linkTo(['traces', doc.trace_id], params)}>{doc.trace_id}</a>],
    ['Span', doc.span?.name ?? doc.span?.id ?? '—'],
    ['Key', doc.principal?.key_id ?? '—'],
    ['Workspace', doc.principal?.workspace ?? '—'],
    ['Latency', formatMs(doc.timings.total_ms)],
    ['First byte', formatMs(doc.timings.first_byte_ms)],
    ['Tokens', doc.usage ? `${formatCount(doc.usage.prompt_tokens)} in · ${formatCount(doc.usage.completion_tokens)} out` : '—'],
    ['Cost', doc.cost ? `${formatUsd(doc.cost.usd)}${doc.cost.priced ? '' : ' (model not priced)'}` : '—'],
    ['Cache', doc.cache_status],
    ['Streamed', doc.request.stream ? `yes${doc.stream_outcome ? ` (${doc.stream_outcome.replace('_', ' ')})` : ''}` : 'no'],
    ['Metadata', doc.metadata && Object.keys(doc.metadata).length ? Object.entries(doc.metadata).map(([k, v]) => `${k}=${v}`).join(', ') : '—'],
  ];
  return (
    <article className="card">
      <h2>Summary</h2>
      <dl className="facts">
        {rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
      {doc.error && <p className="field-error" role="note">{doc.error.type}: {doc.error.message}</p>}
    </article>
  );
}

function Attempts({ doc }: { doc: LogDocument }) {
  const attempts = doc.attempts ?? [];
  return (
    <article className="card">
      <h2>Attempts</h2>
      {doc.config_path && <p>Target used: <code>{doc.config_path}</code></p>}
      {attempts.length === 0
        ? <p className="state state-empty">One attempt, no retries or fallbacks.</p>
        : (
          <ol className="attempts">
            {attempts.map((a, i) => (
              <li key={i} className={a.status >= 400 ? 'attempt-failed' : 'attempt-ok'}>
                <code>{a.target}</code> · {a.provider} · {a.status} · {formatMs(a.ms)}{a.error ? ` · ${a.error}` : ''}
              </li>
            ))}
          </ol>
        )}
    </article>
  );
}

function Guardrails({ doc }: { doc: LogDocument }) {
  const hooks: Array<[string, HookResult]> = [
    ...(doc.hook_results?.before_request_hooks ?? []).map((h) => ['Input', h] as [string, HookResult]),
    ...(doc.hook_results?.after_request_hooks ?? []).map((h) => ['Output', h] as [string, HookResult]),
  ];
  return (
    <article className="card">
      <h2>Guardrail verdicts</h2>
      {hooks.length === 0
        ? <p className="state state-empty">No guardrails ran on this request.</p>
        : (
          <ul className="verdicts">
            {hooks.map(([stage, h]) => (
              <li key={`${stage}-${h.id}`}>
                <strong>{stage} · {h.id}</strong>: {h.verdict ? 'passed' : h.deny ? 'failed, request denied' : 'failed'}
                <ul>{h.checks.map((c) => <li key={c.id}>{c.id}: {c.verdict ? 'pass' : 'fail'}{c.error ? ` (${c.error})` : ''}</li>)}</ul>
              </li>
            ))}
          </ul>
        )}
    </article>
  );
}
