import { GatewayError } from '../errors.js';
import type { EntityScope, EntityStore, SavedGuardrail } from '../entities/types.js';

/**
 * Portkey configs name saved guardrails by id: `"input_guardrails": ["pg-abc"]`. The gateway swaps
 * each name for the guardrail's checks, as a hook in before_request_hooks / after_request_hooks, before
 * the config is validated and compiled. The result is kept per config text until the entities change,
 * so a request pays for it once.
 */
const expanded = new WeakMap<EntityStore, Map<string, string>>();
const CACHE_MAX = 500;

const STAGES = [
  ['input_guardrails', 'before_request_hooks', 'guardrail'], ['output_guardrails', 'after_request_hooks', 'guardrail'],
  ['input_mutators', 'before_request_hooks', 'mutator'], ['output_mutators', 'after_request_hooks', 'mutator'],
] as const;

/** The config text with saved guardrails expanded; the text itself when it names none. */
export function expandSavedGuardrails(entities: EntityStore, json: string, source: string, scope?: EntityScope): string | Promise<string> {
  // Cheap test first: most configs name no guardrail at all.
  if ((!json.includes('_guardrails') && !json.includes('_mutators')) || !entities.getGuardrail) return json;
  let cache = expanded.get(entities);
  if (!cache) {
    cache = new Map();
    expanded.set(entities, cache);
    const c = cache;
    entities.onChange(() => c.clear());
  }
  // Tenants may name different guardrails by the same id: each scope has its own expansion.
  const cacheKey = scope ? `${scope.organisation ?? ''}\0${scope.workspace ?? ''}\0${json}` : json;
  const hit = cache.get(cacheKey);
  if (hit !== undefined) return hit;
  return expand(entities, json, source, cache, cacheKey, scope);
}

async function expand(entities: EntityStore, json: string, source: string, cache: Map<string, string>, cacheKey: string, scope: EntityScope | undefined): Promise<string> {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json; // the validator names the problem
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) return json;
  const changed = await expandNode(entities, config, source, 'config', scope);
  const out = changed ? JSON.stringify(config) : json;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(cacheKey, out);
  return out;
}

/**
 * Swaps saved guardrail ids for hooks in one config node, then in its targets (a target's own hooks
 * name saved guardrails the same way). The tree is small: configs are bounded before this runs
 * validation, and one past the bounds is refused by the validator after. Returns whether anything changed.
 */
async function expandNode(entities: EntityStore, config: Record<string, unknown>, source: string, path: string, scope: EntityScope | undefined, depth = 0, budget = { nodes: MAX_NODES }): Promise<boolean> {
  let changed = false;
  if (--budget.nodes < 0) return false;
  for (const [shorthand, hooks, type] of STAGES) {
    const list = config[shorthand];
    if (!Array.isArray(list) || !list.some((e) => typeof e === 'string')) continue;
    const kept: unknown[] = [];
    const added: unknown[] = [];
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      if (typeof entry !== 'string') {
        kept.push(entry);
        continue;
      }
      const saved = await entities.getGuardrail!(entry, scope);
      if (!saved) {
        throw new GatewayError({ status: 400, param: source, code: 'unknown_guardrail', message: `${source}: ${path === 'config' ? '' : `${path.slice('config.'.length)}.`}${shorthand}[${i}] names guardrail "${entry.slice(0, 64)}", which does not exist; check its id in the control plane's /v1/guardrails.` });
      }
      added.push(asHook(saved, type));
    }
    config[shorthand] = kept.length ? kept : undefined;
    const existing = Array.isArray(config[hooks]) ? (config[hooks] as unknown[]) : [];
    config[hooks] = [...existing, ...added];
    changed = true;
  }
  const targets = config.targets;
  if (Array.isArray(targets) && depth < MAX_DEPTH) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i];
      if (t && typeof t === 'object' && !Array.isArray(t) && (await expandNode(entities, t as Record<string, unknown>, source, `${path}.targets[${i}]`, scope, depth + 1, budget))) changed = true;
    }
  }
  return changed;
}

/**
 * Deeper or larger than configs the validator accepts (CONFIG_MAX_DEPTH, CONFIG_MAX_TARGETS), which it
 * refuses after: the walk of an inline config stays bounded before validation. Past the budget a
 * saved id is left as it is, and the validator refuses it by name.
 */
const MAX_DEPTH = 16;
const MAX_NODES = 500;

function asHook(g: SavedGuardrail, type: 'guardrail' | 'mutator'): Record<string, unknown> {
  const actions = g.actions ?? {};
  return {
    type,
    id: g.id,
    deny: actions.deny === true,
    async: actions.async === true,
    checks: g.checks.map((c) => ({ id: c.id, parameters: c.parameters ?? {} })),
  };
}
