import type { Database } from '../db/types.js';

/**
 * Wakes long-polling gateways when an organisation's sync version moves. Changes made by this
 * process notify at once; changes made by another control plane on the same PostgreSQL are seen by
 * a poll of the organisations' versions every pollMs while anyone waits. Waiters are bounded.
 */
export class ChangeFeed {
  private readonly waiters = new Map<string, Set<{ since: number; resolve: (v: number | undefined) => void }>>();
  private count = 0;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly db: Database, readonly maxWaiters = 2_000, private readonly pollMs = 500) {}

  get waiting(): number {
    return this.count;
  }

  notify(organisation: string, version: number): void {
    const set = this.waiters.get(organisation);
    if (!set) return;
    for (const w of [...set]) if (version > w.since) this.finish(organisation, w, version);
  }

  /** Resolves with the new version once it passes `since`, or undefined after timeoutMs. False when full. */
  wait(organisation: string, since: number, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> | false {
    if (this.count >= this.maxWaiters) return false;
    return new Promise((resolve) => {
      const w = {
        since,
        resolve: (v: number | undefined) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
      };
      const timer = setTimeout(() => this.finish(organisation, w, undefined), timeoutMs);
      const onAbort = () => this.finish(organisation, w, undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(organisation);
      if (!set) this.waiters.set(organisation, (set = new Set()));
      set.add(w);
      this.count++;
      this.startPolling();
    });
  }

  /** Ends every wait (shutdown): each answers with no changes. */
  close(): void {
    for (const [org, set] of this.waiters) for (const w of [...set]) this.finish(org, w, undefined);
    this.stopPolling();
  }

  private finish(organisation: string, w: { resolve: (v: number | undefined) => void }, version: number | undefined) {
    const set = this.waiters.get(organisation);
    if (!set || !set.delete(w as never)) return;
    if (set.size === 0) this.waiters.delete(organisation);
    this.count--;
    if (this.count === 0) this.stopPolling();
    w.resolve(version);
  }

  private startPolling() {
    if (this.poller) return;
    this.poller = setInterval(() => void this.poll(), this.pollMs);
    this.poller.unref();
  }

  private stopPolling() {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private async poll() {
    const orgs = [...this.waiters.keys()];
    if (orgs.length === 0) return;
    try {
      const rows = await this.db.all<{ id: string; sync_version: number }>(
        `SELECT id, sync_version FROM organisations WHERE id IN (${orgs.map(() => '?').join(',')})`,
        orgs,
      );
      for (const r of rows) this.notify(r.id, Number(r.sync_version));
    } catch {
      // The database is briefly unreachable: the waits time out and the gateways poll again.
    }
  }
}
