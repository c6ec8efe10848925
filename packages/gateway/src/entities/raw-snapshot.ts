import type { SyncChange } from '@portico/contract';
import { TopLevelSplitter } from './json-splitter.js';
import { buildNameTable, type NameTable } from './name-table.js';

/**
 * The snapshot builder's side (it runs in a worker thread, see snapshot-worker.ts): one organisation's
 * entities kept as their JSON text, with the names requests look them up by. Snapshots and changes
 * are parsed here, off the gateway's event loop; what the event loop gets is a SnapshotImage: the
 * entities' text as one UTF-8 buffer (transferred, not copied) and a name → slot table per kind, which
 * it reads as it comes (name-table.ts) and parses one entity at a time, on first lookup (image-index.ts).
 */
export type EntityKind = Exclude<SyncChange['kind'], LimitKind>;
/** Policies and workspace limits: few and small, carried whole (as JSON text) rather than indexed by name. */
export type LimitKind = 'policy' | 'workspace';
const LIMIT_KINDS: readonly LimitKind[] = ['policy', 'workspace'];
const LIMIT_ARRAY_OF: Record<LimitKind, string> = { policy: 'policies', workspace: 'workspaces' };
const LIMIT_KIND_OF_ARRAY: Record<string, LimitKind | undefined> = { policies: 'policy', workspaces: 'workspace' };

export const KINDS: readonly EntityKind[] = ['key', 'virtualKey', 'config', 'prompt', 'partial', 'guardrail'];

/** The snapshot's array member holding each kind. */
export const ARRAY_OF: Record<EntityKind, string> = { key: 'keys', virtualKey: 'virtualKeys', config: 'configs', prompt: 'prompts', partial: 'partials', guardrail: 'guardrails' };
const KIND_OF_ARRAY: Record<string, EntityKind | undefined> = Object.fromEntries(KINDS.map((k) => [ARRAY_OF[k], k]));

interface RawEntity {
  raw: string;
  names: string[];
}

export interface SnapshotImage {
  organisation: string;
  version: number;
  /** userLimits as JSON text (small). */
  userLimits: string;
  /** {"policies":[...],"workspaces":[...]} as JSON text (small): built into limits/policies.ts's OrgLimits. */
  limits: string;
  /** Every entity's JSON, UTF-8, back to back; entity i ends at ends[i]. */
  bytes: Uint8Array;
  ends: Uint32Array;
  kinds: Record<EntityKind, NameTable>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * What a delete names an entity by (the key's hash, the virtual key's slug, the id of the rest) and
 * every name a lookup may use. Undefined for an entity without its identity (skipped, not fatal).
 */
export function identify(kind: EntityKind, e: Record<string, unknown>): { id: string; names: string[] } | undefined {
  switch (kind) {
    case 'key': {
      const hash = str(e.hash);
      return hash ? { id: hash, names: [hash] } : undefined;
    }
    case 'virtualKey': {
      const slug = str(e.slug);
      return slug ? { id: slug, names: [slug] } : undefined;
    }
    case 'partial': {
      const id = str(e.id);
      const slug = str(e.slug);
      if (!id || !slug) return undefined;
      return { id, names: slug === id ? [slug] : [slug, id] };
    }
    default: {
      const id = str(e.id);
      if (!id) return undefined;
      const slug = str(e.slug);
      return { id, names: slug && slug !== id ? [id, slug] : [id] };
    }
  }
}

export class RawSnapshot {
  organisation = '';
  version = 0;
  userLimits = '{}';
  /** Entities that had no identity and were left out. */
  skipped = 0;
  readonly kinds = Object.fromEntries(KINDS.map((k) => [k, new Map<string, RawEntity>()])) as Record<EntityKind, Map<string, RawEntity>>;
  /** Policies and workspace limits by id, as their JSON text. */
  readonly limitKinds: Record<LimitKind, Map<string, string>> = { policy: new Map(), workspace: new Map() };

  upsertLimit(kind: LimitKind, entity: Record<string, unknown>, raw: string): void {
    const id = entity && typeof entity === 'object' ? str(entity.id) : undefined;
    if (!id) {
      this.skipped++;
      return;
    }
    this.limitKinds[kind].set(id, raw);
  }

  removeLimit(kind: LimitKind, id: string): void {
    this.limitKinds[kind].delete(id);
  }

  private limitsJson(): string {
    return LIMIT_KINDS.map((k) => `${JSON.stringify(LIMIT_ARRAY_OF[k])}:[${[...this.limitKinds[k].values()].join(',')}]`).join(',');
  }

  upsert(kind: EntityKind, entity: Record<string, unknown>, raw: string): void {
    const who = entity && typeof entity === 'object' ? identify(kind, entity) : undefined;
    if (!who) {
      this.skipped++;
      return;
    }
    const map = this.kinds[kind];
    map.delete(who.id); // re-inserted last, so its names win over an older entity's, as they would in place
    map.set(who.id, { raw, names: who.names });
  }

  remove(kind: EntityKind, id: string): void {
    this.kinds[kind]?.delete(id);
  }

  counts(): Record<string, number> {
    const k = this.kinds;
    return { keys: k.key.size, virtual_keys: k.virtualKey.size, configs: k.config.size, prompts: k.prompt.size, guardrails: k.guardrail.size, partials: k.partial.size };
  }

  /** The image the event loop indexes, and the buffers to transfer with it. */
  image(): { image: SnapshotImage; transfer: ArrayBuffer[] } {
    const raws: string[] = [];
    const kinds = {} as Record<EntityKind, NameTable>;
    for (const kind of KINDS) {
      const names: string[] = [];
      const slots: number[] = [];
      for (const e of this.kinds[kind].values()) {
        const slot = raws.push(e.raw) - 1;
        for (const n of e.names) {
          names.push(n);
          slots.push(slot);
        }
      }
      kinds[kind] = buildNameTable(names, slots, this.kinds[kind].size);
    }
    let total = 0;
    for (const r of raws) total += Buffer.byteLength(r);
    const bytes = new Uint8Array(total);
    const ends = new Uint32Array(raws.length);
    const encoder = new TextEncoder();
    let pos = 0;
    for (let i = 0; i < raws.length; i++) {
      pos += encoder.encodeInto(raws[i], bytes.subarray(pos)).written;
      ends[i] = pos;
    }
    const image: SnapshotImage = { organisation: this.organisation, version: this.version, userLimits: this.userLimits, limits: `{${this.limitsJson()}}`, bytes, ends, kinds };
    return { image, transfer: [bytes.buffer as ArrayBuffer, ends.buffer as ArrayBuffer, ...KINDS.flatMap((k) => [kinds[k].nameEnds.buffer as ArrayBuffer, kinds[k].slots.buffer as ArrayBuffer, kinds[k].table.buffer as ArrayBuffer])] };
  }

  /** The whole snapshot as the control plane's JSON document (what gets persisted). */
  document(): string {
    const parts = [`{"organisation":${JSON.stringify(this.organisation)},"version":${this.version},"userLimits":${this.userLimits}`];
    for (const kind of KINDS) {
      parts.push(`,"${ARRAY_OF[kind]}":[`);
      let first = true;
      for (const e of this.kinds[kind].values()) {
        parts.push(first ? e.raw : `,${e.raw}`);
        first = false;
      }
      parts.push(']');
    }
    parts.push(`,${this.limitsJson()}}`);
    return parts.join('');
  }
}

/** Reads a snapshot document fed in pieces into a new RawSnapshot. */
export class SnapshotReader {
  private readonly splitter = new TopLevelSplitter();
  readonly snapshot = new RawSnapshot();

  feed(text: string): void {
    const s = this.snapshot;
    for (const p of this.splitter.feed(text)) {
      if ('element' in p) {
        const kind = KIND_OF_ARRAY[p.key];
        const limitKind = LIMIT_KIND_OF_ARRAY[p.key];
        // Members this gateway does not know (a newer control plane) are skipped, not fatal.
        if (kind) s.upsert(kind, JSON.parse(p.element) as Record<string, unknown>, p.element);
        else if (limitKind) s.upsertLimit(limitKind, JSON.parse(p.element) as Record<string, unknown>, p.element);
      } else if (p.key === 'organisation') s.organisation = String(JSON.parse(p.value));
      else if (p.key === 'version') s.version = Number(JSON.parse(p.value));
      else if (p.key === 'userLimits') {
        const v = JSON.parse(p.value) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) s.userLimits = p.value;
      }
    }
  }

  end(): RawSnapshot {
    this.splitter.end();
    return this.snapshot;
  }
}

type ParsedChange = { op: 'upsert'; kind: EntityKind | LimitKind; entity: Record<string, unknown>; raw: string } | { op: 'delete'; kind: EntityKind | LimitKind; id: string };
const isLimitKind = (k: string): k is LimitKind => (LIMIT_KINDS as readonly string[]).includes(k);

/** Reads a changes answer fed in pieces; nothing is applied until the whole answer was read. */
export class ChangesReader {
  private readonly splitter = new TopLevelSplitter();
  version: number | undefined;
  reset = false;
  readonly changes: ParsedChange[] = [];

  feed(text: string): void {
    for (const p of this.splitter.feed(text)) {
      if ('element' in p) {
        if (p.key !== 'changes') continue;
        const c = JSON.parse(p.element) as { op?: string; kind?: string; entity?: Record<string, unknown>; id?: unknown };
        const kind = KINDS.includes(c.kind as EntityKind) || isLimitKind(c.kind ?? '') ? (c.kind as EntityKind | LimitKind) : undefined;
        if (!kind) continue; // a kind this gateway does not know
        if (c.op === 'upsert' && c.entity && typeof c.entity === 'object') this.changes.push({ op: 'upsert', kind, entity: c.entity, raw: JSON.stringify(c.entity) });
        else if (c.op === 'delete' && typeof c.id === 'string') this.changes.push({ op: 'delete', kind, id: c.id });
      } else if (p.key === 'version') this.version = Number(JSON.parse(p.value));
      else if (p.key === 'reset') this.reset = JSON.parse(p.value) === true;
    }
  }

  end(): void {
    this.splitter.end();
  }

  /** Applies every change, in order, to `s`; returns how many. */
  applyTo(s: RawSnapshot): number {
    for (const c of this.changes) {
      if (isLimitKind(c.kind)) {
        if (c.op === 'upsert') s.upsertLimit(c.kind, c.entity, c.raw);
        else s.removeLimit(c.kind, c.id);
      } else if (c.op === 'upsert') s.upsert(c.kind, c.entity, c.raw);
      else s.remove(c.kind, c.id);
    }
    if (this.version !== undefined && Number.isFinite(this.version)) s.version = Math.max(s.version, this.version);
    return this.changes.length;
  }
}
