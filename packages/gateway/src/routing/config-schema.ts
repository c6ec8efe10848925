import {
  DEFAULT_CONFIG_BOUNDS, parseConfigJson, validateRoutingConfig, type ConfigBounds, type ConfigNodeCheck, type RawTarget, type RoutingConfig,
} from '@portico/contract';
import { asInt, type Settings } from '../config/settings.js';
import { GatewayError } from '../errors.js';
import { findQueryProblem } from './conditional.js';
import { compileGuardrails, GuardrailConfigError, type Guardrails } from '../guardrails/hooks.js';

export type { RawTarget, RoutingConfig };

/** What the shared schema cannot check alone: conditional queries, and Portkey keys placed where they do nothing. */
/** Portkey config keys refused by name where they would otherwise be accepted and ignored. */
const NOT_YET: Record<string, string> = {
  // Circuit breakers are implemented (src/resilience/): Portkey's place for them is the strategy.
  cb_config: 'cb_config belongs in the strategy: move it to strategy.cb_config (circuit breaking applies to a strategy\'s targets)',
};

const gatewayNodeCheck: ConfigNodeCheck = (node, path) => {
  for (const key in NOT_YET) if (node[key] !== undefined) return [`${path}.${key}`, NOT_YET[key]!];
  const strict = node.strict_open_ai_compliance;
  if (strict !== undefined && typeof strict !== 'boolean') return [`${path}.strict_open_ai_compliance`, 'must be true or false'];
  if (node.strategy?.mode === 'conditional') {
    const conditions = node.strategy.conditions ?? [];
    for (let i = 0; i < conditions.length; i++) {
      const problem = findQueryProblem(conditions[i].query);
      if (problem) return [`${path}.strategy.conditions[${i}].query`, problem];
    }
  }
  return undefined;
};

/** The shared schema's size bounds, plus the most upstream attempts one request may make. */
export interface RoutingBounds extends ConfigBounds {
  maxAttempts: number;
}

export const DEFAULT_ROUTING_BOUNDS: RoutingBounds = {
  ...DEFAULT_CONFIG_BOUNDS,
  maxAttempts: 20,
  names: { maxTargets: 'CONFIG_MAX_TARGETS', maxDepth: 'CONFIG_MAX_DEPTH' },
};

/** The bounds as the settings set them. */
export function routingBounds(settings: Pick<Settings, 'CONFIG_MAX_TARGETS' | 'CONFIG_MAX_DEPTH' | 'MAX_ATTEMPTS_PER_REQUEST'>): RoutingBounds {
  return {
    ...DEFAULT_ROUTING_BOUNDS,
    maxTargets: asInt(settings.CONFIG_MAX_TARGETS),
    maxDepth: asInt(settings.CONFIG_MAX_DEPTH),
    maxAttempts: asInt(settings.MAX_ATTEMPTS_PER_REQUEST),
  };
}

/**
 * The most upstream calls the config can make for one request: a leaf makes 1 + its retries, a fallback
 * may try every child in turn, the other strategies pick one child.
 */
export function worstCaseAttempts(node: RawTarget, inheritedRetries = 0): number {
  const retries = node.retry?.attempts ?? inheritedRetries;
  const targets = node.targets;
  if (!targets) return 1 + retries;
  const each = targets.map((t) => worstCaseAttempts(t, retries));
  return node.strategy?.mode === 'fallback' ? each.reduce((a, b) => a + b, 0) : Math.max(...each);
}

/**
 * Parses and validates a config (the shared schema plus the gateway's checks); throws a 400
 * GatewayError naming the first bad path. `trusted`: a saved config, which operators write (inline
 * configs come from any client).
 */
export function parseRoutingConfig(json: string, source = 'x-portkey-config', trusted = false, bounds: RoutingBounds = DEFAULT_ROUTING_BOUNDS): RoutingConfig {
  const config = validateRoutingConfig(parseConfigJson(json, source), source, gatewayNodeCheck, bounds);
  const attempts = worstCaseAttempts(config);
  if (attempts > bounds.maxAttempts) {
    throw new GatewayError({
      status: 400, param: source, code: 'invalid_config',
      message: `${source}: config can make up to ${attempts} upstream attempts for one request (each fallback target once, plus its retry.attempts); the limit is ${bounds.maxAttempts} (MAX_ATTEMPTS_PER_REQUEST): use fewer targets or retries`,
    });
  }
  try {
    if (compileNodeGuardrails(config, 'config', trusted)) withTargetHooks.add(config);
  } catch (e) {
    if (!(e instanceof GuardrailConfigError)) throw e;
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source}: ${e.path}: ${e.message}` });
  }
  return config;
}

/** Guardrails compiled with their config node, so a cached config is not compiled again per request. */
const compiledGuardrails = new WeakMap<RawTarget, Guardrails>();
/** Configs with hooks below the root: the others skip the per-attempt lookup. */
const withTargetHooks = new WeakSet<RoutingConfig>();

/** Every node's guardrails, compiled once (the tree is bounded: CONFIG_MAX_TARGETS, CONFIG_MAX_DEPTH). */
function compileNodeGuardrails(node: RawTarget, path: string, trusted: boolean): boolean {
  const guardrails = compileGuardrails(node, trusted, path);
  if (guardrails) compiledGuardrails.set(node, guardrails);
  let below = false;
  node.targets?.forEach((t, i) => {
    if (compileNodeGuardrails(t, `${path}.targets[${i}]`, trusted) || compiledGuardrails.has(t)) below = true;
  });
  return below;
}

/** The config's guardrails (root level); undefined when it has none. They run once, around the whole request. */
export function guardrailsOf(config: RoutingConfig): Guardrails | undefined {
  return compiledGuardrails.get(config);
}

/**
 * The hooks of the target at `path` ("config.targets[1].targets[0]"), as Portkey inherits them: those
 * of every target on the way down from the root (the root's own excluded: they run around the whole
 * request), outer first. They run around each attempt on that target. Undefined when no target of the
 * config has any.
 */
export function targetGuardrailsOf(config: RoutingConfig, path: string): Guardrails | undefined {
  if (!withTargetHooks.has(config)) return undefined;
  let node: RawTarget | undefined = config;
  let before: Guardrails['before'] = [];
  let after: Guardrails['after'] = [];
  for (const m of path.matchAll(/\.targets\[(\d+)\]/g)) {
    node = node?.targets?.[Number(m[1])];
    const own = node && compiledGuardrails.get(node);
    if (own) {
      before = [...before, ...own.before];
      after = [...after, ...own.after];
    }
  }
  // Empty rather than undefined: the attempt still resets what an earlier attempt's hooks left in hook_results.
  return { before, after };
}

/** Validated configs by their exact string, so a config is validated once, not on every request. */
export class RoutingConfigCache {
  private readonly entries = new Map<string, RoutingConfig>();
  constructor(private readonly max = 500, private readonly bounds: RoutingBounds = DEFAULT_ROUTING_BOUNDS) {}

  get(json: string, source?: string, trusted = false): RoutingConfig {
    // A saved config may use what an inline one may not: the same text is a different entry.
    const key = trusted ? `saved\0${json}` : json;
    const hit = this.entries.get(key);
    if (hit) return hit;
    const parsed = parseRoutingConfig(json, source, trusted, this.bounds);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, parsed);
    return parsed;
  }

  get size(): number {
    return this.entries.size;
  }
}
