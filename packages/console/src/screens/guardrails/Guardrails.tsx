import { useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { Empty, Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';

/** Checks the gateway runs itself (Portkey's "default" plugin ids). */
const CHECKS = ['default.regexMatch', 'default.contains', 'default.wordCount', 'default.characterCount', 'default.jsonSchema', 'default.validUrls', 'default.webhook'];

export function Guardrails({ route }: ScreenProps) {
  const ws = route.params.get('ws') ?? undefined;
  const list = useAsync(() => api.guardrails(ws), [ws]);
  const [name, setName] = useState('');
  const [check, setCheck] = useState(CHECKS[0]);
  const [paramsText, setParamsText] = useState('{"rule": "\\\\d{3}-\\\\d{2}-\\\\d{4}", "not": true}');
  const [deny, setDeny] = useState(true);
  const [error, setError] = useState<string>();

  const create = async (e: FormEvent) => {
    e.preventDefault();
    let parameters: Record<string, unknown>;
    try {
      parameters = JSON.parse(paramsText) as Record<string, unknown>;
    } catch (err) {
      return setError(`Parameters are not valid JSON: ${(err as Error).message}`);
    }
    if (!name.trim()) return setError('Give the guardrail a name.');
    setError(undefined);
    try {
      await api.createGuardrail({ name: name.trim(), checks: [{ id: check, parameters }], actions: { deny, async: false }, workspace_id: ws });
      setName('');
      list.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <section>
      <div className="screen-head"><h1 tabIndex={-1}>Guardrails</h1></div>
      <form className="card form-grid" onSubmit={create} aria-labelledby="new-guardrail">
        <h2 id="new-guardrail">Add a guardrail</h2>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Check<select value={check} onChange={(e) => setCheck(e.target.value)}>{CHECKS.map((c) => <option key={c}>{c}</option>)}</select></label>
        <label>Parameters (JSON)<textarea className="code" rows={3} value={paramsText} onChange={(e) => setParamsText(e.target.value)} /></label>
        <label className="check"><input type="checkbox" checked={deny} onChange={(e) => setDeny(e.target.checked)} />Deny the request when the check fails</label>
        {error && <p className="field-error" role="alert">{error}</p>}
        <button type="submit">Add guardrail</button>
      </form>
      <Loaded state={list} what="guardrails">
        {(res) => rows(res).length === 0
          ? <Empty><p>No guardrails. Add one, then name it in a config's <code>input_guardrails</code> or <code>output_guardrails</code>.</p></Empty>
          : (
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">Guardrails</caption>
                <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Checks</th><th scope="col">Created</th></tr></thead>
                <tbody>
                  {rows(res).map((g) => (
                    <tr key={g.id}><td>{g.name}</td><td className="mono">{g.slug ?? g.id}</td><td>{(g.checks ?? []).map((c) => c.id).join(', ') || '—'}</td><td>{formatTime(g.created_at)}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </Loaded>
    </section>
  );
}
