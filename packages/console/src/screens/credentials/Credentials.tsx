import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import type { Credential } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

const PROVIDERS = ['openai', 'anthropic', 'azure-openai', 'bedrock', 'vertex-ai', 'google', 'mistral-ai', 'groq', 'together-ai', 'cohere'];

/** Provider credentials (virtual keys). Secrets go in and are never shown again: rotating replaces one. */
export function Credentials({ route }: ScreenProps) {
  const ws = route.params.get('ws') ?? undefined;
  const list = useAsync(() => api.credentials(ws), [ws]);
  const [name, setName] = useState('');
  const [provider, setProvider] = useState('openai');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim() || !secret) return setError('A name and the provider\'s API key are both needed.');
    setError(undefined);
    try {
      await api.createCredential({ name: name.trim(), provider, key: secret, workspace_id: ws });
      setName('');
      setSecret('');
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section>
      <div className="screen-head"><h1 tabIndex={-1}>Provider credentials</h1></div>
      <form className="card form-grid" onSubmit={create} aria-labelledby="new-cred">
        <h2 id="new-cred">Add a credential</h2>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Provider
          <select value={provider} onChange={(e) => setProvider(e.target.value)}>{PROVIDERS.map((p) => <option key={p}>{p}</option>)}</select>
        </label>
        <label>Provider API key<input type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} /></label>
        <p className="help">Stored encrypted and sent only to the gateways; it is never shown here again.</p>
        {error && <p className="field-error" role="alert">{error}</p>}
        <button type="submit">Add credential</button>
      </form>
      <Loaded state={list} what="credentials">
        {(res) => rows(res).length === 0
          ? <Empty><p>No provider credentials yet. Add one to route requests with <code>@slug</code> or a config target.</p></Empty>
          : <CredentialTable items={rows(res)} onChanged={list.reload} />}
      </Loaded>
    </section>
  );
}

function CredentialTable({ items, onChanged }: { items: Credential[]; onChanged: () => void }) {
  const [rotating, setRotating] = useState<string | null>(null);
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const rotate = async (e: FormEvent, slug: string) => {
    e.preventDefault();
    if (!secret) return setError('Paste the new provider key.');
    try {
      await api.rotateCredential(slug, secret);
      setRotating(null);
      setSecret('');
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="table-wrap">
      {error && <p className="field-error" role="alert">{error}</p>}
      <table>
        <caption className="visually-hidden">Provider credentials</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Slug</th><th scope="col">Provider</th><th scope="col">Created</th><th scope="col">Secret</th></tr></thead>
        <tbody>
          {items.map((c) => (
            <tr key={c.slug}>
              <td>{c.name}</td>
              <td className="mono">{c.slug}</td>
              <td>{c.provider}</td>
              <td>{formatTime(c.created_at)}</td>
              <td>
                {rotating === c.slug
                  ? (
                    <form className="inline-form" onSubmit={(e) => rotate(e, c.slug)}>
                      <label>New key for {c.name}<input type="password" autoComplete="off" value={secret} onChange={(e) => setSecret(e.target.value)} autoFocus /></label>
                      <button type="submit">Save</button>
                      <button type="button" className="button-secondary" onClick={() => setRotating(null)}>Cancel</button>
                    </form>
                  )
                  : <button type="button" className="button-secondary" onClick={() => { setRotating(c.slug); setError(undefined); }} aria-label={`Rotate ${c.name}`}>Rotate</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
