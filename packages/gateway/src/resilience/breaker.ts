import { createHash } from 'node:crypto';
import type { CbConfig, RoutingConfig } from '@portico/contract';
import { GatewayError } from '../errors.js';
import { effectiveCb, isBreakerFailure, type Admission, type BreakerState, type EffectiveCb } from './breaker-policy.js';
import type { BreakerStore } from './breaker-store.js';

/**
 * Circuit breakers per config and target (Portkey's strategy.cb_config). A breaker's key is the
 * config's content hash plus the target's path, so every replica given the same config (inline or
 * saved) shares one breaker per target. The store decides; this class also keeps what this replica
 * last saw of each breaker, bounded, for /metrics and /health.
 */

export interface BreakerView {
  config: string;
  target: string;
  state: BreakerState;
  /** When an open breaker lets a probe through (ms since epoch). */
  retry_at?: number;
  opened_total: number;
}

/** A target's breaker, as the router sees it. */
export interface BreakerRef {
  key: string;
  config: string;
  target: string;
  cb: EffectiveCb;
}

const configIds = new WeakMap<RoutingConfig, string>();

/** A short content hash of a config (cached per parsed config object). */
export function configId(config: RoutingConfig): string {
  let id = configIds.get(config);
  if (!id) {
    id = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
    configIds.set(config, id);
  }
  return id;
}

export class CircuitBreakers {
  private readonly seen = new Map<string, BreakerView>();

  constructor(
    readonly store: BreakerStore,
    private readonly options: { minCooldownMs: number; maxTracked?: number; now?: () => number; onOpened?: (config: string, target: string) => void } = { minCooldownMs: 30_000 },
  ) {}

  /** Called each time this replica sees a breaker open (the metrics counter). */
  set onOpened(fn: (config: string, target: string) => void) {
    this.options.onOpened = fn;
  }

  get kind(): 'memory' | 'redis' {
    return this.store.kind;
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  ref(config: RoutingConfig, path: string, cb: CbConfig): BreakerRef {
    const id = configId(config);
    return { key: `${id}:${path}`, config: id, target: path, cb: effectiveCb(cb, this.options.minCooldownMs) };
  }

  async peek(ref: BreakerRef): Promise<Admission> {
    return this.note(ref, await this.store.peek(ref.key, ref.cb, this.now()));
  }

  async admit(ref: BreakerRef): Promise<Admission> {
    return this.note(ref, await this.store.admit(ref.key, ref.cb, this.now()));
  }

  /** Records an attempt's status (2xx/3xx/4xx/5xx); resolves true when it opened the breaker. */
  async record(ref: BreakerRef, status: number, probe: boolean): Promise<boolean> {
    if (status === 499) return false;
    const failed = isBreakerFailure(ref.cb, status);
    const opened = await this.store.record(ref.key, ref.cb, failed, probe, this.now());
    const view = this.view(ref);
    if (opened) {
      view.state = 'open';
      view.retry_at = this.now() + ref.cb.cooldownMs;
      view.opened_total++;
      this.options.onOpened?.(ref.config, ref.target);
    } else if (probe && !failed) {
      view.state = 'closed';
      view.retry_at = undefined;
    }
    return opened;
  }

  private note(ref: BreakerRef, a: Admission): Admission {
    const view = this.view(ref);
    view.state = a.state;
    view.retry_at = a.state === 'open' ? a.retryAt : undefined;
    return a;
  }

  private view(ref: BreakerRef): BreakerView {
    let v = this.seen.get(ref.key);
    if (v) {
      this.seen.delete(ref.key);
    } else {
      v = { config: ref.config, target: ref.target, state: 'closed', opened_total: 0 };
      if (this.seen.size >= (this.options.maxTracked ?? 200)) this.seen.delete(this.seen.keys().next().value!);
    }
    this.seen.set(ref.key, v);
    return v;
  }

  /** What this replica last saw of each breaker; an open one whose cooldown passed reads half_open. */
  views(): BreakerView[] {
    const now = this.now();
    return [...this.seen.values()].map((v) => (v.state === 'open' && v.retry_at !== undefined && v.retry_at <= now ? { ...v, state: 'half_open', retry_at: undefined } : { ...v }));
  }

  health(): { kind: 'memory' | 'redis'; open: number; half_open: number; breakers: BreakerView[] } {
    const all = this.views();
    const notClosed = all.filter((v) => v.state !== 'closed');
    return {
      kind: this.kind,
      open: notClosed.filter((v) => v.state === 'open').length,
      half_open: notClosed.filter((v) => v.state === 'half_open').length,
      breakers: notClosed.slice(0, 50),
    };
  }
}

/** The 503 when every target a strategy may use has an open breaker. */
export function allTargetsOpen(path: string, retryAt: number, now = Date.now()): GatewayError {
  const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
  return new GatewayError({
    status: 503,
    type: 'api_error',
    code: 'circuit_open',
    param: 'x-portkey-config',
    retryable: false,
    headers: { 'retry-after': String(seconds) },
    message: `Every target of ${path} is unavailable: their circuit breakers are open after repeated failures. Retry after ${seconds} s (${new Date(retryAt).toISOString()}), when one target is probed again.`,
  });
}

export const isAllOpen = (e: unknown): e is GatewayError => e instanceof GatewayError && e.code === 'circuit_open';
