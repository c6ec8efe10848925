import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';
import { scopeOf, type GatewayKey } from '../entities/types.js';
import { openAIChatApi } from '../inbound/openai-chat.js';
import { authenticate } from '../pipeline/authenticate.js';
import { parseJsonBody, readBody } from '../pipeline/body.js';
import type { GatewayDeps } from '../pipeline/deps.js';
import { handleInference } from '../pipeline/handle-inference.js';
import { parsePortkeyHeaders } from '../pipeline/headers.js';
import { collectPartials, parsePromptRef, renderTemplate, selectVersion, templateStrings } from '../prompts/render.js';
import { sendJson, toGatewayError } from './respond.js';

/** POST /v1/prompts/{id}/completions and /v1/prompts/{id}/render: the gateway's own prompt endpoints. */
const PROMPT_ROUTE = /^\/v1\/prompts\/([^/]+)\/(completions|render)$/;

/** Request fields that are not hyperparameters. promptID: the portkey-ai SDK leaves it in render's body. */
const CONTROL_FIELDS = new Set(['variables', 'stream', 'promptID', 'promptId', 'prompt_id', 'hyperparameters', 'messages']);

export function matchPromptRoute(path: string): { ref: string; action: 'completions' | 'render' } | undefined {
  const m = PROMPT_ROUTE.exec(path);
  if (!m) return undefined;
  let ref: string;
  try {
    ref = decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
  return { ref, action: m[2] as 'completions' | 'render' };
}

export async function handlePromptRoute(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, path: string, route: { ref: string; action: 'completions' | 'render' }): Promise<void> {
  let rendered: { body: Record<string, unknown>; promptId: string; virtualKey?: string };
  try {
    if (req.method !== 'POST') {
      req.resume();
      throw new GatewayError({ status: 405, code: 'method_not_allowed', message: `${path} accepts POST only.` });
    }
    const headers = parsePortkeyHeaders(req.headers);
    const key = deps.entities.authRequired() ? await authenticate(deps.entities, headers.gatewayKey, 'completions') : undefined;
    const request = parseJsonBody(await readBody(req, deps.maxBodyBytes), req.headers['content-type']);
    rendered = await renderPrompt(deps, route.ref, request, key);
  } catch (e) {
    const err = toGatewayError(e, 'prompt');
    if (err.status >= 500) deps.logger.error({ err: e }, 'prompt route failed');
    return sendJson(res, err.status, err.toBody(), err.status === 405 ? { allow: 'POST' } : {});
  }
  if (route.action === 'render') return sendJson(res, 200, { success: true, data: rendered.body });
  return handleInference(deps, req, res, openAIChatApi, '/v1/chat/completions', { ...rendered, clientPath: path });
}

/** The chat request a prompt makes with the request's variables and hyperparameters. */
export async function renderPrompt(deps: GatewayDeps, rawRef: string, request: Record<string, unknown>, key: GatewayKey | undefined): Promise<{ body: Record<string, unknown>; promptId: string; virtualKey?: string }> {
  const ref = parsePromptRef(rawRef);
  const variables = request.variables ?? {};
  if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) throw badRequest('variables must be an object of the template\'s variable names to values, e.g. {"topic": "fractals"}', 'variables');
  if (request.stream !== undefined && typeof request.stream !== 'boolean') throw badRequest('stream must be true or false', 'stream');
  const nested = request.hyperparameters;
  if (nested !== undefined && (typeof nested !== 'object' || nested === null || Array.isArray(nested))) throw badRequest('hyperparameters must be an object (or send them at the root of the body)', 'hyperparameters');
  if (request.messages !== undefined && !Array.isArray(request.messages)) throw badRequest('messages, when given, must be an array of messages to append to the prompt\'s', 'messages');

  const scope = scopeOf(key);
  const prompt = await deps.entities.getPrompt(ref.id, scope);
  // Another workspace's prompt is as absent as a missing one (the store checks; the entities file has one tenant).
  if (!prompt || (key?.workspace && prompt.workspace && prompt.workspace !== key.workspace)) {
    throw new GatewayError({ status: 404, code: 'prompt_not_found', message: `Prompt "${ref.id.slice(0, 128)}" does not exist; check its id or slug.` });
  }
  const version = selectVersion(prompt, ref);
  const partials = await collectPartials(templateStrings(version.template), async (name) => {
    const p = await deps.entities.getPartial?.(name, scope);
    if (!p || (prompt.workspace && p.workspace && p.workspace !== prompt.workspace)) return undefined;
    return p.string;
  });
  const messages = renderTemplate(version.template, variables as Record<string, unknown>, partials);
  if (!Array.isArray(messages)) throw badRequest(`Prompt "${ref.id}" has a template that is not a list of messages; fix it in the control plane.`, 'prompt', 'invalid_prompt_template');

  const hyper: Record<string, unknown> = { ...(nested as Record<string, unknown> | undefined) };
  for (const [k, v] of Object.entries(request)) if (!CONTROL_FIELDS.has(k)) hyper[k] = v;
  const body: Record<string, unknown> = { ...version.parameters, ...(version.model ? { model: version.model } : {}), ...hyper };
  body.messages = request.messages ? [...messages, ...(request.messages as unknown[])] : messages;
  if (request.stream === true) body.stream = true;
  return { body, promptId: prompt.id, virtualKey: version.virtualKey };
}
