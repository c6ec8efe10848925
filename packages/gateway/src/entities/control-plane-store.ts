import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { LimitRule, PromptPartial, SavedGuardrail } from '@portico/contract';
import { OrgSync, type OrgSyncOptions, type SyncLogger } from './org-sync.js';
import type { EntityIndex } from './image-index.js';
import { SnapshotBuilder } from './snapshot-builder.js';
import { SnapshotCipher, type SnapshotPersistence } from './snapshot-persistence.js';
import { SyncClient } from './sync-client.js';
import type { EntityScope, EntityStore, GatewayKey, Prompt, SavedConfig, VirtualKey } from './types.js';
import type { OrgLimits } from '../limits/policies.js';

export interface ControlPlaneStoreOptions extends Partial<OrgSyncOptions> {
  url: string;
  clientAuth: string;
  organisations: string[];
  persistence?: SnapshotPersistence;
  /** Seals the persisted snapshot; by default under a key derived from clientAuth. */
  cipher?: SnapshotCipher;
  logger: SyncLogger;
  registry?: Registry;
  /** Parses sync answers off the event loop; false parses them on it (the fallback, and tests). */
  builder?: SnapshotBuilder | false;
}

/**
 * The entity store of a gateway synced from a control plane (CONTROL_PLANE_URL, PORTKEY_CLIENT_AUTH,
 * ORGANISATIONS_TO_SYNC). Every lookup reads memory: the snapshot and changes arrive beside the request
 * path (see OrgSync), so no request waits on the control plane. A synced gateway always requires a
 * gateway key: until a snapshot is there (from the control plane or persisted), every key is unknown.
 */
export class ControlPlaneEntityStore implements EntityStore {
  readonly kind = 'control-plane';
  private readonly syncs: OrgSync[];
  /** The control plane's HTTP client (the analytics shipper sends through it too). */
  readonly client: SyncClient;
  private readonly listeners: Array<() => void> = [];
  private readonly reachableListeners: Array<() => void> = [];
  private readonly builder?: SnapshotBuilder;

  constructor(private readonly options: ControlPlaneStoreOptions) {
    this.client = new SyncClient(options.url, options.clientAuth);
    const syncOptions: OrgSyncOptions = {
      waitSeconds: options.waitSeconds ?? 25,
      retryMinMs: options.retryMinMs ?? 250,
      retryMaxMs: options.retryMaxMs ?? 3000,
      persistDebounceMs: options.persistDebounceMs ?? 1000,
      snapshotTimeoutMs: options.snapshotTimeoutMs ?? 60_000,
    };
    const metrics = options.registry ? syncMetrics(options.registry, () => this.syncs) : undefined;
    this.builder = options.builder === false ? undefined : (options.builder ?? new SnapshotBuilder((reason) => options.logger.error({ err: reason }, 'sync: the snapshot worker is out of use; sync answers are parsed on the event loop from now on')));
    this.syncs = options.organisations.map((org) => new OrgSync(org, this.client, options.persistence ? { store: options.persistence, cipher: options.cipher ?? new SnapshotCipher(options.clientAuth) } : undefined, syncOptions, {
      applied: (kind, seconds, count) => metrics?.applied(org, kind, seconds, count),
      error: () => metrics?.errors.inc({ organisation: org }),
      changed: () => this.notify(this.listeners),
      reachable: () => this.notify(this.reachableListeners),
    }, options.logger, this.builder));
  }

  /** Starts syncing; resolves once every organisation has a snapshot to serve, or after waitMs. */
  async start(waitMs: number): Promise<void> {
    for (const s of this.syncs) s.start();
    await Promise.all(this.syncs.map((s) => s.ready(waitMs)));
  }

  private find<T>(pick: (idx: EntityIndex) => T | undefined): T | undefined {
    for (const s of this.syncs) {
      const v = s.index && pick(s.index);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * An entity the scope may use: from the scope's organisation only, and of its workspace when both
   * the entity and the key have one. Another tenant's entity is as absent as a missing one.
   */
  private scoped<T extends { workspace?: string }>(pick: (idx: EntityIndex) => T | undefined, scope: EntityScope | undefined): T | undefined {
    const found = scope?.organisation !== undefined
      ? ((s) => s?.index && pick(s.index))(this.syncs.find((s) => s.organisation === scope.organisation))
      : this.find(pick);
    if (!found) return undefined;
    if (scope?.workspace && found.workspace && found.workspace !== scope.workspace) return undefined;
    return found;
  }

  authRequired(): boolean {
    return true;
  }

  async findKeyByHash(hash: string): Promise<GatewayKey | undefined> {
    const now = Date.now();
    return this.find((i) => i.key(hash, now));
  }

  async getVirtualKey(slug: string, scope?: EntityScope): Promise<VirtualKey | undefined> {
    return this.scoped((i) => i.virtualKey(slug), scope);
  }

  async getConfig(id: string, scope?: EntityScope): Promise<SavedConfig | undefined> {
    return this.scoped((i) => i.config(id), scope);
  }

  async getPrompt(id: string, scope?: EntityScope): Promise<Prompt | undefined> {
    return this.scoped((i) => i.prompt(id), scope);
  }

  async getPartial(slug: string, scope?: EntityScope): Promise<PromptPartial | undefined> {
    return this.scoped((i) => i.partial(slug), scope);
  }

  async getGuardrail(id: string, scope?: EntityScope): Promise<SavedGuardrail | undefined> {
    return this.scoped((i) => i.guardrail(id), scope);
  }

  async userLimits(user: string): Promise<LimitRule[] | undefined> {
    return this.find((i) => i.userLimit(user));
  }

  orgLimits(organisation: string): OrgLimits | undefined {
    return this.syncs.find((s) => s.organisation === organisation)?.index?.limits;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called when the control plane answers the sync loop again after failing (the analytics shipper replays then). */
  onReachable(listener: () => void): void {
    this.reachableListeners.push(listener);
  }

  private notify(listeners: Array<() => void>): void {
    for (const l of listeners) {
      try {
        l();
      } catch (e) {
        this.options.logger.warn({ err: (e as Error).message }, 'sync: a listener threw');
      }
    }
  }

  /** Per organisation: version, source, counts and the control plane's reachability, for /v1/health. */
  syncState(): Record<string, unknown> {
    const now = Date.now();
    const out: Record<string, unknown> = {};
    for (const s of this.syncs) {
      out[s.organisation] = {
        version: s.index?.version ?? null,
        source: s.source,
        last_contact_s_ago: s.lastContact ? Math.round((now - s.lastContact) / 1000) : null,
        ...(s.lastError ? { error: s.lastError, failing_for_s: Math.round((now - s.failingSince) / 1000) } : {}),
        ...(s.index ? { entities: s.index.counts() } : {}),
      };
    }
    return out;
  }

  /** Degraded, never down: a gateway serves from its last good snapshot while the control plane is away. */
  health(): { status: 'ok' | 'degraded'; detail?: string; sync?: Record<string, unknown> } {
    const problems: string[] = [];
    for (const s of this.syncs) {
      if (!s.index) problems.push(`${s.organisation}: no snapshot yet${s.lastError ? ` (${s.lastError})` : ''}; its keys are refused until one arrives`);
      else if (s.lastError) problems.push(`${s.organisation}: ${s.lastError}; serving snapshot version ${s.index.version} (${s.source})`);
      else if (s.source !== 'control-plane') problems.push(`${s.organisation}: serving the persisted snapshot until the control plane answers`);
    }
    const sync = this.syncState();
    return problems.length ? { status: 'degraded', detail: problems.join('; '), sync } : { status: 'ok', sync };
  }

  async close(): Promise<void> {
    await Promise.all(this.syncs.map((s) => s.close()));
    await this.builder?.close();
    await this.client.close();
  }
}

function syncMetrics(registry: Registry, syncs: () => OrgSync[]) {
  const lag = new Gauge({
    name: 'portico_sync_lag_seconds', help: 'Seconds since the control plane last confirmed this gateway is up to date (snapshot or long poll answered), per organisation.', labelNames: ['organisation'], registers: [registry],
    collect() {
      const now = Date.now();
      for (const s of syncs()) this.set({ organisation: s.organisation }, s.lastContact ? (now - s.lastContact) / 1000 : -1);
    },
  });
  void lag;
  new Gauge({
    name: 'portico_sync_version', help: 'Sync version the gateway serves, per organisation.', labelNames: ['organisation'], registers: [registry],
    collect() {
      for (const s of syncs()) this.set({ organisation: s.organisation }, s.index?.version ?? -1);
    },
  });
  const applyTime = new Histogram({ name: 'portico_sync_apply_seconds', help: 'Time to download and apply a snapshot, or to apply a batch of changes.', labelNames: ['kind'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const appliedItems = new Counter({ name: 'portico_sync_applied_total', help: 'Snapshots, persisted snapshots and changes applied.', labelNames: ['organisation', 'kind'], registers: [registry] });
  const errors = new Counter({ name: 'portico_sync_errors_total', help: 'Failed sync calls to the control plane.', labelNames: ['organisation'], registers: [registry] });
  return {
    errors,
    applied(org: string, kind: string, seconds: number, count: number) {
      applyTime.observe({ kind }, seconds);
      appliedItems.inc({ organisation: org, kind }, kind === 'changes' ? count : 1);
    },
  };
}
