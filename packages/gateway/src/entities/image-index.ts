import type { GatewayKey, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey } from '@portico/contract';
import { KINDS, type EntityKind, type SnapshotImage } from './raw-snapshot.js';
import { Yielder } from './yielding.js';

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
 * A SnapshotImage made servable: a name → slot map per kind, built on the event loop in slices
 * (a few milliseconds for 10,000 keys), and each entity parsed from its JSON on first lookup.
 * Nothing in it changes after `build` resolves, except the parse cache and `version` when a long
 * poll confirms it with no changes.
 */
export class ImageIndex implements EntityIndex {
  organisation: string;
  version: number;
  private readonly maps = {} as Record<EntityKind, Map<string, number>>;
  private readonly parsed: unknown[];
  private readonly expiries = new Map<number, number>();
  private userLimits?: Record<string, LimitRule[]>;

  private constructor(private readonly image: SnapshotImage) {
    this.organisation = image.organisation;
    this.version = image.version;
    this.parsed = new Array(image.ends.length);
  }

  /** Indexes an image, yielding to the event loop whenever a slice ran past its budget. */
  static async build(image: SnapshotImage, yielder = new Yielder()): Promise<ImageIndex> {
    const idx = new ImageIndex(image);
    for (const kind of KINDS) {
      const t = image.kinds[kind];
      const map = new Map<string, number>();
      let start = 0;
      for (let i = 0; i < t.nameEnds.length; i++) {
        const end = t.nameEnds[i];
        map.set(t.names.slice(start, end), t.slots[i]);
        start = end;
        if ((i & 255) === 255) await yielder.maybeYield();
      }
      idx.maps[kind] = map;
    }
    const limits = JSON.parse(image.userLimits) as unknown;
    idx.userLimits = limits && typeof limits === 'object' ? (limits as Record<string, LimitRule[]>) : {};
    return idx;
  }

  private entity<T>(kind: EntityKind, name: string): T | undefined {
    const slot = this.maps[kind].get(name);
    if (slot === undefined) return undefined;
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
    if (!k) return undefined;
    const at = this.expiries.get(this.maps.key.get(hash)!);
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
    const l = this.userLimits!;
    return Object.hasOwn(l, user) ? l[user] : Object.hasOwn(l, '*') ? l['*'] : undefined;
  }

  counts(): Record<string, number> {
    const k = this.image.kinds;
    return { keys: k.key.count, virtual_keys: k.virtualKey.count, configs: k.config.count, prompts: k.prompt.count, guardrails: k.guardrail.count, partials: k.partial.count };
  }
}
