import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import type { ApiKey, CreatedApiKey, NewApiKey } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { Empty, Loaded } from '../../components/States.js';
import { CopyButton } from '../../components/CopyButton.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

/** Scopes a gateway key can hold (Portkey's names); completions.write lets it call models. */
const SCOPES = ['completions.write', 'logs.view', 'logs.list', 'logs.export', 'configs.read', 'configs.list', 'virtual_keys.list', 'prompts.render'];

export function Keys({ route }: ScreenProps) {
  const ws = route.params.get('ws') ?? undefined;
  const list = useAsync(() => api.apiKeys(ws), [ws]);
  const [created, setCreated] = useState<(CreatedApiKey & { name: string }) | null>(null);

  return (
    <section>
      <div className="screen-head"><h1 tabIndex={-1}>API keys</h1></div>
      {created && (
        <div className="card secret-once" role="status">
          <h2>Key "{created.name}" created</h2>
          <p>Copy it now: it is shown this once and can't be read back.</p>
          <p><code className="secret" data-testid="new-key">{created.key}</code> <CopyButton text={created.key} /></p>
          <button type="button" className="button-secondary" onClick={() => setCreated(null)}>I have copied it</button>
        </div>
      )}
      <CreateKeyForm workspace={ws} onCreated={(k) => { setCreated(k); list.reload(); }} />
      <Loaded state={list} what="API keys">
        {(res) => rows(res).length === 0
          ? <Empty><p>No API keys yet. Create one above to call the gateway.</p></Empty>
          : <KeyTable keys={rows(res)} onChanged={list.reload} />}
      </Loaded>
    </section>
  );
}

function CreateKeyForm({ workspace, onCreated }: { workspace?: string; onCreated: (k: CreatedApiKey & { name: string }) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['completions.write']);
  const [expires, setExpires] = useState('');
  const [rpm, setRpm] = useState('');
  const [budget, setBudget] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!name.trim()) return setError('Give the key a name, e.g. the service that will use it.');
    if (scopes.length === 0) return setError('Pick at least one scope.');
    const body: NewApiKey = { name: name.trim(), type: workspace ? 'workspace' : 'organisation', scopes, workspace_id: workspace };
    if (expires) body.expires_at = new Date(`${expires}T23:59:59Z`).toISOString();
    if (rpm) body.rate_limits = [{ type: 'requests', unit: 'rpm', value: Number(rpm) }];
    if (budget) body.usage_limits = { type: 'cost', credit_limit: Number(budget), periodic_reset: 'monthly' };
    setBusy(true);
    setError(undefined);
    try {
      const k = await api.createApiKey(body);
      onCreated({ ...k, name: body.name });
      setName('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form-grid" onSubmit={submit} aria-labelledby="create-key-title">
      <h2 id="create-key-title">Create a key{workspace ? ` in ${workspace}` : ' for the organisation'}</h2>
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <label key={s} className="check">
            <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
            {s}
          </label>
        ))}
      </fieldset>
      <label>Expires on (optional)<input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} /></label>
      <label>Requests per minute (optional)<input type="number" min={1} value={rpm} onChange={(e) => setRpm(e.target.value)} /></label>
      <label>Monthly budget in USD (optional)<input type="number" min={0} step="0.01" value={budget} onChange={(e) => setBudget(e.target.value)} /></label>
      {error && <p className="field-error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
    </form>
  );
}

/** The first few scopes and a count of the rest: bootstrap keys hold over a hundred. */
function scopeSummary(scopes: string[]): string {
  if (scopes.length <= 4) return scopes.join(', ') || '—';
  return `${scopes.slice(0, 3).join(', ')} and ${scopes.length - 3} more`;
}

function KeyTable({ keys, onChanged }: { keys: ApiKey[]; onChanged: () => void }) {
  const [error, setError] = useState<string>();
  const revoke = async (k: ApiKey) => {
    if (!window.confirm(`Revoke "${k.name}"? Requests with it are refused from now on.`)) return;
    setError(undefined);
    try {
      await api.revokeApiKey(k.id);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <>
      {error && <p className="field-error" role="alert">{error}</p>}
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">API keys</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Scopes</th><th scope="col">Limits</th><th scope="col">Expires</th><th scope="col">Created</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id} data-key-name={k.name}>
                <td>{k.name}</td>
                <td className="mono nowrap" title={k.id}>{k.id.slice(0, 8)}…</td>
                <td>{scopeSummary(k.scopes)}</td>
                <td>{[
                  ...(k.rate_limits ?? []).map((r) => `${r.value} ${r.type}/${r.unit.replace(/^r/, '')}`),
                  k.usage_limits?.credit_limit !== undefined ? `$${k.usage_limits.credit_limit} ${k.usage_limits.periodic_reset ?? ''}`.trim() : '',
                ].filter(Boolean).join(', ') || '—'}</td>
                <td>{k.expires_at ? formatTime(k.expires_at) : 'never'}</td>
                <td>{formatTime(k.created_at)}</td>
                <td><button type="button" className="button-danger" onClick={() => revoke(k)} aria-label={`Revoke ${k.name}`}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
