import { useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client.js';
import type { PromptDetail } from '../../api/types.js';
import { useAsync } from '../../app/useAsync.js';
import { linkTo, navigate } from '../../app/route.js';
import { canEdit } from '../../app/nav.js';
import { Loaded } from '../../components/States.js';
import type { ScreenProps } from '../../app/Screen.js';
import { partialsOf, variablesOf } from './template.js';
import { PromptVersions } from './PromptVersions.js';
import { Playground } from './Playground.js';

const STARTER = JSON.stringify([
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Write a haiku about {{topic}}.' },
], null, 2);

export function PromptEditor({ route, session, id }: ScreenProps & { id?: string; tab?: string }) {
  const [tick, setTick] = useState(0);
  const state = useAsync(async () => (id ? api.prompt(id) : undefined), [id, tick]);
  return (
    <section className="prompt-editor">
      <div className="screen-head">
        <h1 tabIndex={-1}>{id ? 'Prompt' : 'New prompt'}</h1>
        <a className="button-link" href={linkTo(['prompts'], route.params)}>All prompts</a>
      </div>
      <Loaded state={state} what="the prompt">
        {(p) => (
          <div className="editor-layout">
            <TemplateForm key={`${id}-${tick}`} prompt={p} editable={canEdit(session)} params={route.params}
              workspace={route.params.get('ws') ?? undefined} onSaved={() => setTick((t) => t + 1)} />
            {p && <PromptVersions promptId={p.id} tick={tick} editable={canEdit(session)} onChanged={() => setTick((t) => t + 1)} />}
            {p && <Playground prompt={p} />}
          </div>
        )}
      </Loaded>
    </section>
  );
}

function TemplateForm({ prompt, editable, params, workspace, onSaved }: {
  prompt?: PromptDetail; editable: boolean; params: URLSearchParams; workspace?: string; onSaved: () => void;
}) {
  const [name, setName] = useState(prompt?.name ?? '');
  const [template, setTemplate] = useState(prompt?.string ?? STARTER);
  const [model, setModel] = useState(prompt?.model ?? 'gpt-4o-mini');
  const [provider, setProvider] = useState(prompt?.virtual_key ?? '');
  const [paramsText, setParamsText] = useState(JSON.stringify(prompt?.parameters ?? { temperature: 0.7 }, null, 2));
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const variables = useMemo(() => variablesOf(template), [template]);
  const partials = useMemo(() => partialsOf(template), [template]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setNotice(undefined);
    let parameters: Record<string, unknown>;
    try {
      parameters = JSON.parse(paramsText) as Record<string, unknown>;
    } catch (err) {
      return setError(`Parameters are not valid JSON: ${(err as Error).message}`);
    }
    setError(undefined);
    try {
      if (prompt) {
        await api.updatePrompt(prompt.id, { string: template, parameters, model, virtual_key: provider || undefined });
        setNotice('Saved as a new version.');
        onSaved();
      } else {
        if (!name.trim()) return setError('Give the prompt a name.');
        const created = await api.createPrompt({ name: name.trim(), string: template, parameters, model, virtual_key: provider || undefined, workspace_id: workspace });
        navigate(linkTo(['prompts', created.id], params));
      }
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <form className="card" onSubmit={save} aria-labelledby="template-title">
      <h2 id="template-title">{prompt ? prompt.name : 'Template'}</h2>
      {!prompt && <label>Name<input value={name} onChange={(e) => setName(e.target.value)} /></label>}
      <label htmlFor="prompt-template">Template (JSON messages with {'{{variables}}'})</label>
      <textarea id="prompt-template" className="code" rows={10} spellCheck={false} value={template} readOnly={!editable} onChange={(e) => setTemplate(e.target.value)} />
      <p className="help">Variables: {variables.length ? variables.map((v) => <code key={v}>{v}</code>) : 'none'}{partials.length > 0 && <> · Partials: {partials.map((v) => <code key={v}>{v}</code>)}</>}</p>
      <div className="form-row">
        <label>Model<input value={model} onChange={(e) => setModel(e.target.value)} readOnly={!editable} /></label>
        <label>Provider credential (slug)<input value={provider} onChange={(e) => setProvider(e.target.value)} readOnly={!editable} /></label>
      </div>
      <label htmlFor="prompt-params">Parameters (JSON)</label>
      <textarea id="prompt-params" className="code" rows={4} spellCheck={false} value={paramsText} readOnly={!editable} onChange={(e) => setParamsText(e.target.value)} />
      {error && <p className="field-error" role="alert">{error}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      {editable && <button type="submit">{prompt ? 'Save new version' : 'Create prompt'}</button>}
    </form>
  );
}

