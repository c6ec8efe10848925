import type { GatewayKey, LimitPolicy, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, SyncChange, SyncSnapshot, VirtualKey, WorkspaceLimits } from '@portico/contract';
import { OrgLimits } from '../limits/policies.js';
import type { EntityIndex } from './image-index.js';

/**
 * One organisation's entities in memory, indexed the way requests look them up: keys by hash, virtual
 * keys by slug, configs / prompts / guardrails by id and by slug, partials by slug. Built from a
 * snapshot part by part (see TopLevelSplitter) on the event loop. The gateway builds its indexes in a
 * worker thread instead (image-index.ts); this one serves when that worker cannot run, and tests.
 */
export class SnapshotIndex implements EntityIndex {
  organisation = '';
  version = 0;
  readonly keys = new Map<string, GatewayKey>();
  /** expires_at of the keys that have one, as epoch ms (NaN dates: 0, refused), by hash. */
  private readonly expiries = new Map<string, number>();
  readonly virtualKeys = new Map<string, VirtualKey>();
  readonly configs = new Map<string, SavedConfig>();
  readonly prompts = new Map<string, Prompt>();
  readonly partials = new Map<string, PromptPartial>();
  readonly guardrails = new Map<string, SavedGuardrail>();
  userLimits: Record<string, LimitRule[]> = {};
  /** Usage-limit and rate-limit policies and workspace limits (limits/policies.ts). */
  readonly limits = new OrgLimits();
  /** Slug → id of the entities addressed by both, to drop the slug entry when the entity goes. */
  private readonly slugs = { config: new Map<string, string>(), prompt: new Map<string, string>(), guardrail: new Map<string, string>(), partial: new Map<string, string>() };

  /** One member of a snapshot (a scalar or an object) or one element of an array member. */
  addPart(key: string, json: string, isElement: boolean): void {
    const v = JSON.parse(json) as unknown;
    if (!isElement) {
      if (key === 'organisation') this.organisation = String(v);
      else if (key === 'version') this.version = Number(v);
      else if (key === 'userLimits' && v && typeof v === 'object') this.userLimits = v as Record<string, LimitRule[]>;
      return;
    }
    const kind = SNAPSHOT_ARRAYS[key];
    // Members this gateway does not know (a newer control plane) are skipped, not fatal.
    if (kind) this.upsert(kind, v as never);
  }

  apply(change: SyncChange): void {
    if (change.op === 'upsert') this.upsert(change.kind, change.entity as never);
    else this.remove(change.kind, change.id);
  }

  upsert(kind: SyncChange['kind'], e: GatewayKey & VirtualKey & SavedConfig & Prompt & PromptPartial & SavedGuardrail): void {
    switch (kind) {
      case 'policy':
        return this.limits.upsertPolicy(e as unknown as LimitPolicy);
      case 'workspace':
        return this.limits.upsertWorkspace(e as unknown as WorkspaceLimits);
      case 'key': {
        this.keys.set(e.hash, e);
        if (e.expires_at) {
          const at = Date.parse(e.expires_at);
          this.expiries.set(e.hash, Number.isNaN(at) ? 0 : at);
        } else this.expiries.delete(e.hash);
        return;
      }
      case 'virtualKey':
        this.virtualKeys.set(e.slug, e);
        return;
      case 'config':
        return this.bySlug(this.configs, this.slugs.config, e);
      case 'prompt':
        return this.bySlug(this.prompts, this.slugs.prompt, e);
      case 'guardrail':
        return this.bySlug(this.guardrails, this.slugs.guardrail, e);
      case 'partial': {
        this.remove('partial', e.id);
        this.partials.set(e.slug, e);
        if (e.id !== e.slug) this.partials.set(e.id, e);
        this.slugs.partial.set(e.id, e.slug);
        return;
      }
    }
  }

  remove(kind: SyncChange['kind'], id: string): void {
    switch (kind) {
      case 'policy':
        return this.limits.removePolicy(id);
      case 'workspace':
        return this.limits.removeWorkspace(id);
      case 'key':
        this.keys.delete(id);
        this.expiries.delete(id);
        return;
      case 'virtualKey':
        this.virtualKeys.delete(id);
        return;
      case 'config':
        return this.dropBySlug(this.configs, this.slugs.config, id);
      case 'prompt':
        return this.dropBySlug(this.prompts, this.slugs.prompt, id);
      case 'guardrail':
        return this.dropBySlug(this.guardrails, this.slugs.guardrail, id);
      case 'partial': {
        const slug = this.slugs.partial.get(id);
        this.partials.delete(id);
        if (slug !== undefined) this.partials.delete(slug);
        this.slugs.partial.delete(id);
        return;
      }
    }
  }

  /** The key unless it has expired. */
  key(hash: string, now = Date.now()): GatewayKey | undefined {
    const k = this.keys.get(hash);
    if (!k) return undefined;
    const expires = this.expiries.get(hash);
    return expires !== undefined && expires <= now ? undefined : k;
  }

  virtualKey(slug: string): VirtualKey | undefined {
    return this.virtualKeys.get(slug);
  }

  config(idOrSlug: string): SavedConfig | undefined {
    return this.configs.get(idOrSlug);
  }

  prompt(idOrSlug: string): Prompt | undefined {
    return this.prompts.get(idOrSlug);
  }

  partial(slugOrId: string): PromptPartial | undefined {
    return this.partials.get(slugOrId);
  }

  guardrail(idOrSlug: string): SavedGuardrail | undefined {
    return this.guardrails.get(idOrSlug);
  }

  userLimit(user: string): LimitRule[] | undefined {
    const l = this.userLimits;
    return Object.hasOwn(l, user) ? l[user] : Object.hasOwn(l, '*') ? l['*'] : undefined;
  }

  counts(): Record<string, number> {
    return { keys: this.keys.size, virtual_keys: this.virtualKeys.size, configs: this.slugs.config.size, prompts: this.slugs.prompt.size, guardrails: this.slugs.guardrail.size, partials: this.slugs.partial.size };
  }

  /** The snapshot this index holds, as JSON text in pieces (for persistence), yielding between slices. */
  async *toJsonPieces(slice = 500): AsyncGenerator<string> {
    yield `{"organisation":${JSON.stringify(this.organisation)},"version":${this.version},"userLimits":${JSON.stringify(this.userLimits)}`;
    const unique = <T>(m: Map<string, T>): T[] => [...new Set(m.values())];
    const arrays: Array<[string, unknown[]]> = [
      ['keys', [...this.keys.values()]],
      ['virtualKeys', [...this.virtualKeys.values()]],
      ['configs', unique(this.configs)],
      ['prompts', unique(this.prompts)],
      ['partials', unique(this.partials)],
      ['guardrails', unique(this.guardrails)],
      ['policies', this.limits.policyList],
      ['workspaces', this.limits.workspaceList],
    ];
    for (const [name, items] of arrays) {
      yield `,${JSON.stringify(name)}:[`;
      for (let i = 0; i < items.length; i += slice) {
        const part = items.slice(i, i + slice).map((x) => JSON.stringify(x)).join(',');
        yield i === 0 ? part : `,${part}`;
        await new Promise<void>((r) => setImmediate(r));
      }
      yield ']';
    }
    yield '}';
  }

  private bySlug<T extends { id: string; slug?: string }>(map: Map<string, T>, slugs: Map<string, string>, e: T): void {
    this.dropBySlug(map, slugs, e.id);
    map.set(e.id, e);
    if (e.slug && e.slug !== e.id) map.set(e.slug, e);
    slugs.set(e.id, e.slug ?? e.id);
  }

  private dropBySlug<T>(map: Map<string, T>, slugs: Map<string, string>, id: string): void {
    const slug = slugs.get(id);
    map.delete(id);
    if (slug !== undefined) map.delete(slug);
    slugs.delete(id);
  }
}

const SNAPSHOT_ARRAYS: Record<string, SyncChange['kind'] | undefined> = {
  keys: 'key',
  virtualKeys: 'virtualKey',
  configs: 'config',
  prompts: 'prompt',
  partials: 'partial',
  guardrails: 'guardrail',
  policies: 'policy',
  workspaces: 'workspace',
};

/** A whole snapshot object, indexed at once (small snapshots, tests). */
export function indexSnapshot(s: SyncSnapshot): SnapshotIndex {
  const idx = new SnapshotIndex();
  idx.organisation = s.organisation;
  idx.version = s.version;
  idx.userLimits = s.userLimits ?? {};
  for (const k of s.keys) idx.upsert('key', k as never);
  for (const v of s.virtualKeys) idx.upsert('virtualKey', v as never);
  for (const c of s.configs) idx.upsert('config', c as never);
  for (const p of s.prompts) idx.upsert('prompt', p as never);
  for (const p of s.partials) idx.upsert('partial', p as never);
  for (const g of s.guardrails) idx.upsert('guardrail', g as never);
  for (const p of s.policies ?? []) idx.upsert('policy', p as never);
  for (const w of s.workspaces ?? []) idx.upsert('workspace', w as never);
  return idx;
}
