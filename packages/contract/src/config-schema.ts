import { z } from 'zod';
import { GatewayError } from './errors.js';

/**
 * Portkey's routing-config JSON (snake_case): the shape every Portico part validates against. The
 * gateway adds what needs its own engines (conditional queries, guardrail checks) through `nodeCheck`;
 * the control plane validates saved configs with the same function before storing them.
 * Unknown fields are kept (wire compatibility), known fields are validated, and an invalid config gets
 * a 400 that names the bad path.
 */
const statusCodes = z.array(z.number().int().min(100).max(599));

export const retrySchema = z.object({
  attempts: z.number().int().min(0).max(5),
  on_status_codes: statusCodes.optional(),
  use_retry_after_header: z.boolean().optional(),
}).loose();

/**
 * Portico's own: which embedding model a semantic cache embeds the last user message with, and whose
 * credential pays for it. A target like a config leaf (a provider with api_key / custom_host, or a
 * virtual key), plus the model. Strict: a misspelt field would silently embed with the wrong thing.
 */
export const semanticEmbeddingSchema = z.strictObject({
  provider: z.string().min(1).optional(),
  virtual_key: z.string().min(1).optional(),
  api_key: z.string().optional(),
  custom_host: z.string().optional(),
  model: z.string({ message: 'cache.semantic.embedding.model is required: the embedding model to call, e.g. text-embedding-3-small' }).min(1),
  /** Milliseconds before the embedding call gives up (and the lookup falls back to exact matching). */
  request_timeout: z.number().int().positive().max(60_000).optional(),
}).refine((e) => e.provider !== undefined || e.virtual_key !== undefined, {
  message: 'cache.semantic.embedding needs provider or virtual_key',
});

export type SemanticEmbedding = z.infer<typeof semanticEmbeddingSchema>;

/** Portico's own semantic-cache settings (mode "semantic" only). Strict, as above. */
export const semanticCacheSchema = z.strictObject({
  /** Least cosine similarity of a hit, (0, 1]; Portkey's default 0.95. */
  threshold: z.number().gt(0).max(1).optional(),
  /** Without it, the gateway's SEMANTIC_CACHE_EMBEDDING applies. */
  embedding: semanticEmbeddingSchema.optional(),
});

export type SemanticCacheSettings = z.infer<typeof semanticCacheSchema>;

export const cacheSchema = z.object({
  mode: z.enum(['simple', 'semantic', 'disabled']),
  max_age: z.number().int().positive().optional(),
  semantic: semanticCacheSchema.optional(),
}).loose().refine((c) => c.semantic === undefined || c.mode === 'semantic', {
  message: 'cache.semantic applies only with mode "semantic"; remove it or set mode to "semantic"',
  path: ['semantic'],
});

/**
 * Portkey's circuit breaker (strategy.cb_config). Strict: a misspelt field would silently leave a
 * breaker that never opens, so unknown fields are refused by name.
 */
export const cbConfigSchema = z.strictObject({
  failure_threshold: z.number().int().min(1).optional(),
  failure_threshold_percentage: z.number().gt(0).max(100).optional(),
  cooldown_interval: z.number().int().positive(),
  failure_status_codes: statusCodes.min(1).optional(),
  minimum_requests: z.number().int().min(1).optional(),
}).refine((c) => c.failure_threshold !== undefined || c.failure_threshold_percentage !== undefined, {
  message: 'cb_config needs failure_threshold or failure_threshold_percentage (or both)',
});

export type CbConfig = z.infer<typeof cbConfigSchema>;

const conditionSchema = z.object({ query: z.record(z.string(), z.unknown()), then: z.string().min(1) }).loose();

export const strategySchema = z.object({
  mode: z.enum(['single', 'fallback', 'loadbalance', 'conditional'], { message: 'strategy.mode must be one of single, fallback, loadbalance, conditional' }),
  on_status_codes: statusCodes.optional(),
  conditions: z.array(conditionSchema).optional(),
  default: z.string().optional(),
  cb_config: cbConfigSchema.optional(),
  /** Portico's own: loadbalance by conversation prefix (or x-portkey-sticky-key) so prompt caches hit. */
  sticky: z.union([z.boolean(), z.strictObject({ prefix_messages: z.number().int().min(1).max(64).optional() })]).optional(),
}).loose();

export interface RawTarget {
  name?: string;
  provider?: string;
  api_key?: string;
  virtual_key?: string;
  custom_host?: string;
  override_params?: Record<string, unknown>;
  weight?: number;
  retry?: z.infer<typeof retrySchema>;
  cache?: z.infer<typeof cacheSchema>;
  request_timeout?: number;
  forward_headers?: string[];
  strategy?: z.infer<typeof strategySchema>;
  targets?: RawTarget[];
  [k: string]: unknown;
}

export const targetSchema: z.ZodType<RawTarget> = z.lazy(() =>
  z.object({
    name: z.string().optional(),
    provider: z.string().min(1).optional(),
    api_key: z.string().optional(),
    virtual_key: z.string().optional(),
    custom_host: z.string().optional(),
    override_params: z.record(z.string(), z.unknown()).optional(),
    weight: z.number().min(0).optional(),
    retry: retrySchema.optional(),
    cache: cacheSchema.optional(),
    request_timeout: z.number().int().positive().optional(),
    forward_headers: z.array(z.string()).optional(),
    strategy: strategySchema.optional(),
    targets: z.array(targetSchema).min(1).optional(),
  }).loose(),
);

export type RoutingConfig = RawTarget;

/** A per-node check the caller adds; returns [path, message] for the first problem, or undefined. */
export type ConfigNodeCheck = (node: RawTarget, path: string, isRoot: boolean) => [string, string] | undefined;

export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = 'config';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

const invalid = (source: string, message: string) =>
  new GatewayError({ status: 400, param: source, code: 'invalid_config', message });

/** Parses config JSON text; throws a 400 naming the source when it is not a JSON object. */
export function parseConfigJson(json: string, source = 'x-portkey-config'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw invalid(source, `${source} is not valid JSON (${(e as Error).message}); send a JSON object or the id of a saved config`);
  }
  return value;
}

/**
 * How big a config may be. Inline configs come from any key holder, and each target is an upstream call
 * a fallback may make, so the size of the tree is bounded before anything walks it recursively.
 * `names` are the settings that raise a bound, for the error message.
 */
export interface ConfigBounds {
  /** Targets in the whole config, at every depth. */
  maxTargets: number;
  /** Levels of nested targets below the root (a root with targets is depth 1). */
  maxDepth: number;
  names?: { maxTargets?: string; maxDepth?: string };
}

export const DEFAULT_CONFIG_BOUNDS: ConfigBounds = { maxTargets: 50, maxDepth: 5 };

/**
 * Counts targets and nesting without recursion (a config nested thousands deep must not overflow the
 * stack), stopping at the first bound crossed. Returns the 400's message, or undefined.
 */
export function checkConfigBounds(value: unknown, bounds: ConfigBounds = DEFAULT_CONFIG_BOUNDS): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 0]];
  let targets = 0;
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    const children = (node as { targets?: unknown } | null)?.targets;
    if (!Array.isArray(children)) continue;
    if (depth + 1 > bounds.maxDepth) {
      return `targets are nested more than ${bounds.maxDepth} levels deep; the limit is ${bounds.maxDepth}${named(bounds.names?.maxDepth)}`;
    }
    targets += children.length;
    if (targets > bounds.maxTargets) {
      return `the config has more than ${bounds.maxTargets} targets; the limit is ${bounds.maxTargets} per config${named(bounds.names?.maxTargets)}`;
    }
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return undefined;
}

const named = (setting: string | undefined) => (setting ? ` (${setting})` : '');

/**
 * Validates a parsed config: its size (bounds), shape (zod), then structure (strategies and their
 * targets), then the caller's nodeCheck on every node. Throws a 400 GatewayError naming the first bad path.
 */
export function validateRoutingConfig(value: unknown, source = 'x-portkey-config', nodeCheck?: ConfigNodeCheck, bounds: ConfigBounds = DEFAULT_CONFIG_BOUNDS): RoutingConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, `${source} must be a JSON object`);
  const tooBig = checkConfigBounds(value, bounds);
  if (tooBig) throw invalid(source, `${source}: ${tooBig}`);
  const result = targetSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalid(source, `${source}: ${formatConfigPath(issue.path)}: ${issue.message}`);
  }
  checkStructure(result.data, 'config', source, true, nodeCheck);
  return result.data;
}

function checkStructure(node: RawTarget, path: string, source: string, isRoot: boolean, nodeCheck?: ConfigNodeCheck): void {
  const fail = (where: string, message: string): never => {
    throw invalid(source, `${source}: ${where}: ${message}`);
  };
  const extra = nodeCheck?.(node, path, isRoot);
  if (extra) fail(extra[0], extra[1]);
  const mode = node.strategy?.mode;
  if (node.targets) {
    if (!node.strategy) fail(`${path}.strategy`, 'a config with targets needs a strategy, e.g. {"mode":"fallback"}');
    if (mode === 'single' && node.targets.length !== 1) fail(`${path}.targets`, 'strategy mode single takes exactly one target');
    if (node.strategy?.sticky && mode !== 'loadbalance') fail(`${path}.strategy.sticky`, 'sticky applies to loadbalance only; remove it or use mode loadbalance');
    if (mode === 'loadbalance' && node.targets.every((t) => (t.weight ?? 1) === 0)) fail(`${path}.targets`, 'loadbalance needs at least one target with a weight above 0');
    if (mode === 'conditional') {
      const names = new Set(node.targets.map((t) => t.name).filter(Boolean));
      const conditions = node.strategy!.conditions ?? [];
      if (conditions.length === 0 && !node.strategy!.default) fail(`${path}.strategy.conditions`, 'conditional mode needs conditions (and usually a default)');
      conditions.forEach((c, i) => {
        if (!names.has(c.then)) fail(`${path}.strategy.conditions[${i}].then`, `no target is named "${c.then}"; give a target that name`);
      });
      if (node.strategy!.default && !names.has(node.strategy!.default)) fail(`${path}.strategy.default`, `no target is named "${node.strategy!.default}"`);
    }
    node.targets.forEach((t, i) => checkStructure(t, `${path}.targets[${i}]`, source, false, nodeCheck));
  } else if (mode && mode !== 'single') {
    fail(`${path}.targets`, `strategy mode ${mode} needs a non-empty targets array`);
  }
}
