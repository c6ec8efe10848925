import Mustache from 'mustache';
import { GatewayError, badRequest } from '../errors.js';
import type { Prompt, PromptVersion } from '@portico/contract';

/**
 * Saved prompts as Portkey renders them: a version (by number, label, `latest` or the default), its
 * template (Portkey's `string`: a JSON array of messages whose texts hold Mustache variables and
 * {{>partials}}), the variables filled in, and the version's hyperparameters under the request's.
 * Values are inserted as they are: no HTML escaping, and never into JSON text, so a quote in a
 * variable cannot change the messages' structure.
 */

/** Partials included from partials, at most this deep and this many per render. */
const PARTIAL_DEPTH_MAX = 8;
const PARTIALS_MAX = 64;
const noEscape = (s: string) => s;

export interface PromptRef {
  id: string;
  /** A version number, a label, or "latest"; undefined: the default version. */
  selector?: string;
}

/** `id`, `id@12`, `id@production`, `id@latest` (URL-decoded). */
export function parsePromptRef(raw: string): PromptRef {
  const at = raw.lastIndexOf('@');
  if (at <= 0) return { id: raw };
  return { id: raw.slice(0, at), selector: raw.slice(at + 1) || undefined };
}

export interface SelectedVersion {
  version: number | null;
  template: unknown;
  parameters: Record<string, unknown>;
  model?: string;
  virtualKey?: string;
}

export function selectVersion(prompt: Prompt, ref: PromptRef): SelectedVersion {
  const versions = prompt.versions ?? [];
  if (versions.length === 0) {
    // The entities file's form: one template, no versions.
    if (ref.selector && ref.selector !== 'latest') throw notFound(`Prompt "${ref.id}" has no version "${ref.selector}"; it has a single template.`);
    return fromTemplate(prompt.template);
  }
  let v: PromptVersion | undefined;
  if (ref.selector === undefined) v = versions.find((x) => x.version === prompt.default_version) ?? latest(versions);
  else if (ref.selector === 'latest') v = latest(versions);
  else if (/^\d+$/.test(ref.selector)) v = versions.find((x) => x.version === Number(ref.selector));
  else {
    const n = prompt.labels?.[ref.selector];
    v = n === undefined ? undefined : versions.find((x) => x.version === n);
  }
  if (!v) throw notFound(`Prompt "${ref.id}" has no version or label "${ref.selector}"; use a version number, a label it has (${Object.keys(prompt.labels ?? {}).join(', ') || 'none'}) or "latest".`);
  return { version: v.version, template: parseTemplateString(v.string), parameters: v.parameters ?? {}, model: v.model, virtualKey: v.virtual_key };
}

function latest(versions: PromptVersion[]): PromptVersion {
  return versions.reduce((a, b) => (b.version > a.version ? b : a));
}

function fromTemplate(template: unknown): SelectedVersion {
  if (typeof template === 'string') return { version: null, template: parseTemplateString(template), parameters: {} };
  if (template && typeof template === 'object' && !Array.isArray(template)) {
    const { messages, model, virtual_key, ...parameters } = template as Record<string, unknown>;
    return { version: null, template: messages, parameters, model: typeof model === 'string' ? model : undefined, virtualKey: typeof virtual_key === 'string' ? virtual_key : undefined };
  }
  return { version: null, template, parameters: {} };
}

/** Portkey's template string: a JSON array of messages; any other text is one user message. */
function parseTemplateString(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON after all: one message of text
    }
  }
  return [{ role: 'user', content: text }];
}

function notFound(message: string): GatewayError {
  return new GatewayError({ status: 404, type: 'invalid_request_error', code: 'prompt_not_found', message });
}

/** Every partial a set of templates includes, directly or through other partials, as name → text. */
export async function collectPartials(texts: string[], load: (name: string) => Promise<string | undefined>): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  let frontier = texts;
  for (let depth = 0; frontier.length > 0; depth++) {
    if (depth > PARTIAL_DEPTH_MAX) throw badRequest(`Prompt partials include each other more than ${PARTIAL_DEPTH_MAX} levels deep; check for a partial that includes itself.`, 'variables', 'prompt_partial_loop');
    const next: string[] = [];
    for (const text of frontier) {
      for (const name of partialNames(text)) {
        if (name in found) continue;
        if (Object.keys(found).length >= PARTIALS_MAX) throw badRequest(`A prompt may include at most ${PARTIALS_MAX} partials.`, 'variables', 'too_many_partials');
        const body = await load(name);
        if (body === undefined) throw badRequest(`The prompt includes partial "${name}", which does not exist; create it under /v1/prompts/partials or fix {{>${name}}}.`, 'prompt', 'prompt_partial_not_found');
        found[name] = body;
        next.push(body);
      }
    }
    frontier = next;
  }
  return found;
}

function partialNames(text: string): string[] {
  const out: string[] = [];
  let tokens: unknown[];
  try {
    tokens = Mustache.parse(text);
  } catch (e) {
    throw badRequest(`The prompt template is not valid Mustache: ${(e as Error).message}`, 'prompt', 'invalid_prompt_template');
  }
  const walk = (list: unknown[]) => {
    for (const t of list as Array<[string, string, number, number, unknown[]?]>) {
      if (t[0] === '>') out.push(t[1]);
      else if (Array.isArray(t[4])) walk(t[4]);
    }
  };
  walk(tokens);
  return out;
}

/** Every string of a template (message texts, content parts), for partial discovery. */
export function templateStrings(template: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(template);
  return out;
}

/** The template with every string rendered: variables and partials filled in. */
export function renderTemplate(template: unknown, variables: Record<string, unknown>, partials: Record<string, string>): unknown {
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes('{{') ? Mustache.render(v, variables, partials, { escape: noEscape }) : v;
    if (Array.isArray(v)) return v.map(render);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = render(x);
      return o;
    }
    return v;
  };
  return render(template);
}
