import { useMemo, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, rows } from '../../api/client.js';
import type { PromptDetail } from '../../api/types.js';
import { readChatStream, renderTemplate, variablesOf, type ChatMessage } from './template.js';

/**
 * Runs the prompt through the gateway, streaming: the control plane renders it (or, without a render
 * route, the console does with the saved partials), then forwards the chat request to the gateway.
 */
export function Playground({ prompt }: { prompt: PromptDetail }) {
  const variables = useMemo(() => prompt.variables ?? variablesOf(prompt.string), [prompt]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [gatewayKey, setGatewayKey] = useState('');
  const [output, setOutput] = useState('');
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string>();
  const abort = useRef<AbortController | null>(null);

  const run = async (e: FormEvent) => {
    e.preventDefault();
    if (!gatewayKey) return setError('Paste a gateway API key with the completions scope: the playground calls the gateway with it.');
    setError(undefined);
    setOutput('');
    setRunning(true);
    const ctl = new AbortController();
    abort.current = ctl;
    try {
      const res = await runThroughGateway(prompt, gatewayKey, values, ctl.signal);
      if (!res.body) throw new Error('The gateway answered without a body.');
      await readChatStream(res.body, (delta) => setOutput((o) => o + delta));
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError((err as Error).message);
    } finally {
      setRunning(false);
      abort.current = null;
    }
  };

  return (
    <form className="card playground" onSubmit={run} aria-labelledby="playground-title">
      <h2 id="playground-title">Playground</h2>
      {variables.map((v) => (
        <label key={v}>{v}<input value={values[v] ?? ''} onChange={(e) => setValues({ ...values, [v]: e.target.value })} /></label>
      ))}
      <label>Gateway API key<input type="password" autoComplete="off" value={gatewayKey} onChange={(e) => setGatewayKey(e.target.value)} /></label>
      <div className="form-row">
        <button type="submit" disabled={running}>{running ? 'Running…' : 'Run'}</button>
        {running && <button type="button" className="button-secondary" onClick={() => abort.current?.abort()}>Stop</button>}
      </div>
      {error && <p className="field-error" role="alert">{error}</p>}
      <output className="stream-output" aria-live="polite" aria-busy={running} data-testid="playground-output">{output}</output>
    </form>
  );
}

/**
 * The gateway runs the saved prompt itself (its versions, labels and partials) when it has it; a gateway
 * that does not know the prompt (not synced yet, or one without prompt routes) gets the prompt rendered
 * here and sent as a chat request.
 */
async function runThroughGateway(prompt: PromptDetail, gatewayKey: string, variables: Record<string, string>, signal: AbortSignal): Promise<Response> {
  try {
    return await api.playgroundPrompt(gatewayKey, prompt.id, variables, signal);
  } catch (e) {
    if (!(e instanceof ApiError) || ![400, 404, 405, 501].includes(e.status)) throw e;
  }
  const messages = await render(prompt, variables);
  return api.playgroundStream(gatewayKey, prompt.virtual_key || undefined, { ...prompt.parameters, model: prompt.model, messages }, signal);
}

async function render(prompt: PromptDetail, variables: Record<string, string>): Promise<ChatMessage[]> {
  try {
    const res = await api.renderPrompt(prompt.id, variables);
    const messages = (res.data as { messages?: ChatMessage[] }).messages;
    if (Array.isArray(messages)) return messages;
  } catch (e) {
    if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405 && e.status !== 501)) throw e;
  }
  const partials = Object.fromEntries(rows(await api.partials()).map((p) => [p.slug, p.string ?? '']));
  return renderTemplate(prompt.string, variables, partials);
}
