import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, rows } from '../../api/client.js';
import type { ConfigVersion } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo, navigate } from '../../app/route.js';
import { canEdit } from '../../app/nav.js';
import { Loaded } from '../../components/States.js';
import { formatTime } from '../../components/format.js';
import type { ScreenProps } from '../../app/Screen.js';
import { checkConfigText } from './check.js';
import { configText, diffLines } from './diff.js';

const STARTER = JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ provider: '@openai-prod' }, { provider: '@anthropic-prod' }] }, null, 2);

export function ConfigEditor({ route, session, slug }: ScreenProps & { slug?: string }) {
  const state = useAsync(async () => (slug ? api.config(slug) : undefined), [slug]);
  return (
    <section className="config-editor">
      <div className="screen-head">
        <h1 tabIndex={-1}>{slug ? `Config ${slug}` : 'New config'}</h1>
        <a className="button-link" href={linkTo(['configs'], route.params)}>All configs</a>
      </div>
      <Loaded state={state} what="the config">
        {(detail) => (
          <Editor key={slug ?? 'new'} slug={slug} initialName={detail?.name ?? ''} initialText={detail ? configText(detail.config) : STARTER}
            readOnly={!canEdit(session)} params={route.params} workspace={route.params.get('ws') ?? undefined} />
        )}
      </Loaded>
    </section>
  );
}

function Editor({ slug, initialName, initialText, readOnly, params, workspace }: {
  slug?: string; initialName: string; initialText: string; readOnly: boolean; params: URLSearchParams; workspace?: string;
}) {
  const [name, setName] = useState(initialName);
  const [text, setText] = useState(initialText);
  const [saved, setSaved] = useState(initialText);
  const [status, setStatus] = useState<{ kind: 'error' | 'ok'; message: string; path?: string } | null>(null);
  const [versionsTick, setVersionsTick] = useState(0);
  // Checked as the user types, with the same schema the gateway applies.
  const check = useMemo(() => checkConfigText(text), [text]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!check.ok) {
      setStatus({ kind: 'error', message: `Not saved. ${check.message}`, path: check.path });
      return;
    }
    if (!name.trim()) return setStatus({ kind: 'error', message: 'Not saved. Give the config a name.' });
    try {
      if (slug) {
        await api.updateConfig(slug, { name: name.trim(), config: check.value });
        setSaved(text);
        setVersionsTick((t) => t + 1);
        setStatus({ kind: 'ok', message: 'Saved as a new version.' });
      } else {
        const created = await api.createConfig({ name: name.trim(), config: check.value, workspace_id: workspace });
        navigate(linkTo(['configs', created.slug ?? created.id], params));
      }
    } catch (err) {
      const e2 = err as Error & { param?: string | null };
      setStatus({ kind: 'error', message: `Not saved. ${e2.message}`, path: e2.param ?? undefined });
    }
  };

  return (
    <div className="editor-layout">
      <form className="card" onSubmit={save} aria-labelledby="editor-title">
        <h2 id="editor-title">Routing config</h2>
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} readOnly={readOnly} /></label>
        <label htmlFor="config-json">Config JSON</label>
        <textarea id="config-json" className="code" spellCheck={false} rows={18} value={text} readOnly={readOnly}
          onChange={(e) => { setText(e.target.value); setStatus(null); }} aria-describedby="config-check" aria-invalid={!check.ok} />
        <p id="config-check" className={check.ok ? 'check-ok' : 'check-error'} aria-live="polite" data-testid="config-check">
          {check.ok ? 'Valid: the gateway accepts this config.' : <>Invalid{check.path ? <> at <code>{check.path}</code></> : null}: {check.message}</>}
        </p>
        {status && (
          <p className={status.kind === 'error' ? 'field-error' : 'notice'} role={status.kind === 'error' ? 'alert' : 'status'} data-testid="save-status">
            {status.message}{status.path && !status.message.includes(status.path) ? ` (at ${status.path})` : ''}
          </p>
        )}
        {!readOnly && <button type="submit">{slug ? 'Save new version' : 'Create config'}</button>}
      </form>
      {slug && <Versions slug={slug} current={saved} tick={versionsTick} />}
    </div>
  );
}

function Versions({ slug, current, tick }: { slug: string; current: string; tick: number }) {
  const list = useAsync(() => api.configVersions(slug), [slug, tick]);
  const [picked, setPicked] = useState<ConfigVersion | null>(null);
  useEffect(() => setPicked(null), [tick]);
  return (
    <article className="card" aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      <Loaded state={list} what="versions">
        {(res) => {
          const versions = rows(res);
          if (versions.length === 0) return <p className="state state-empty">No earlier versions.</p>;
          return (
            <>
              <ul className="versions">
                {versions.map((v, i) => (
                  <li key={v.id}>
                    <button type="button" className="button-secondary" aria-pressed={picked?.id === v.id} onClick={() => setPicked(v)}>
                      Version {v.version ?? versions.length - i} · {formatTime(v.created_at)}
                    </button>
                  </li>
                ))}
              </ul>
              {picked && <Diff before={configText(picked.config)} after={current} />}
            </>
          );
        }}
      </Loaded>
    </article>
  );
}

function Diff({ before, after }: { before: string; after: string }) {
  const lines = diffLines(before, after);
  const changed = lines.some((l) => l.op !== ' ');
  return (
    <>
      <h3>Changes from this version to the saved config</h3>
      {!changed ? <p>Identical.</p> : (
        <pre className="diff" tabIndex={0} aria-label="Differences">
          {lines.map((l, i) => <span key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same'}>{l.op} {l.text}{'\n'}</span>)}
        </pre>
      )}
    </>
  );
}
