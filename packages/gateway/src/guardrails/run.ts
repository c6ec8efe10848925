/**
 * Runs compiled hooks on a request or a response. Hooks that only check run at once, each check of
 * them at once; a hook that rewrites runs alone, in the order written, its checks one after another,
 * each on the body as the last one left it, so what goes on is the result of every rewrite. A hook
 * with `sequential: true` runs its checks in order and stops at the first that fails. Never throws:
 * a check that throws fails with its error recorded.
 */
import type { CheckInput, CheckOutcome } from './check-types.js';
import { joinTexts, requestPart, responsePart, type ContentPart } from './content.js';
import type { CheckResult, CompiledHook, HookFeedback, HookResult } from './hooks.js';

type Json = Record<string, unknown>;

export interface StageRun {
  results: HookResult[];
  /** The body after every rewrite; the one given when nothing was rewritten. */
  body: Json | undefined;
  transformed: boolean;
}

/** What the hooks share: the request's context, less the body and text, which the runner supplies. */
export type StageInput = Omit<CheckInput, 'text' | 'texts' | 'request' | 'response'> & { request?: Json };

export async function runStage(hooks: CompiledHook[], base: StageInput, side: 'request' | 'response', body: Json | undefined): Promise<StageRun> {
  const results: HookResult[] = [];
  let current = body;
  let transformed = false;
  for (let i = 0; i < hooks.length;) {
    if (hooks[i].rewrites) {
      const run = await runHook(hooks[i], base, side, current);
      results.push(run.result);
      if (run.body !== current) {
        current = run.body;
        transformed = true;
      }
      i++;
      continue;
    }
    // A run of hooks that only check: all at once, on the body as it stands.
    let j = i;
    while (j < hooks.length && !hooks[j].rewrites) j++;
    const batch = await Promise.all(hooks.slice(i, j).map((h) => runHook(h, base, side, current)));
    results.push(...batch.map((b) => b.result));
    i = j;
  }
  return { results, body: current, transformed };
}

function inputFor(base: StageInput, side: 'request' | 'response', body: Json | undefined): { input: CheckInput; part?: ContentPart } {
  const part = side === 'request' ? requestPart(body) : responsePart(body);
  const texts = part?.texts ?? [];
  const input: CheckInput = side === 'request'
    ? { ...base, text: joinTexts(texts), texts, request: body }
    : { ...base, text: joinTexts(texts), texts, response: body };
  return { input, part };
}

async function runCheck(check: CompiledHook['checks'][number], input: CheckInput, created: string): Promise<{ result: CheckResult; outcome?: CheckOutcome }> {
  const t = performance.now();
  try {
    const outcome = await check.run(input);
    return { outcome, result: { id: check.id, verdict: outcome.verdict, data: outcome.data, error: null, execution_time: Math.round(performance.now() - t), created_at: created } };
  } catch (e) {
    return { result: { id: check.id, verdict: false, data: {}, error: (e as Error).message, execution_time: Math.round(performance.now() - t), created_at: created } };
  }
}

async function runHook(hook: CompiledHook, base: StageInput, side: 'request' | 'response', body: Json | undefined): Promise<{ result: HookResult; body: Json | undefined }> {
  const started = performance.now();
  const created = new Date().toISOString();
  const checks: CheckResult[] = [];
  let current = body;
  if (hook.rewrites || hook.sequential) {
    for (const c of hook.checks) {
      const { input, part } = inputFor(base, side, current);
      const { result, outcome } = await runCheck(c, input, created);
      const next = rewritten(outcome, part, side, current);
      if (next !== current) {
        result.transformed = true;
        current = next;
      }
      checks.push(result);
      if (hook.sequential && !result.verdict) break;
    }
  } else {
    const { input } = inputFor(base, side, current);
    checks.push(...(await Promise.all(hook.checks.map((c) => runCheck(c, input, created)))).map((r) => r.result));
  }
  const verdict = checks.every((c) => c.verdict);
  return {
    body: current,
    result: {
      id: hook.id, type: hook.type, verdict, deny: hook.deny, async: hook.async, transformed: current !== body,
      feedback: feedbackOf(hook, verdict, checks), checks, execution_time: Math.round(performance.now() - started), created_at: created,
    },
  };
}

/** The body a check's rewrite leaves: new text items go back where they came from; a new request body replaces the old. */
function rewritten(outcome: CheckOutcome | undefined, part: ContentPart | undefined, side: 'request' | 'response', body: Json | undefined): Json | undefined {
  if (!outcome) return body;
  if (outcome.body && side === 'request') return outcome.body;
  if (outcome.texts && part && outcome.texts.length === part.texts.length) return part.withTexts(outcome.texts);
  return body;
}

/** Portkey's feedback object: on_fail's or on_success's value and weight, and which checks passed, failed or errored. */
function feedbackOf(hook: CompiledHook, verdict: boolean, checks: CheckResult[]): HookFeedback | null {
  if (!hook.onFail && !hook.onSuccess) return null;
  const setting = verdict ? hook.onSuccess : hook.onFail;
  const ids = (keep: (c: CheckResult) => boolean) => checks.filter(keep).map((c) => c.id).join(', ');
  return {
    value: setting?.value ?? 0,
    weight: setting?.weight ?? 0,
    metadata: {
      ...setting?.metadata,
      successfulChecks: ids((c) => c.verdict),
      failedChecks: ids((c) => !c.verdict && !c.error),
      erroredChecks: ids((c) => !c.verdict && !!c.error),
    },
  };
}
