import { GatewayError } from '../errors.js';
import type { AbortLike } from '../upstream/abort.js';
import type { RawTarget, RoutingConfig } from './config-schema.js';
import { evaluateQuery, type QueryContext } from './conditional.js';
import { withRetries, type RetryPolicy } from './retry.js';
import { allTargetsOpen, configId, isAllOpen, type BreakerRef, type CircuitBreakers } from '../resilience/breaker.js';
import { DEFAULT_PREFIX_MESSAGES, rendezvousPick } from '../resilience/sticky.js';
import type { TargetHealth } from '../resilience/target-health.js';
import type { CbConfig } from '@portico/contract';

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
  /**
   * Set when the value's outcome is known only later (a stream): call it once with the final status
   * (200, or the mid-stream error's) so the target's breaker counts a stream that broke as a failure.
   */
  settleBreaker?: (status: number) => void;
}

export interface ExecuteHooks {
  onRetry?(target: EffectiveTarget, error: GatewayError): void;
  onFallback?(from: EffectiveTarget, error: GatewayError): void;
  random?: () => number;
  signal?: AbortLike;
  /** False once the request cannot be sent again (its streamed body is spent): no retry, no fallback. */
  canRepeat?: () => boolean;
  /** Circuit breakers, for strategies with cb_config; without them cb_config is not enforced. */
  breakers?: CircuitBreakers;
  /** A target skipped because its breaker is open. */
  onBreakerSkip?(path: string, retryAt: number): void;
  /** A breaker's verdict on an attempt: the state it was admitted in, and whether its outcome opened it. */
  onBreakerOutcome?(path: string, admittedAs: 'closed' | 'half_open', opened: boolean): void;
  /** Recent error rate and latency per loadbalance target; scales their weights when given. */
  health?: TargetHealth;
  /** The request's sticky key (x-portkey-sticky-key, else its conversation prefix), for strategy.sticky. */
  stickyKey?(prefixMessages: number): string | undefined;
  /** True when a successful value's outcome is still open (a stream): its breaker waits for report.settleBreaker. */
  settlesLater?(value: unknown): boolean;
}

/** The breaker a leaf runs under, and whether it is the half-open probe. */
interface Gate {
  ref: BreakerRef;
  probe: boolean;
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

  const breakers = hooks.breakers;

  /** Admits a leaf child under its breaker; undefined admission means no breaker applies. */
  async function gateFor(node: RawTarget, path: string, cb: CbConfig | undefined): Promise<{ gate?: Gate; openUntil?: number }> {
    if (!breakers || !cb || node.targets) return {};
    const ref = breakers.ref(config, path, cb);
    const a = await breakers.admit(ref);
    if (a.state === 'open') {
      hooks.onBreakerSkip?.(path, a.retryAt);
      return { openUntil: a.retryAt };
    }
    return { gate: { ref, probe: a.state === 'half_open' } };
  }

  /** Runs a leaf; under a loadbalance (healthKey given) its outcome and time feed the target's health. */
  async function runLeafGated(effective: EffectiveTarget, gate: Gate | undefined, healthKey?: string): Promise<T> {
    if (healthKey && hooks.health) {
      const health = hooks.health;
      const started = performance.now();
      try {
        const value = await runLeafBreaker(effective, gate);
        health.record(healthKey, false, performance.now() - started);
        return value;
      } catch (e) {
        if (e instanceof GatewayError && e.status !== 499) health.record(healthKey, e.status >= 500 || e.status === 408, performance.now() - started);
        throw e;
      }
    }
    return runLeafBreaker(effective, gate);
  }

  async function runLeafBreaker(effective: EffectiveTarget, gate: Gate | undefined): Promise<T> {
    if (!gate || !breakers) return runLeaf(effective);
    try {
      const value = await runLeaf(effective);
      const settle = async (status: number) => {
        const opened = await breakers.record(gate.ref, status, gate.probe);
        hooks.onBreakerOutcome?.(effective.path, gate.probe ? 'half_open' : 'closed', opened);
      };
      if (hooks.settlesLater?.(value)) {
        let settled = false;
        report.settleBreaker = (status) => {
          if (settled) return;
          settled = true;
          void settle(status);
        };
      } else await settle(200);
      return value;
    } catch (e) {
      if (e instanceof GatewayError) {
        const opened = await breakers.record(gate.ref, e.status, gate.probe);
        hooks.onBreakerOutcome?.(effective.path, gate.probe ? 'half_open' : 'closed', opened);
      }
      throw e;
    }
  }

  async function run(node: RawTarget, inherited: EffectiveTarget, path: string, cbInherited?: CbConfig, gate?: Gate, healthKey?: string): Promise<T> {
    const effective = inheritTarget(inherited, node, path);
    const targets = node.targets;
    if (!targets) {
      report.target = effective;
      try {
        // A probe is one request: it is not retried, so the breaker hears about the target at once.
        const retry = gate?.probe ? undefined : effective.retry;
        let leafGate = gate;
        const { value, retries } = await withRetries(retry, () => {
          const g = leafGate;
          leafGate = g && { ref: g.ref, probe: false };
          return runLeafGated(effective, g, healthKey);
        }, {
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
    // Strategies inherit cb_config from their parent; conditional strategies are not gated (as Portkey).
    const cb = node.strategy?.cb_config ?? cbInherited;
    const child = (i: number) => `${path}.targets[${i}]`;
    switch (mode) {
      case 'single': {
        const { gate: g, openUntil } = await gateFor(targets[0], child(0), cb);
        if (openUntil !== undefined) throw allTargetsOpen(path, openUntil);
        return run(targets[0], effective, child(0), cb, g);
      }
      case 'loadbalance': {
        const sticky = node.strategy?.sticky;
        const health = hooks.health;
        if ((!breakers || !cb) && !health && !sticky) {
          const i = pickWeighted(targets, random);
          return run(targets[i], effective, child(i), cb);
        }
        const ids = targets.map((_, i) => child(i));
        const weights = targets.map((t) => t.weight ?? 1);
        const healthKeys = health ? ids.map((id) => `${configId(config)}:${id}`) : undefined;
        const stickyKey = sticky ? hooks.stickyKey?.(typeof sticky === 'object' ? sticky.prefix_messages ?? DEFAULT_PREFIX_MESSAGES : DEFAULT_PREFIX_MESSAGES) : undefined;
        if (health && healthKeys) {
          if (stickyKey) {
            // Sticky: a target keeps its keys while healthy (latency aside); a failing one, unless all are, gives them up.
            const healthy = health.healthy(healthKeys);
            if (healthy.some((h, i) => h && weights[i] > 0)) healthy.forEach((h, i) => { if (!h) weights[i] = 0; });
          } else health.factors(healthKeys).forEach((f, i) => { weights[i] *= f; });
        }
        let earliest = Infinity;
        if (breakers && cb) {
          // Targets whose breaker is open weigh nothing; a lost race for a half-open probe drops that one too.
          const peeks = await Promise.all(targets.map((t, i) => (t.targets ? undefined : breakers.peek(breakers.ref(config, ids[i], cb)))));
          peeks.forEach((a, i) => {
            if (a?.state === 'open') {
              weights[i] = 0;
              earliest = Math.min(earliest, a.retryAt);
              hooks.onBreakerSkip?.(ids[i], a.retryAt);
            }
          });
        }
        for (;;) {
          if (weights.every((w) => w === 0)) throw allTargetsOpen(path, earliest === Infinity ? Date.now() + 1000 : earliest);
          const i = stickyKey ? rendezvousPick(stickyKey, ids, weights) : pickFromWeights(weights, random);
          const { gate: g, openUntil } = await gateFor(targets[i], ids[i], cb);
          if (openUntil !== undefined) {
            weights[i] = 0;
            earliest = Math.min(earliest, openUntil);
            continue;
          }
          try {
            return await run(targets[i], effective, ids[i], cb, g, healthKeys?.[i]);
          } catch (e) {
            // A nested strategy whose targets are all open: try the others.
            if (!isAllOpen(e)) throw e;
            weights[i] = 0;
          }
        }
      }
      case 'conditional': {
        const name = pickConditional(node, query);
        const i = targets.findIndex((t) => t.name === name);
        if (i === -1) {
          throw new GatewayError({ status: 400, code: 'no_matching_condition', param: 'x-portkey-config', message: `No condition in ${path}.strategy matched this request and there is no default target; add "default" to the strategy` });
        }
        return run(targets[i], effective, child(i), cb);
      }
      case 'fallback': {
        const codes = node.strategy?.on_status_codes;
        let lastError: unknown;
        let tried = 0;
        let earliestOpen = Infinity;
        for (let i = 0; i < targets.length; i++) {
          const { gate: g, openUntil } = await gateFor(targets[i], child(i), cb);
          if (openUntil !== undefined) {
            earliestOpen = Math.min(earliestOpen, openUntil);
            continue;
          }
          if (tried > 0) report.fallbacks++;
          tried++;
          try {
            return await run(targets[i], effective, child(i), cb, g);
          } catch (e) {
            if (isAllOpen(e)) {
              tried--;
              continue;
            }
            lastError = e;
            if (!(e instanceof GatewayError) || hooks.signal?.aborted) throw e;
            const triggers = codes ? codes.includes(e.status) : e.status >= 400;
            if (!triggers || i === targets.length - 1 || hooks.canRepeat?.() === false || FINAL.has(e)) throw e;
            hooks.onFallback?.(report.target ?? effective, e);
          }
        }
        if (lastError === undefined) throw allTargetsOpen(path, earliestOpen === Infinity ? Date.now() + 1000 : earliestOpen);
        throw lastError;
      }
    }
  }

  const value = await run(config, base, 'config');
  return { value, report };
}

export function pickWeighted(targets: RawTarget[], random: () => number): number {
  return pickFromWeights(targets.map((t) => t.weight ?? 1), random);
}

export function pickFromWeights(weights: number[], random: () => number): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  // Floating-point edge: fall back to the last target with weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return 0;
}

function pickConditional(node: RawTarget, query: QueryContext): string | undefined {
  for (const c of node.strategy?.conditions ?? []) {
    if (evaluateQuery(c.query, query)) return c.then;
  }
  return node.strategy?.default;
}
