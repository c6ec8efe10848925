import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { findQueryProblem } from './conditional.js';
import { compileGuardrails, GuardrailConfigError, hasGuardrails, type Guardrails } from '../guardrails/hooks.js';

/**
 * Portkey's routing-config JSON (snake_case). Unknown fields are kept (wire compatibility), known
 * fields are validated, and an invalid config gets a 400 that names the bad path.
 */
const statusCodes = z.array(z.number().int().min(100).max(599));

const retrySchema = z.object({
  attempts: z.number().int().min(0).max(5),
  on_status_codes: statusCodes.optional(),
  use_retry_after_header: z.boolean().optional(),
}).loose();

const cacheSchema = z.object({
  mode: z.enum(['simple', 'semantic', 'disabled']),
  max_age: z.number().int().positive().optional(),
}).loose();

const conditionSchema = z.object({ query: z.record(z.string(), z.unknown()), then: z.string().min(1) }).loose();

const strategySchema = z.object({
  mode: z.enum(['single', 'fallback', 'loadbalance', 'conditional'], { message: 'strategy.mode must be one of single, fallback, loadbalance, conditional' }),
  on_status_codes: statusCodes.optional(),
  conditions: z.array(conditionSchema).optional(),
  default: z.string().optional(),
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

const targetSchema: z.ZodType<RawTarget> = z.lazy(() =>
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

function formatPath(path: PropertyKey[]): string {
  let out = 'config';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `.${String(p)}`;
  return out;
}

/**
 * Parses and validates a config; throws a 400 GatewayError naming the first bad path. `trusted`: a
 * saved config, which operators write (inline configs come from any client).
 */
export function parseRoutingConfig(json: string, source = 'x-portkey-config', trusted = false): RoutingConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source} is not valid JSON (${(e as Error).message}); send a JSON object or the id of a saved config` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source} must be a JSON object` });
  }
  const result = targetSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = formatPath(issue.path);
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source}: ${path}: ${issue.message}` });
  }
  checkStructure(result.data, 'config', source);
  try {
    const guardrails = compileGuardrails(result.data, trusted);
    if (guardrails) compiledGuardrails.set(result.data, guardrails);
  } catch (e) {
    if (!(e instanceof GuardrailConfigError)) throw e;
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source}: ${e.path}: ${e.message}` });
  }
  return result.data;
}

/** Guardrails compiled with their config, so a cached config is not compiled again per request. */
const compiledGuardrails = new WeakMap<RoutingConfig, Guardrails>();

/** The config's guardrails (root level); undefined when it has none. */
export function guardrailsOf(config: RoutingConfig): Guardrails | undefined {
  return compiledGuardrails.get(config);
}

function checkStructure(node: RawTarget, path: string, source: string): void {
  const fail = (where: string, message: string) => {
    throw new GatewayError({ status: 400, param: source, code: 'invalid_config', message: `${source}: ${where}: ${message}` });
  };
  const mode = node.strategy?.mode;
  if (node.targets) {
    if (!node.strategy) fail(`${path}.strategy`, 'a config with targets needs a strategy, e.g. {"mode":"fallback"}');
    if (mode === 'single' && node.targets.length !== 1) fail(`${path}.targets`, 'strategy mode single takes exactly one target');
    if (mode === 'loadbalance' && node.targets.every((t) => (t.weight ?? 1) === 0)) fail(`${path}.targets`, 'loadbalance needs at least one target with a weight above 0');
    if (mode === 'conditional') {
      const names = new Set(node.targets.map((t) => t.name).filter(Boolean));
      const conditions = node.strategy!.conditions ?? [];
      if (conditions.length === 0 && !node.strategy!.default) fail(`${path}.strategy.conditions`, 'conditional mode needs conditions (and usually a default)');
      conditions.forEach((c, i) => {
        const problem = findQueryProblem(c.query);
        if (problem) fail(`${path}.strategy.conditions[${i}].query`, problem);
        if (!names.has(c.then)) fail(`${path}.strategy.conditions[${i}].then`, `no target is named "${c.then}"; give a target that name`);
      });
      if (node.strategy!.default && !names.has(node.strategy!.default)) fail(`${path}.strategy.default`, `no target is named "${node.strategy!.default}"`);
    }
    node.targets.forEach((t, i) => {
      const at = `${path}.targets[${i}]`;
      if (hasGuardrails(t)) fail(at, 'guardrails (before_request_hooks, after_request_hooks, input_guardrails, output_guardrails) apply to the whole request; move them to the config root');
      checkStructure(t, at, source);
    });
  } else if (mode && mode !== 'single') {
    fail(`${path}.targets`, `strategy mode ${mode} needs a non-empty targets array`);
  }
}

/** Validated configs by their exact string, so a config is validated once, not on every request. */
export class RoutingConfigCache {
  private readonly entries = new Map<string, RoutingConfig>();
  constructor(private readonly max = 500) {}

  get(json: string, source?: string, trusted = false): RoutingConfig {
    // A saved config may use what an inline one may not: the same text is a different entry.
    const key = trusted ? `saved\0${json}` : json;
    const hit = this.entries.get(key);
    if (hit) return hit;
    const parsed = parseRoutingConfig(json, source, trusted);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, parsed);
    return parsed;
  }

  get size(): number {
    return this.entries.size;
  }
}
