/**
 * The guardrail stage: the config's input guardrails run on the request's last message before routing,
 * its output guardrails on the response's first choice before it is sent. Results go back in
 * `hook_results` (Portkey's form): a denied request gets 446, a flagged one goes through with 246.
 */
import { GatewayError, badRequest } from '../errors.js';
import { tryParseJson } from '../providers/upstream-error.js';
import { runHooks, verdictOf, type CompiledHook, type Guardrails, type HookResult, type HookResults } from '../guardrails/hooks.js';
import { observeJsonResult, type CallResult, type StreamResult } from './call-target.js';
import type { RequestContext } from './context.js';
import type { CheckInput, WebhookPoster } from '../guardrails/checks.js';
import { REQUEST_TYPES } from '../guardrails/context-checks.js';

const GUARDED_OPS = new Set(['chat', 'completions', 'messages', 'responses']);

/** Shared by every request: how webhooks are reached, and how many background hook runs may be in flight. */
export interface GuardrailRuntime {
  /** default.webhook reaches its URL through this (egress policy applied). */
  postWebhook: WebhookPoster;
  /** Past this many background runs in flight, new ones are skipped and say so: a slow webhook cannot pile requests up in memory. */
  backgroundMax: number;
  backgroundRuns: number;
}

/** The code of a guardrail's 446: a fallback may move on from it like from any failure. */
export const GUARDRAILS_DENIED = 'guardrails_denied';

/** Refuses what guardrails cannot cover, then runs the input guardrails. Throws 446 when one denies. */
export async function guardRequest(ctx: RequestContext, g: Guardrails, rt: GuardrailRuntime): Promise<void> {
  if (!GUARDED_OPS.has(ctx.api.op)) {
    throw badRequest(`Guardrails apply to /v1/chat/completions, /v1/completions, /v1/messages and /v1/responses; remove them from the config for ${ctx.path.split('?')[0]}`, 'x-portkey-config', 'guardrails_unsupported');
  }
  if (ctx.stream && g.after.some((h) => h.deny && !h.async)) {
    throw badRequest('An output guardrail with "deny": true cannot hold back a stream that is already being sent; send "stream": false, or set "deny": false', 'x-portkey-config', 'guardrails_unsupported');
  }
  ctx.hookResults = { before_request_hooks: [], after_request_hooks: [] };
  if (g.before.length === 0) return;
  const input = checkInput(ctx, 'beforeRequestHook', requestText(ctx.body), undefined, rt);
  ctx.hookResults.before_request_hooks = await runHooks(inline(g.before), input);
  inBackground(ctx, rt, g.before, input, 'before_request_hooks');
  if (verdictOf(ctx.hookResults.before_request_hooks) === 'deny') throw denied(ctx.hookResults);
}

/** Hooks the request waits for; "async": true ones only inform, so nothing waits for them. */
const inline = (hooks: CompiledHook[]) => (hooks.some((h) => h.async) ? hooks.filter((h) => !h.async) : hooks);

/** Starts the "async": true hooks without waiting; their results join the log document (handle-inference waits). */
function inBackground(ctx: RequestContext, rt: GuardrailRuntime, hooks: CompiledHook[], input: CheckInput, into: keyof HookResults, all = false): void {
  const background = all ? hooks : hooks.filter((h) => h.async);
  if (background.length === 0) return;
  if (rt.backgroundRuns >= rt.backgroundMax) {
    ctx.hookResults![into].push(...background.map((h) => skipped(h, rt.backgroundMax)));
    return;
  }
  rt.backgroundRuns++;
  const run = runHooks(background, input).then((results) => {
    ctx.hookResults![into].push(...results);
  }).finally(() => rt.backgroundRuns--);
  (ctx.backgroundHooks ??= []).push(run);
}

/** A background hook that was not run: the result says so instead of staying silent. */
function skipped(h: CompiledHook, max: number): HookResult {
  const created = new Date().toISOString();
  const error = `not run: ${max} background guardrail runs were already in flight (GUARDRAIL_BACKGROUND_MAX)`;
  return {
    id: h.id, type: 'guardrail', verdict: true, deny: h.deny, async: h.async, transformed: false, feedback: null,
    checks: h.checks.map((c) => ({ id: c.id, verdict: true, data: {}, error, execution_time: 0, created_at: created })), execution_time: 0, created_at: created,
  };
}

/**
 * What to send for a call's result. A stream starts with 246 when an input guardrail flagged the
 * request (output guardrails see it once it ends: guardStreamEnd). A JSON result goes through the
 * output guardrails and comes back with hook_results in its body, and status 246 when flagged.
 * Throws 446 when one denies.
 */
export async function guardResult(ctx: RequestContext, g: Guardrails, result: CallResult, rt: GuardrailRuntime): Promise<CallResult> {
  if (result.kind === 'stream') return { ...result, status: streamStatus(ctx, result.status) };
  const results = ctx.hookResults!;
  observeJsonResult(result);
  ctx.usage = result.usage;
  // The body in the client's format: a translated result's completion is the provider's side of it.
  const parsed = (result.parsed ?? tryParseJson(result.body.toString('utf8'))) as Record<string, unknown> | undefined;
  if (g.after.length) {
    const input = checkInput(ctx, 'afterRequestHook', responseText(parsed), parsed, rt);
    results.after_request_hooks = await runHooks(inline(g.after), input);
    inBackground(ctx, rt, g.after, input, 'after_request_hooks');
  }
  const all: HookResult[] = [...results.before_request_hooks, ...results.after_request_hooks];
  const verdict = verdictOf(all);
  if (verdict === 'deny') throw denied(results);
  const status = verdict === 'flag' ? 246 : result.status;
  // A body that is not a JSON object has nowhere to carry hook_results: the status still tells.
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return status === result.status ? result : { ...result, status };
  const body = Buffer.from(JSON.stringify({ ...parsed, hook_results: results }));
  return { ...result, status, body, parseLater: undefined, parsed: undefined, contentType: 'application/json' };
}

/**
 * Output guardrails on a finished stream: the client has its bytes already, so the results go to the log
 * only, and nothing waits for them (webhooks included) but the log document.
 */
export function guardStreamEnd(ctx: RequestContext, g: Guardrails, result: StreamResult, rt: GuardrailRuntime): void {
  // Translated and OpenAI-chat streams are assembled into a completion; other native ones keep their own shape.
  const body = (result.seen.assembler?.result() as unknown as Record<string, unknown> | undefined) ?? result.seen.output?.();
  if (!g.after.length || !body || ctx.streamOutcome !== 'complete') return;
  inBackground(ctx, rt, g.after, checkInput(ctx, 'afterRequestHook', responseText(body), body, rt), 'after_request_hooks', true);
}

function checkInput(ctx: RequestContext, event: CheckInput['event'], text: string, response: unknown, rt: GuardrailRuntime): CheckInput {
  return { text, model: ctx.model, requestType: REQUEST_TYPES[ctx.api.op], event, request: ctx.body, response, metadata: ctx.headers?.metadata, postWebhook: rt.postWebhook };
}

/** The status a stream starts with: 246 when an input guardrail flagged the request. */
function streamStatus(ctx: RequestContext, status: number): number {
  const before = ctx.hookResults?.before_request_hooks;
  return before && verdictOf(before) === 'flag' ? 246 : status;
}

function denied(results: HookResults): GatewayError {
  return new GatewayError({
    status: 446, type: 'hooks_failed', code: GUARDRAILS_DENIED, retryable: false, extra: { hook_results: results },
    message: 'The guardrail checks defined in the config failed and denied the request; hook_results says which check failed and why.',
  });
}

/** The text input guardrails read: the last message (chat, messages, responses) or the prompt (completions). */
function requestText(body: Record<string, unknown> | undefined): string {
  if (!body) return '';
  if (Array.isArray(body.messages)) return contentText((body.messages.at(-1) as { content?: unknown } | undefined)?.content);
  if (typeof body.input === 'string') return body.input;
  if (Array.isArray(body.input)) {
    const messages = (body.input as Array<{ type?: string; role?: string; content?: unknown }>).filter((i) => i?.role !== undefined && (i.type === undefined || i.type === 'message'));
    return contentText(messages.at(-1)?.content);
  }
  const prompt = body.prompt;
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt)) return prompt.filter((p) => typeof p === 'string').join('\n');
  return '';
}

/** The text output guardrails read: the first choice's message (chat) or text (completions), the content (messages), or the message items (responses). */
function responseText(body: Record<string, unknown> | undefined): string {
  if (Array.isArray(body?.content)) return contentText(body.content);
  if (Array.isArray(body?.output)) {
    const messages = (body.output as Array<{ type?: string; content?: unknown }>).filter((i) => i?.type === 'message');
    return messages.map((m) => contentText(m.content)).filter(Boolean).join('\n');
  }
  const choice = (body?.choices as Array<{ message?: { content?: unknown }; text?: unknown }> | undefined)?.[0];
  if (!choice) return '';
  if (choice.message) return contentText(choice.message.content);
  return typeof choice.text === 'string' ? choice.text : '';
}

/** Text parts: chat and Anthropic `text`, Responses `input_text` / `output_text`. */
const TEXT_PARTS = new Set(['text', 'input_text', 'output_text']);

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: { type?: string; text?: unknown }) => (TEXT_PARTS.has(p?.type ?? '') && typeof p.text === 'string' ? p.text : '')).filter(Boolean).join('\n');
}
