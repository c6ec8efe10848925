import type { SyncEntityKind } from '@portico/contract';
import type { Logger } from 'pino';
import type { Database } from '../db/types.js';
import { parse, type ResourceRow } from '../store/resources.js';
import { bumpSyncVersion } from '../store/write.js';
import type { ChangeFeed } from '../sync/feed.js';
import type { SecretMapping } from './mappings.js';
import type { SecretValues } from './resolver.js';

/**
 * Keeps the secret references that credentials use fresh: every pass re-reads the ones whose value
 * is older than the TTL, and when what a build would use changes (rotated in the manager, newly
 * resolvable, or dropped after failing too long) the credentials mapped to it are marked changed,
 * so gateways pick up a rotated secret within the TTL and a pass. The first pass (at start) only
 * warms the cache.
 */
export class SecretRefresher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly db: Database, private readonly values: SecretValues, private readonly feed: ChangeFeed, private readonly log: Logger) {}

  get intervalMs(): number {
    return Math.max(1_000, Math.min(30_000, Math.floor(this.values.settings.ttlMs / 4)));
  }

  start(): void {
    this.timer = setInterval(() => void this.pass(true), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; concurrent calls share it. */
  pass(announce: boolean): Promise<void> {
    this.running ??= this.run(announce).catch((err) => this.log.warn({ err }, 'secret reference refresh failed')).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(announce: boolean): Promise<void> {
    const users = await this.db.all<ResourceRow>(`SELECT * FROM resources WHERE kind IN ('integration', 'virtual-key') AND data LIKE ?`, ['%"secret_reference_id"%']);
    if (users.length === 0) return;
    const usersOf = new Map<string, ResourceRow[]>();
    for (const u of users) {
      for (const m of parse<{ secret_mappings?: SecretMapping[] }>(u.data).secret_mappings ?? []) {
        const list = usersOf.get(m.secret_reference_id) ?? [];
        if (!list.includes(u)) list.push(u);
        usersOf.set(m.secret_reference_id, list);
      }
    }
    const changed = new Map<string, Array<{ kind: SyncEntityKind; ref: string }>>();
    for (const id of usersOf.keys()) {
      const ref = await this.db.get<ResourceRow>(`SELECT * FROM resources WHERE kind = 'secret-reference' AND id = ?`, [id]);
      if (!ref || !this.values.needsRefresh(ref)) continue;
      const before = this.values.peek(ref);
      try {
        await this.values.resolve(ref, true);
      } catch (e) {
        this.log.warn({ reference: ref.slug, organisation: ref.organisation_id, reason: (e as Error).message }, 'secret reference could not be refreshed; the last value serves for up to ten TTLs');
      }
      if (this.values.peek(ref) === before) continue;
      for (const u of usersOf.get(id)!) {
        const list = changed.get(u.organisation_id) ?? [];
        if (u.kind === 'virtual-key') list.push({ kind: 'virtualKey', ref: u.slug });
        else for (const p of await this.db.all<{ slug: string }>(`SELECT slug FROM resources WHERE kind = 'provider' AND parent_id = ?`, [u.id])) list.push({ kind: 'virtualKey', ref: p.slug });
        changed.set(u.organisation_id, list);
      }
    }
    if (!announce) return;
    for (const [organisation, refs] of changed) {
      const version = await this.db.transaction((tx) => bumpSyncVersion(tx, organisation, refs));
      if (version !== undefined) this.feed.notify(organisation, version);
    }
  }
}
