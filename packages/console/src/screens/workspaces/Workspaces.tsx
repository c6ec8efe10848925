import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import type { Workspace } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { setParams } from '../../app/route.js';
import { Empty, Loaded } from '../../components/States.js';
import type { ScreenProps } from '../../app/Screen.js';

export function Workspaces({ route, session }: ScreenProps) {
  const list = useAsync(() => api.workspaces(), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const selected = route.params.get('ws');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError('Give the workspace a name.');
    setError(undefined);
    try {
      await api.createWorkspace({ name: name.trim() });
      setName('');
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section>
      <div className="screen-head"><h1 tabIndex={-1}>Workspaces and members</h1></div>
      {session.role === 'org_admin' && (
        <form className="card inline-form" onSubmit={create} aria-label="New workspace">
          <label>New workspace name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
          <button type="submit">Create workspace</button>
          {error && <p className="field-error" role="alert">{error}</p>}
        </form>
      )}
      <Loaded state={list} what="workspaces">
        {(res) => rows(res).length === 0 ? <Empty><p>No workspaces yet.</p></Empty> : (
          <ul className="workspace-list">
            {rows(res).map((w) => (
              <li key={w.id} className="card">
                <h2>{w.name}</h2>
                <p className="mono">{w.slug ?? w.id}</p>
                <button type="button" className="button-secondary" aria-pressed={selected === (w.slug ?? w.id)} onClick={() => setParams(route, { ws: w.slug ?? w.id })}>Work in this workspace</button>
                <Members workspace={w} />
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

function Members({ workspace }: { workspace: Workspace }) {
  const list = useAsync(() => api.members(workspace.id), [workspace.id]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('member');
  const [error, setError] = useState<string>();
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!email.includes('@')) return setError('Enter the person\'s email address.');
    setError(undefined);
    try {
      await api.addMember(workspace.id, email, role);
      setEmail('');
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      <h3>Members</h3>
      <Loaded state={list} what="members">
        {(res) => rows(res).length === 0 ? <p className="state state-empty">No members yet.</p> : (
          <ul className="plain">{rows(res).map((m) => <li key={m.id}>{m.email ?? [m.first_name, m.last_name].filter(Boolean).join(' ')} · {m.role}</li>)}</ul>
        )}
      </Loaded>
      <form className="inline-form" onSubmit={add} aria-label={`Invite to ${workspace.name}`}>
        <label>Email<input type="email" value={email} onChange={(e) => setEmail(e.target.value)} /></label>
        <label>Role<select value={role} onChange={(e) => setRole(e.target.value)}><option value="member">member</option><option value="admin">admin</option></select></label>
        <button type="submit">Invite</button>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
    </>
  );
}
