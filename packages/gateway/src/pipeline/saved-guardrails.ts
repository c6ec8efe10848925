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

const STAGES = [['input_guardrails', 'before_request_hooks'], ['output_guardrails', 'after_request_hooks']] as const;

/** The config text with saved guardrails expanded; the text itself when it names none. */
export function expandSavedGuardrails(entities: EntityStore, json: string, source: string, scope?: EntityScope): string | Promise<string> {
  // Cheap test first: most configs name no guardrail at all.
  if (!json.includes('_guardrails') || !entities.getGuardrail) return json;
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
  let changed = false;
  for (const [shorthand, hooks] of STAGES) {
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
        throw new GatewayError({ status: 400, param: source, code: 'unknown_guardrail', message: `${source}: ${shorthand}[${i}] names guardrail "${entry.slice(0, 64)}", which does not exist; check its id in the control plane's /v1/guardrails.` });
      }
      added.push(asHook(saved));
    }
    config[shorthand] = kept.length ? kept : undefined;
    const existing = Array.isArray(config[hooks]) ? (config[hooks] as unknown[]) : [];
    config[hooks] = [...existing, ...added];
    changed = true;
  }
  const out = changed ? JSON.stringify(config) : json;
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(cacheKey, out);
  return out;
}

function asHook(g: SavedGuardrail): Record<string, unknown> {
  const actions = g.actions ?? {};
  return {
    type: 'guardrail',
    id: g.id,
    deny: actions.deny === true,
    async: actions.async === true,
    checks: g.checks.map((c) => ({ id: c.id, parameters: c.parameters ?? {} })),
  };
}
