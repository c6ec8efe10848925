import { useState } from 'react';
import { api, rows } from '../../api/client.js';
import { useAsync } from '../../app/useAsync.js';
import { Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';

/** A prompt's versions: which is the default, which labels point where, and moving either. */
export function PromptVersions({ promptId, tick, editable, onChanged }: { promptId: string; tick: number; editable: boolean; onChanged: () => void }) {
  const state = useAsync(async () => {
    const [versions, labels] = await Promise.all([api.promptVersions(promptId), api.labels().catch(() => ({ data: [] }))]);
    return { versions: rows(versions), labels: rows(labels) };
  }, [promptId, tick]);
  const [error, setError] = useState<string>();
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <article className="card" aria-labelledby="prompt-versions-title">
      <h2 id="prompt-versions-title">Versions and labels</h2>
      {error && <p className="field-error" role="alert">{error}</p>}
      <Loaded state={state} what="versions">
        {({ versions, labels }) => versions.length === 0 ? <p className="state state-empty">No versions yet.</p> : (
          <ul className="versions">
            {versions.map((v) => (
              <li key={v.id}>
                <span>Version {v.prompt_version ?? '?'} · {formatTime(v.created_at)}{v.label ? <> · <span className="badge">{v.label}</span></> : null}</span>
                {editable && v.prompt_version !== undefined && (
                  <button type="button" className="button-secondary" onClick={() => act(() => api.makeDefaultVersion(promptId, v.prompt_version!))}>Make default</button>
                )}
                {editable && labels.length > 0 && (
                  <label className="inline">Label
                    <select defaultValue="" onChange={(e) => e.target.value && act(() => api.setVersionLabel(promptId, v.id, e.target.value))}>
                      <option value="">—</option>
                      {labels.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
                    </select>
                  </label>
                )}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
    </article>
  );
}
