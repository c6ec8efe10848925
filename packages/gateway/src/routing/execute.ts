import { GatewayError } from '../errors.js';
import type { AbortLike } from '../upstream/abort.js';
import type { RawTarget, RoutingConfig } from './config-schema.js';
import { evaluateQuery, type QueryContext } from './conditional.js';
import { withRetries, type RetryPolicy } from './retry.js';

/**
 * Walks a routing config: single, fallback, weighted loadbalance and conditional strategies, with
 * nested targets inheriting their parents' settings, and retries per leaf target.
 */

/** A leaf target with everything it inherited resolved. */
export interface EffectiveTarget {
  /** Where in the config this target sits, e.g. "config.targets[1]". */
  path: string;
  provider?: string;
  apiKey?: string;
  virtualKey?: string;
  customHost?: string;
  overrideParams?: Record<string, unknown>;
  retry?: RetryPolicy;
  cache?: { mode: string; max_age?: number };
  requestTimeout?: number;
  forwardHeaders?: string[];
  /** Provider-specific snake_case settings (resource_name, aws_region, ...). */
  settings: Record<string, string>;
}

const STRUCTURAL_KEYS = new Set([
  'name', 'provider', 'api_key', 'virtual_key', 'custom_host', 'override_params', 'weight', 'retry', 'cache',
  'request_timeout', 'forward_headers', 'strategy', 'targets',
]);

/** Applies a config node on top of what its parent passed down. */
export function inheritTarget(parent: EffectiveTarget, node: RawTarget, path: string): EffectiveTarget {
  // Credentials belong to a provider: a child that names another provider does not inherit them.
  const sameProvider = !node.provider || !parent.provider || node.provider === parent.provider;
  const settings: Record<string, string> = sameProvider ? { ...parent.settings } : {};
  for (const [k, v] of Object.entries(node)) {
    if (!STRUCTURAL_KEYS.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) settings[k] = String(v);
    // Portkey's schema gives the service account key as an object; settings hold it as its JSON text.
    else if (k === 'vertex_service_account_json' && typeof v === 'object' && v !== null) settings[k] = JSON.stringify(v);
  }
  return {
    path,
    provider: node.provider ?? parent.provider,
    apiKey: node.api_key ?? (sameProvider && !node.virtual_key ? parent.apiKey : undefined),
    virtualKey: node.virtual_key ?? (sameProvider && !node.api_key ? parent.virtualKey : undefined),
    customHost: node.custom_host ?? (sameProvider ? parent.customHost : undefined),
    overrideParams: node.override_params ? { ...parent.overrideParams, ...node.override_params } : parent.overrideParams,
    retry: node.retry ?? parent.retry,
    cache: node.cache ?? parent.cache,
    requestTimeout: node.request_timeout ?? parent.requestTimeout,
    forwardHeaders: node.forward_headers ?? parent.forwardHeaders,
    settings,
  };
}

export interface ExecutionReport {
  /** Retries of the target that produced the outcome. */
  retries: number;
  /** Targets tried after the first one failed. */
  fallbacks: number;
  /** The last target tried. */
  target?: EffectiveTarget;
}

export interface ExecuteHooks {
  onRetry?(target: EffectiveTarget, error: GatewayError): void;
  onFallback?(from: EffectiveTarget, error: GatewayError): void;
  random?: () => number;
  signal?: AbortLike;
  /** False once the request cannot be sent again (its streamed body is spent): no retry, no fallback. */
  canRepeat?: () => boolean;
}

const FINAL = new WeakSet<GatewayError>();

/**
 * Marks an error that ends a request's walk through its config at once, with no retry or fallback:
 * another target cannot help (the request's own limits are spent, the gateway is out of buffer room).
 */
export function endingTheWalk(e: GatewayError): GatewayError {
  FINAL.add(e);
  return e;
}

/**
 * Runs `runLeaf` on the config's targets as its strategy says. Resolves with the first success; rejects
 * with the last failure (a GatewayError) once every permitted target and retry is spent.
 */
export async function executeConfig<T>(
  config: RoutingConfig,
  base: EffectiveTarget,
  query: QueryContext,
  runLeaf: (target: EffectiveTarget) => Promise<T>,
  hooks: ExecuteHooks = {},
): Promise<{ value: T; report: ExecutionReport }> {
  const report: ExecutionReport = { retries: 0, fallbacks: 0 };
  const random = hooks.random ?? Math.random;
  // One target and no retries (the headers alone, or a config without targets): nothing to walk.
  if (!config.targets) {
    const only = inheritTarget(base, config, 'config');
    if (!only.retry?.attempts) {
      report.target = only;
      return { value: await runLeaf(only), report };
    }
  }

  async function run(node: RawTarget, inherited: EffectiveTarget, path: string): Promise<T> {
    const effective = inheritTarget(inherited, node, path);
    const targets = node.targets;
    if (!targets) {
      report.target = effective;
      try {
        const { value, retries } = await withRetries(effective.retry, () => runLeaf(effective), {
          onRetry: (err) => hooks.onRetry?.(effective, err),
          signal: hooks.signal,
          canRepeat: hooks.canRepeat,
        });
        report.retries = retries;
        return value;
      } catch (e) {
        report.retries = (e as { retries?: number }).retries ?? 0;
        throw e;
      }
    }
    const mode = node.strategy?.mode ?? 'single';
    const child = (i: number) => `${path}.targets[${i}]`;
    switch (mode) {
      case 'single':
        return run(targets[0], effective, child(0));
      case 'loadbalance': {
        const i = pickWeighted(targets, random);
        return run(targets[i], effective, child(i));
      }
      case 'conditional': {
        const name = pickConditional(node, query);
        const i = targets.findIndex((t) => t.name === name);
        if (i === -1) {
          throw new GatewayError({ status: 400, code: 'no_matching_condition', param: 'x-portkey-config', message: `No condition in ${path}.strategy matched this request and there is no default target; add "default" to the strategy` });
        }
        return run(targets[i], effective, child(i));
      }
      case 'fallback': {
        const codes = node.strategy?.on_status_codes;
        let lastError: unknown;
        for (let i = 0; i < targets.length; i++) {
          if (i > 0) report.fallbacks++;
          try {
            return await run(targets[i], effective, child(i));
          } catch (e) {
            lastError = e;
            if (!(e instanceof GatewayError) || hooks.signal?.aborted) throw e;
            const triggers = codes ? codes.includes(e.status) : e.status >= 400;
            if (!triggers || i === targets.length - 1 || hooks.canRepeat?.() === false || FINAL.has(e)) throw e;
            hooks.onFallback?.(report.target ?? effective, e);
          }
        }
        throw lastError;
      }
    }
  }

  const value = await run(config, base, 'config');
  return { value, report };
}

export function pickWeighted(targets: RawTarget[], random: () => number): number {
  let total = 0;
  for (const t of targets) total += t.weight ?? 1;
  let r = random() * total;
  for (let i = 0; i < targets.length; i++) {
    r -= targets[i].weight ?? 1;
    if (r < 0) return i;
  }
  // Floating-point edge: fall back to the last target with weight.
  for (let i = targets.length - 1; i >= 0; i--) if ((targets[i].weight ?? 1) > 0) return i;
  return 0;
}

function pickConditional(node: RawTarget, query: QueryContext): string | undefined {
  for (const c of node.strategy?.conditions ?? []) {
    if (evaluateQuery(c.query, query)) return c.then;
  }
  return node.strategy?.default;
}
