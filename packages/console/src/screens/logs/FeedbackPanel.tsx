import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';

/** Feedback on a request's trace: what was given, and a form to add a score (-10 to 10). */
export function FeedbackPanel({ traceId, canWrite }: { traceId: string; canWrite: boolean }) {
  const list = useAsync(() => api.feedback(traceId), [traceId]);
  const [value, setValue] = useState('1');
  const [error, setError] = useState<string>();
  const send = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await api.sendFeedback({ trace_id: traceId, value: Number(value), weight: 1 });
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <article className="card">
      <h2>Feedback</h2>
      <Loaded state={list} what="feedback">
        {(res) => rows(res).length === 0
          ? <p className="state state-empty">No feedback on this trace yet.</p>
          : <ul className="feedback">{rows(res).map((f, i) => <li key={f.id ?? i}>Score {f.value}{f.weight !== undefined ? ` (weight ${f.weight})` : ''} · {formatTime(f.created_at)}</li>)}</ul>}
      </Loaded>
      {canWrite && (
        <form className="inline-form" onSubmit={send}>
          <label>Score<input type="number" min={-10} max={10} value={value} onChange={(e) => setValue(e.target.value)} /></label>
          <button type="submit">Add feedback</button>
        </form>
      )}
      {error && <p className="field-error" role="alert">{error}</p>}
    </article>
  );
}
