import type { CheckResult, HookResult, HookResults } from '@portico/contract';
/**
 * Guardrails in Portkey's config form: `before_request_hooks` / `after_request_hooks` (hooks with
 * `checks`), and the `input_guardrails` / `output_guardrails` shorthand (`{"default.contains": {...},
 * "deny": true}`). Compiled once per config; run on the request's last message and the response's
 * first choice. A failed hook with `deny: true` refuses the request (446); other failures let it
 * through with status 246 and the results in `hook_results`, as Portkey does.
 */
import { CheckParameterError, compileCheck, type CheckInput, type CompiledCheck } from './checks.js';

export interface CompiledHook {
  id: string;
  deny: boolean;
  /** Async hooks are evaluated and logged, but never change the response. */
  async: boolean;
  checks: Array<{ id: string; run: CompiledCheck }>;
}

export interface Guardrails {
  before: CompiledHook[];
  after: CompiledHook[];
}

export type { CheckResult, HookResult, HookResults };

/** A config error, with the path inside the config that is wrong. */
export class GuardrailConfigError extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

const HOOK_FIELDS = ['before_request_hooks', 'after_request_hooks', 'input_guardrails', 'output_guardrails'] as const;

/** True when a config node names guardrails in any of Portkey's forms. */
export function hasGuardrails(node: Record<string, unknown>): boolean {
  return HOOK_FIELDS.some((f) => node[f] !== undefined);
}

/**
 * Compiles the root config's guardrails; undefined when it has none. Throws GuardrailConfigError.
 * `trusted`: the config is a saved one, which may use checks that compile parameters to code.
 */
export function compileGuardrails(config: Record<string, unknown>, trusted = false): Guardrails | undefined {
  if (!hasGuardrails(config)) return undefined;
  const before = [...compileHooks(config.before_request_hooks, 'config.before_request_hooks', trusted), ...compileShorthand(config.input_guardrails, 'config.input_guardrails', 'input', trusted)];
  const after = [...compileHooks(config.after_request_hooks, 'config.after_request_hooks', trusted), ...compileShorthand(config.output_guardrails, 'config.output_guardrails', 'output', trusted)];
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

function compileHooks(value: unknown, path: string, trusted: boolean): CompiledHook[] {
  return list(value, path).map((hook, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(hook)) throw new GuardrailConfigError(at, 'must be an object with "checks"');
    if (hook.type !== undefined && hook.type !== 'guardrail') {
      throw new GuardrailConfigError(`${at}.type`, `${JSON.stringify(hook.type)} hooks (mutators) are not built into this gateway; use "guardrail"`);
    }
    const checks = list(hook.checks, `${at}.checks`);
    if (checks.length === 0) throw new GuardrailConfigError(`${at}.checks`, 'must list at least one check, e.g. {"id":"default.contains","parameters":{"words":["..."]}}');
    return {
      id: typeof hook.id === 'string' && hook.id ? hook.id : `${path.slice('config.'.length)}[${i}]`,
      deny: flag(hook, 'deny', at),
      async: flag(hook, 'async', at),
      checks: checks.map((c, j) => {
        const cat = `${at}.checks[${j}]`;
        if (!isObject(c) || typeof c.id !== 'string') throw new GuardrailConfigError(cat, 'must be an object with an "id", e.g. "default.regexMatch"');
        if (c.is_enabled === false) return undefined;
        return check(c.id, c.parameters, cat, trusted);
      }).filter((c): c is { id: string; run: CompiledCheck } => c !== undefined),
    };
  });
}

/** `[{"default.contains": {...}, "deny": true}]`: every "<plugin>.<check>" key is a check. Saved ids need the control plane. */
function compileShorthand(value: unknown, path: string, stage: 'input' | 'output', trusted: boolean): CompiledHook[] {
  return list(value, path).map((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') {
      throw new GuardrailConfigError(at, `${JSON.stringify(entry)} names a saved guardrail, which needs the control plane; define its checks inline, e.g. {"default.contains":{"operator":"none","words":["..."]},"deny":true}`);
    }
    if (!isObject(entry)) throw new GuardrailConfigError(at, 'must be an object such as {"default.contains":{...},"deny":true}');
    const checkIds = Object.keys(entry).filter((k) => k.includes('.'));
    if (checkIds.length === 0) throw new GuardrailConfigError(at, 'names no check; add one such as "default.regexMatch": {"rule": "..."}');
    return {
      id: typeof entry.id === 'string' && entry.id ? entry.id : `${stage}_guardrails[${i}]`,
      deny: flag(entry, 'deny', at),
      async: flag(entry, 'async', at),
      checks: checkIds.map((id) => check(id, entry[id], `${at}["${id}"]`, trusted)),
    };
  });
}

/** Runs hooks on one text, their checks at once; never throws (a check that throws fails with its error recorded). */
export function runHooks(hooks: CompiledHook[], input: CheckInput): Promise<HookResult[]> {
  return Promise.all(hooks.map(async (hook): Promise<HookResult> => {
    const started = performance.now();
    const created = new Date().toISOString();
    const checks = await Promise.all(hook.checks.map(async (c): Promise<CheckResult> => {
      const t = performance.now();
      try {
        const out = await c.run(input);
        return { id: c.id, verdict: out.verdict, data: out.data, error: null, execution_time: Math.round(performance.now() - t), created_at: created };
      } catch (e) {
        return { id: c.id, verdict: false, data: {}, error: (e as Error).message, execution_time: Math.round(performance.now() - t), created_at: created };
      }
    }));
    return {
      id: hook.id, type: 'guardrail', verdict: checks.every((c) => c.verdict), deny: hook.deny, async: hook.async, transformed: false, feedback: null,
      checks, execution_time: Math.round(performance.now() - started), created_at: created,
    };
  }));
}

/** What the results mean for the response: refused (446), let through flagged (246), or clean. */
export function verdictOf(results: HookResult[]): 'deny' | 'flag' | 'pass' {
  const failed = results.filter((r) => !r.verdict && !r.async);
  if (failed.some((r) => r.deny)) return 'deny';
  return failed.length ? 'flag' : 'pass';
}
