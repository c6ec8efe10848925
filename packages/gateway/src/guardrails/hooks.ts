import type { CheckResult, HookFeedback, HookResult, HookResults } from '@portico/contract';
/**
 * Guardrails in Portkey's config form: `before_request_hooks` / `after_request_hooks` (hooks with
 * `checks`), the `input_guardrails` / `output_guardrails` shorthand (`{"default.contains": {...},
 * "deny": true}`) and its `input_mutators` / `output_mutators` twin. Compiled once per config node:
 * the root's run around the whole request, a target's around each attempt on it (guardrails/run.ts
 * runs them). A failed hook with `deny: true` refuses the request (446); other failures let it
 * through with status 246 and the results in `hook_results`, as Portkey does.
 */
import { CheckParameterError, compileCheck, type CompiledCheck } from './checks.js';
import { REWRITING_CHECKS } from './mutating-checks.js';

export interface CompiledHook {
  id: string;
  /** Mutators rewrite and never deny; their checks run in order, each on the last one's output. */
  type: 'guardrail' | 'mutator';
  deny: boolean;
  /** Async hooks are evaluated and logged, but never change the response. */
  async: boolean;
  /** Checks run one after another and stop at the first that fails. */
  sequential: boolean;
  /** A check of the hook may rewrite: it runs alone, in order, on the request or response as it stands. */
  rewrites: boolean;
  onFail?: FeedbackSetting;
  onSuccess?: FeedbackSetting;
  checks: Array<{ id: string; run: CompiledCheck }>;
}

export interface FeedbackSetting {
  value: number;
  weight: number;
  metadata: Record<string, unknown>;
}

export interface Guardrails {
  before: CompiledHook[];
  after: CompiledHook[];
}

export type { CheckResult, HookFeedback, HookResult, HookResults };

/** A config error, with the path inside the config that is wrong. */
export class GuardrailConfigError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

const HOOK_FIELDS = ['before_request_hooks', 'after_request_hooks', 'input_guardrails', 'output_guardrails', 'input_mutators', 'output_mutators'] as const;

/** True when a config node names guardrails or mutators in any of Portkey's forms. */
export function hasGuardrails(node: Record<string, unknown>): boolean {
  return HOOK_FIELDS.some((f) => node[f] !== undefined);
}

/**
 * Compiles a config node's guardrails; undefined when it has none. Throws GuardrailConfigError.
 * `trusted`: the config is a saved one, which may use checks that compile parameters to code.
 * `path`: where the node sits ("config", "config.targets[0]"), for error messages and default hook ids.
 * Mutators run first in each stage, so the checks after them see what is sent on.
 */
export function compileGuardrails(config: Record<string, unknown>, trusted = false, path = 'config'): Guardrails | undefined {
  if (!hasGuardrails(config)) return undefined;
  const before = [
    ...compileShorthand(config.input_mutators, `${path}.input_mutators`, 'mutator', trusted),
    ...compileHooks(config.before_request_hooks, `${path}.before_request_hooks`, trusted),
    ...compileShorthand(config.input_guardrails, `${path}.input_guardrails`, 'guardrail', trusted),
  ];
  const after = [
    ...compileShorthand(config.output_mutators, `${path}.output_mutators`, 'mutator', trusted),
    ...compileHooks(config.after_request_hooks, `${path}.after_request_hooks`, trusted),
    ...compileShorthand(config.output_guardrails, `${path}.output_guardrails`, 'guardrail', trusted),
  ];
  return before.length || after.length ? { before, after } : undefined;
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new GuardrailConfigError(path, 'must be an array');
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function flag(hook: Record<string, unknown>, key: string, path: string): boolean {
  const v = hook[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new GuardrailConfigError(`${path}.${key}`, 'must be true or false');
  return v;
}

function check(id: string, parameters: unknown, path: string, trusted: boolean): { id: string; run: CompiledCheck } {
  try {
    return { id, run: compileCheck(id, parameters, trusted) };
  } catch (e) {
    if (!(e instanceof CheckParameterError)) throw e;
    const where = e.where === '' ? path : e.where === 'parameters' ? `${path}.parameters` : `${path}.parameters.${e.where}`;
    throw new GuardrailConfigError(where, e.message);
  }
}

const HOOK_KEYS = ['id', 'type', 'checks', 'deny', 'async', 'sequential', 'on_fail', 'on_success', 'name'];
const SHORTHAND_KEYS = ['id', 'deny', 'async', 'sequential', 'on_fail', 'on_success', 'name'];
const CHECK_KEYS = ['id', 'parameters', 'is_enabled', 'name'];

function refuseUnknown(entry: Record<string, unknown>, known: string[], at: string, isCheckKey: (k: string) => boolean = () => false): void {
  for (const key of Object.keys(entry)) {
    if (!known.includes(key) && !isCheckKey(key)) throw new GuardrailConfigError(`${at}.${key}`, `is not a field of a hook; a hook takes ${known.join(', ')}`);
  }
}

function compileHooks(value: unknown, path: string, trusted: boolean): CompiledHook[] {
  return list(value, path).map((hook, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(hook)) throw new GuardrailConfigError(at, 'must be an object with "checks"');
    refuseUnknown(hook, HOOK_KEYS, at);
    const type = hook.type ?? 'guardrail';
    if (type !== 'guardrail' && type !== 'mutator') throw new GuardrailConfigError(`${at}.type`, 'must be "guardrail" or "mutator"');
    const checks = list(hook.checks, `${at}.checks`);
    if (checks.length === 0) throw new GuardrailConfigError(`${at}.checks`, 'must list at least one check, e.g. {"id":"default.contains","parameters":{"words":["..."]}}');
    const compiled = checks.map((c, j) => {
      const cat = `${at}.checks[${j}]`;
      if (!isObject(c) || typeof c.id !== 'string') throw new GuardrailConfigError(cat, 'must be an object with an "id", e.g. "default.regexMatch"');
      refuseUnknown(c, CHECK_KEYS, cat);
      if (c.is_enabled !== undefined && typeof c.is_enabled !== 'boolean') throw new GuardrailConfigError(`${cat}.is_enabled`, 'must be true or false');
      if (c.is_enabled === false) return undefined;
      return check(c.id, c.parameters, cat, trusted);
    }).filter((c): c is { id: string; run: CompiledCheck } => c !== undefined);
    return hookOf(hook, at, type, typeof hook.id === 'string' && hook.id ? hook.id : `${path.replace(/^config\./, '')}[${i}]`, compiled);
  });
}

/** `[{"default.contains": {...}, "deny": true}]`: every "<plugin>.<check>" key is a check. Saved ids are expanded before this (pipeline/saved-guardrails.ts). */
function compileShorthand(value: unknown, path: string, type: 'guardrail' | 'mutator', trusted: boolean): CompiledHook[] {
  return list(value, path).map((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') {
      throw new GuardrailConfigError(at, `${JSON.stringify(entry)} names a saved guardrail, which needs the control plane; define its checks inline, e.g. {"default.contains":{"operator":"none","words":["..."]},"deny":true}`);
    }
    if (!isObject(entry)) throw new GuardrailConfigError(at, 'must be an object such as {"default.contains":{...},"deny":true}');
    refuseUnknown(entry, SHORTHAND_KEYS, at, (k) => k.includes('.'));
    const checkIds = Object.keys(entry).filter((k) => k.includes('.'));
    if (checkIds.length === 0) throw new GuardrailConfigError(at, 'names no check; add one such as "default.regexMatch": {"rule": "..."}');
    const id = typeof entry.id === 'string' && entry.id ? entry.id : `${path.replace(/^config\./, '')}[${i}]`;
    return hookOf(entry, at, type, id, checkIds.map((c) => check(c, entry[c], `${at}["${c}"]`, trusted)));
  });
}

function hookOf(entry: Record<string, unknown>, at: string, type: 'guardrail' | 'mutator', id: string, checks: CompiledHook['checks']): CompiledHook {
  const hook: CompiledHook = {
    id, type, checks,
    deny: flag(entry, 'deny', at),
    async: flag(entry, 'async', at),
    sequential: flag(entry, 'sequential', at),
    rewrites: type === 'mutator' || checks.some((c) => REWRITING_CHECKS.has(c.id)),
    onFail: feedbackSetting(entry.on_fail, `${at}.on_fail`),
    onSuccess: feedbackSetting(entry.on_success, `${at}.on_success`),
  };
  // Portkey skips these silently; here they are refused, so a config never does less than it says.
  if (type === 'mutator' && hook.deny) throw new GuardrailConfigError(`${at}.deny`, 'a mutator rewrites and never denies; remove "deny" or make it a guardrail hook');
  if (hook.rewrites && hook.async) throw new GuardrailConfigError(`${at}.async`, 'a hook that rewrites (a mutator, default.regexReplace, default.redact_pii, default.addPrefix) must run before the request or response goes on; remove "async": true');
  return hook;
}

/** `{"feedback": {"value": -1, "weight": 1, "metadata": {...}}}`: Portkey's feedback range, value -10..10 and weight 0..1. */
function feedbackSetting(value: unknown, at: string): FeedbackSetting | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new GuardrailConfigError(at, 'must be an object such as {"feedback": {"value": -1, "weight": 1}}');
  for (const k of Object.keys(value)) if (k !== 'feedback') throw new GuardrailConfigError(`${at}.${k}`, 'is not supported; on_fail and on_success take "feedback" only');
  const fb = value.feedback;
  if (!isObject(fb)) throw new GuardrailConfigError(`${at}.feedback`, 'must be an object such as {"value": -1, "weight": 1}');
  for (const k of Object.keys(fb)) if (!['value', 'weight', 'metadata'].includes(k)) throw new GuardrailConfigError(`${at}.feedback.${k}`, 'is not a feedback field; use value, weight, metadata');
  const v = fb.value ?? 0;
  const w = fb.weight ?? 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -10 || v > 10) throw new GuardrailConfigError(`${at}.feedback.value`, 'must be an integer from -10 to 10');
  if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 1) throw new GuardrailConfigError(`${at}.feedback.weight`, 'must be a number from 0 to 1');
  if (fb.metadata !== undefined && !isObject(fb.metadata)) throw new GuardrailConfigError(`${at}.feedback.metadata`, 'must be an object');
  if (fb.metadata && JSON.stringify(fb.metadata).length > 4096) throw new GuardrailConfigError(`${at}.feedback.metadata`, 'is larger than 4 kB');
  return { value: v, weight: w, metadata: (fb.metadata as Record<string, unknown> | undefined) ?? {} };
}

/** What the results mean for the response: refused (446), let through flagged (246), or clean. */
export function verdictOf(results: HookResult[]): 'deny' | 'flag' | 'pass' {
  // Mutators never deny nor flag: their verdicts are reported only.
  const failed = results.filter((r) => !r.verdict && !r.async && r.type !== 'mutator');
  if (failed.some((r) => r.deny)) return 'deny';
  return failed.length ? 'flag' : 'pass';
}
