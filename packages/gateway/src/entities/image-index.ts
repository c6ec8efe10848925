import type { GatewayKey, LimitPolicy, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey, WorkspaceLimits } from '@portico/contract';
import { OrgLimits } from '../limits/policies.js';
import { lookupName } from './name-table.js';
import type { EntityKind, SnapshotImage } from './raw-snapshot.js';

/** What requests read of one organisation's synced entities; replaced whole, never changed half-way. */
export interface EntityIndex {
  organisation: string;
  version: number;
  /** The key unless it has expired. */
  key(hash: string, now?: number): GatewayKey | undefined;
  virtualKey(slug: string): VirtualKey | undefined;
  config(idOrSlug: string): SavedConfig | undefined;
  prompt(idOrSlug: string): Prompt | undefined;
  partial(slugOrId: string): PromptPartial | undefined;
  guardrail(idOrSlug: string): SavedGuardrail | undefined;
  userLimit(user: string): LimitRule[] | undefined;
  /** Usage-limit and rate-limit policies and workspace limits (limits/policies.ts). */
  readonly limits: OrgLimits;
  counts(): Record<string, number>;
}

const decoder = new TextDecoder();

/** Expiry of a key: its expires_at as epoch ms (an unreadable date is 0: refused), or none. */
function expiryOf(k: GatewayKey): number | undefined {
  if (!k.expires_at) return undefined;
  const at = Date.parse(k.expires_at);
  return Number.isNaN(at) ? 0 : at;
}

/**
 * A SnapshotImage served as it came from the worker: names found through its hash tables, each
 * entity parsed from its JSON on first lookup. Installing one costs the event loop nothing but the
 * assignment. Nothing in it changes but the parse cache, and `version` when a long poll confirms it.
 */
export class ImageIndex implements EntityIndex {
  organisation: string;
  version: number;
  private readonly parsed: unknown[];
  private readonly expiries = new Map<number, number>();
  private readonly userLimits: Record<string, LimitRule[]>;
  readonly limits = new OrgLimits();

  constructor(private readonly image: SnapshotImage) {
    this.organisation = image.organisation;
    this.version = image.version;
    this.parsed = new Array(image.ends.length);
    const limits = JSON.parse(image.userLimits) as unknown;
    this.userLimits = limits && typeof limits === 'object' ? (limits as Record<string, LimitRule[]>) : {};
    // Few and small (at most 100 active policies a workspace): built at once, unlike the entities.
    const org = JSON.parse(image.limits ?? '{}') as { policies?: LimitPolicy[]; workspaces?: WorkspaceLimits[] };
    for (const p of org.policies ?? []) this.limits.upsertPolicy(p);
    for (const w of org.workspaces ?? []) this.limits.upsertWorkspace(w);
  }

  private slotOf(kind: EntityKind, name: string): number {
    return lookupName(this.image.kinds[kind], name);
  }

  private entity<T>(kind: EntityKind, name: string): T | undefined {
    const slot = this.slotOf(kind, name);
    if (slot === -1) return undefined;
    let e = this.parsed[slot] as T | undefined;
    if (e === undefined) {
      const ends = this.image.ends;
      e = JSON.parse(decoder.decode(this.image.bytes.subarray(slot === 0 ? 0 : ends[slot - 1], ends[slot]))) as T;
      this.parsed[slot] = e;
      if (kind === 'key') {
        const at = expiryOf(e as GatewayKey);
        if (at !== undefined) this.expiries.set(slot, at);
      }
    }
    return e;
  }

  key(hash: string, now = Date.now()): GatewayKey | undefined {
    const k = this.entity<GatewayKey>('key', hash);
    if (!k || this.expiries.size === 0) return k;
    const at = this.expiries.get(this.slotOf('key', hash));
    return at !== undefined && at <= now ? undefined : k;
  }

  virtualKey(slug: string): VirtualKey | undefined {
    return this.entity('virtualKey', slug);
  }

  config(idOrSlug: string): SavedConfig | undefined {
    return this.entity('config', idOrSlug);
  }

  prompt(idOrSlug: string): Prompt | undefined {
    return this.entity('prompt', idOrSlug);
  }

  partial(slugOrId: string): PromptPartial | undefined {
    return this.entity('partial', slugOrId);
  }

  guardrail(idOrSlug: string): SavedGuardrail | undefined {
    return this.entity('guardrail', idOrSlug);
  }

  userLimit(user: string): LimitRule[] | undefined {
    const l = this.userLimits;
    return Object.hasOwn(l, user) ? l[user] : Object.hasOwn(l, '*') ? l['*'] : undefined;
  }

  counts(): Record<string, number> {
    const k = this.image.kinds;
    return { keys: k.key.count, virtual_keys: k.virtualKey.count, configs: k.config.count, prompts: k.prompt.count, guardrails: k.guardrail.count, partials: k.partial.count };
  }
}
