import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo } from '../../app/route.js';
import { canEdit } from '../../app/nav.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

export function Prompts({ route, session }: ScreenProps) {
  const ws = route.params.get('ws') ?? undefined;
  const list = useAsync(() => api.prompts(ws), [ws]);
  return (
    <section>
      <div className="screen-head">
        <h1 tabIndex={-1}>Prompts</h1>
        {canEdit(session) && <a className="button-link primary" href={linkTo(['prompts', 'new'], route.params)}>New prompt</a>}
      </div>
      <Loaded state={list} what="prompts">
        {(res) => rows(res).length === 0
          ? <Empty><p>No prompts yet. A prompt keeps a template, its model and parameters, with versions and labels.</p></Empty>
          : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Prompts</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Model</th><th scope="col">Updated</th></tr></thead>
                <tbody>
                  {rows(res).map((p) => (
                    <tr key={p.id}>
                      <td><a href={linkTo(['prompts', p.id], route.params)}>{p.name}</a></td>
                      <td className="mono">{p.slug ?? p.id}</td>
                      <td>{p.model ?? '—'}</td>
                      <td>{formatTime(p.last_updated_at ?? p.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
      <Partials workspace={ws} editable={canEdit(session)} />
    </section>
  );
}

function Partials({ workspace, editable }: { workspace?: string; editable: boolean }) {
  const list = useAsync(() => api.partials(workspace), [workspace]);
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !text) return setError('A partial needs a name and its text.');
    try {
      await api.createPartial({ name: name.trim(), string: text, workspace_id: workspace });
      setName('');
      setText('');
      setError(undefined);
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <article className="card" aria-labelledby="partials-title">
      <h2 id="partials-title">Partials</h2>
      <p className="help">Reusable template pieces, included in a prompt with <code>{'{{>slug}}'}</code>.</p>
      <Loaded state={list} what="partials">
        {(res) => rows(res).length === 0
          ? <p className="state state-empty">No partials yet.</p>
          : <ul className="plain">{rows(res).map((p) => <li key={p.id}><code>{`{{>${p.slug}}}`}</code> {p.name}</li>)}</ul>}
      </Loaded>
      {editable && (
        <form className="form-grid" onSubmit={create}>
          <label>Partial name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
          <label>Text<textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} /></label>
          {error && <p className="field-error" role="alert">{error}</p>}
          <button type="submit">Add partial</button>
        </form>
      )}
    </article>
  );
}
