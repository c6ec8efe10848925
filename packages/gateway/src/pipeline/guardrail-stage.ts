/**
 * The guardrail stage: the config's input guardrails run on the request's last message before routing,
 * its output guardrails on the response's first choice before it is sent. Results go back in
 * `hook_results` (Portkey's form): a denied request gets 446, a flagged one goes through with 246.
 */
import { GatewayError, badRequest } from '../errors.js';
import { tryParseJson } from '../providers/upstream-error.js';
import { verdictOf, type CompiledHook, type Guardrails, type HookResult, type HookResults } from '../guardrails/hooks.js';
import { runStage, type StageInput } from '../guardrails/run.js';
import { endingTheWalk } from '../routing/execute.js';
import { observeJsonResult, type CallResult, type StreamResult } from './call-target.js';
import type { RequestContext } from './context.js';
import type { JwksFetcher, WebhookPoster } from '../guardrails/check-types.js';
import { REQUEST_TYPES } from '../guardrails/context-checks.js';

const GUARDED_OPS = new Set(['chat', 'completions', 'messages', 'responses']);

/** Shared by every request: how webhooks and JWKS are reached, and how many background hook runs may be in flight. */
export interface GuardrailRuntime {
  /** default.webhook and default.log reach their URLs through this (egress policy applied). */
  postWebhook: WebhookPoster;
  /** default.jwt's JWKS client (egress policy applied, bounded cache). */
  fetchJwks?: JwksFetcher;
  /** Past this many background runs in flight, new ones are skipped and say so: a slow webhook cannot pile requests up in memory. */
  backgroundMax: number;
  backgroundRuns: number;
}

/** The code of a guardrail's 446: a fallback may move on from it like from any failure. */
export const GUARDRAILS_DENIED = 'guardrails_denied';

type Json = Record<string, unknown>;

/** The root config's input hook results, kept apart so each attempt's target hooks are added to them afresh. */
const rootBefore = new WeakMap<RequestContext, HookResult[]>();

/** Refuses what guardrails cannot cover: other operations, and holding back or rewriting a stream already sent. */
function refuseUnguardable(ctx: RequestContext, g: Guardrails): void {
  if (!GUARDED_OPS.has(ctx.api.op)) {
    throw badRequest(`Guardrails apply to /v1/chat/completions, /v1/completions, /v1/messages and /v1/responses; remove them from the config for ${ctx.path.split('?')[0]}`, 'x-portkey-config', 'guardrails_unsupported');
  }
  if (!ctx.stream) return;
  if (g.after.some((h) => h.deny && !h.async)) {
    throw badRequest('An output guardrail with "deny": true cannot hold back a stream that is already being sent; send "stream": false, or set "deny": false', 'x-portkey-config', 'guardrails_unsupported');
  }
  const rewriting = g.after.find((h) => h.rewrites);
  if (rewriting) {
    throw badRequest(`Output hook "${rewriting.id}" rewrites the response (output_mutators, default.regexReplace, default.redact_pii), which cannot be done to a stream already being sent; send "stream": false, or move the hook to the input side`, 'x-portkey-config', 'guardrails_unsupported');
  }
}

/** Refuses what guardrails cannot cover, then runs the input hooks, applying their rewrites to the request. Throws 446 when one denies. */
export async function guardRequest(ctx: RequestContext, g: Guardrails, rt: GuardrailRuntime): Promise<void> {
  refuseUnguardable(ctx, g);
  ctx.hookResults = { before_request_hooks: [], after_request_hooks: [] };
  rootBefore.set(ctx, ctx.hookResults.before_request_hooks);
  if (g.before.length === 0) return;
  const base = stageInput(ctx, 'beforeRequestHook', rt);
  const run = await runStage(inline(g.before), base, 'request', ctx.body);
  ctx.hookResults.before_request_hooks = run.results;
  rootBefore.set(ctx, run.results);
  if (run.transformed && run.body) {
    ctx.body = run.body;
    ctx.rawBody = Buffer.from(JSON.stringify(run.body));
  }
  inBackground(ctx, rt, g.before, base, 'request', ctx.body, 'before_request_hooks');
  if (verdictOf(ctx.hookResults.before_request_hooks) === 'deny') throw denied(ctx.hookResults);
}

/**
 * A target's own input hooks (with those of the targets above it), for one attempt on it: their
 * rewrites go into this attempt's body only, their results after the root's. Throws 446 when one
 * denies, which a fallback may move on from. Returns the body to send.
 */
export async function guardAttempt(ctx: RequestContext, g: Guardrails, rt: GuardrailRuntime): Promise<{ body?: Json; rawBody?: Buffer }> {
  if (g.before.length === 0 && g.after.length === 0) {
    // A target without hooks of its own: what an earlier attempt's target hooks said is not about this one.
    if (ctx.hookResults) ctx.hookResults = { before_request_hooks: [...(rootBefore.get(ctx) ?? [])], after_request_hooks: [] };
    return { body: ctx.body, rawBody: ctx.rawBody };
  }
  try {
    refuseUnguardable(ctx, g);
  } catch (e) {
    // The request itself cannot be guarded there: another target would not help.
    throw endingTheWalk(e as GatewayError);
  }
  const root = rootBefore.get(ctx) ?? [];
  ctx.hookResults = { before_request_hooks: [...root], after_request_hooks: [] };
  if (g.before.length === 0) return { body: ctx.body, rawBody: ctx.rawBody };
  const base = stageInput(ctx, 'beforeRequestHook', rt);
  const run = await runStage(inline(g.before), base, 'request', ctx.body);
  ctx.hookResults.before_request_hooks = [...root, ...run.results];
  inBackground(ctx, rt, g.before, base, 'request', run.body, 'before_request_hooks');
  if (verdictOf(run.results) === 'deny') throw denied(ctx.hookResults);
  return run.transformed && run.body ? { body: run.body, rawBody: Buffer.from(JSON.stringify(run.body)) } : { body: ctx.body, rawBody: ctx.rawBody };
}

/** Hooks the request waits for; "async": true ones only inform, so nothing waits for them. */
const inline = (hooks: CompiledHook[]) => (hooks.some((h) => h.async) ? hooks.filter((h) => !h.async) : hooks);

/** Starts the "async": true hooks without waiting; their results join the log document (handle-inference waits). */
function inBackground(ctx: RequestContext, rt: GuardrailRuntime, hooks: CompiledHook[], base: StageInput, side: 'request' | 'response', body: Json | undefined, into: keyof HookResults, all = false): void {
  const background = all ? hooks : hooks.filter((h) => h.async);
  if (background.length === 0) return;
  if (rt.backgroundRuns >= rt.backgroundMax) {
    ctx.hookResults![into].push(...background.map((h) => skipped(h, rt.backgroundMax)));
    return;
  }
  rt.backgroundRuns++;
  const run = runStage(background, base, side, body).then((r) => {
    ctx.hookResults![into].push(...r.results);
  }).finally(() => rt.backgroundRuns--);
  (ctx.backgroundHooks ??= []).push(run);
}

/** A background hook that was not run: the result says so instead of staying silent. */
function skipped(h: CompiledHook, max: number): HookResult {
  const created = new Date().toISOString();
  const error = `not run: ${max} background guardrail runs were already in flight (GUARDRAIL_BACKGROUND_MAX)`;
  return {
    id: h.id, type: h.type, verdict: true, deny: h.deny, async: h.async, transformed: false, feedback: null,
    checks: h.checks.map((c) => ({ id: c.id, verdict: true, data: {}, error, execution_time: 0, created_at: created })), execution_time: 0, created_at: created,
  };
}

/**
 * What to send for a call's result. A stream starts with 246 when an input guardrail flagged the
 * request (output guardrails see it once it ends: guardStreamEnd). A JSON result goes through the
 * output hooks, which may rewrite it, and comes back with hook_results in its body, and status 246
 * when flagged. Throws 446 when one denies.
 */
export async function guardResult(ctx: RequestContext, g: Guardrails, result: CallResult, rt: GuardrailRuntime): Promise<CallResult> {
  if (result.kind === 'stream') return { ...result, status: streamStatus(ctx, result.status) };
  const results = ctx.hookResults!;
  observeJsonResult(result);
  ctx.usage = result.usage;
  // The body in the client's format: a translated result's completion is the provider's side of it.
  let parsed = (result.parsed ?? tryParseJson(result.body.toString('utf8'))) as Json | undefined;
  const isObject = !!parsed && typeof parsed === 'object' && !Array.isArray(parsed);
  // Each attempt's answer is judged afresh: an earlier attempt's output verdicts are not this one's.
  results.after_request_hooks = [];
  if (g.after.length) {
    const base = stageInput(ctx, 'afterRequestHook', rt);
    const run = await runStage(inline(g.after), base, 'response', parsed);
    results.after_request_hooks = run.results;
    if (run.transformed) parsed = run.body;
    inBackground(ctx, rt, g.after, base, 'response', parsed, 'after_request_hooks');
  }
  const all: HookResult[] = [...results.before_request_hooks, ...results.after_request_hooks];
  const verdict = verdictOf(all);
  if (verdict === 'deny') throw denied(results);
  const status = verdict === 'flag' ? 246 : result.status;
  // A body that is not a JSON object has nowhere to carry hook_results: the status still tells.
  if (!isObject) return status === result.status ? result : { ...result, status };
  const body = Buffer.from(JSON.stringify({ ...parsed, hook_results: results }));
  return { ...result, status, body, parseLater: undefined, parsed: undefined, contentType: 'application/json' };
}

/**
 * Output guardrails on a finished stream: the client has its bytes already, so the results go to the log
 * only, and nothing waits for them (webhooks included) but the log document.
 */
export function guardStreamEnd(ctx: RequestContext, g: Guardrails, result: StreamResult, rt: GuardrailRuntime): void {
  // Translated and OpenAI-chat streams are assembled into a completion; other native ones keep their own shape.
  const body = (result.seen.assembler?.result() as unknown as Json | undefined) ?? (result.seen.output?.() as Json | undefined);
  if (!g.after.length || !body || ctx.streamOutcome !== 'complete') return;
  inBackground(ctx, rt, g.after, stageInput(ctx, 'afterRequestHook', rt), 'response', body, 'after_request_hooks', true);
}

function stageInput(ctx: RequestContext, event: StageInput['event'], rt: GuardrailRuntime): StageInput {
  return {
    model: ctx.model, requestType: REQUEST_TYPES[ctx.api.op], event, request: ctx.body, metadata: ctx.headers?.metadata,
    postWebhook: rt.postWebhook, fetchJwks: rt.fetchJwks, requestHeaders: ctx.req?.headers,
  };
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
