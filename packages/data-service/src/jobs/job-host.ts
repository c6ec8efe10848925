import type { Logger } from 'pino';
import type { LeaseManager } from '../storage/lease.js';

export type StopReason = 'cancel' | 'shutdown' | 'lease_lost';

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Runs jobs under a lease, so two replicas never run one job: a job starts only once this replica
 * holds `<kind>:<id>`, the lease is renewed at a third of its TTL, and a lost lease aborts the run.
 * Aborts carry a reason (cancel, shutdown, lease_lost) that the job reads from `signal.reason`.
 */
export class JobHost {
  private readonly running = new Map<string, Running>();
  private closing = false;

  constructor(
    private readonly leases: LeaseManager,
    readonly owner: string,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  isRunning(kind: string, id: string): boolean {
    return this.running.has(`${kind}:${id}`);
  }

  count(kind?: string): number {
    if (!kind) return this.running.size;
    let n = 0;
    for (const k of this.running.keys()) if (k.startsWith(`${kind}:`)) n++;
    return n;
  }

  /** Starts the job if its lease is free; false when another replica (or this one) runs it already. */
  async tryStart(kind: string, id: string, run: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    const name = `${kind}:${id}`;
    if (this.closing || this.running.has(name)) return false;
    let got = false;
    try {
      got = await this.leases.acquire(name, this.owner, this.ttlMs);
    } catch (e) {
      this.logger.warn({ err: e, job: name }, 'lease store unreachable; job not started');
      return false;
    }
    if (!got || this.closing || this.running.has(name)) {
      if (got) await this.leases.release(name, this.owner).catch(() => undefined);
      return false;
    }
    const controller = new AbortController();
    const renew = setInterval(() => {
      this.leases.renew(name, this.owner, this.ttlMs).then(
        (ok) => {
          if (!ok && !controller.signal.aborted) {
            this.logger.warn({ job: name }, 'lease lost; stopping the job here');
            controller.abort('lease_lost' satisfies StopReason);
          }
        },
        (e: unknown) => this.logger.warn({ err: e, job: name }, 'lease renewal failed; retrying'),
      );
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
    renew.unref();
    const done = (async () => {
      try {
        await run(controller.signal);
      } catch (e) {
        if (!controller.signal.aborted) this.logger.error({ err: e, job: name }, 'job failed unexpectedly');
      } finally {
        clearInterval(renew);
        this.running.delete(name);
        if (controller.signal.reason !== 'lease_lost') await this.leases.release(name, this.owner).catch(() => undefined);
      }
    })();
    this.running.set(name, { controller, done });
    return true;
  }

  /** Stops a job this replica runs; false when it runs elsewhere or not at all. */
  stop(kind: string, id: string, reason: StopReason): boolean {
    const r = this.running.get(`${kind}:${id}`);
    if (!r) return false;
    r.controller.abort(reason);
    return true;
  }

  async waitFor(kind: string, id: string): Promise<void> {
    await this.running.get(`${kind}:${id}`)?.done;
  }

  /** SIGTERM: every job stops taking new work, checkpoints, and releases its lease, within the deadline. */
  async shutdown(deadlineMs: number): Promise<void> {
    this.closing = true;
    const all = [...this.running.values()];
    for (const r of all) r.controller.abort('shutdown' satisfies StopReason);
    await Promise.race([Promise.allSettled(all.map((r) => r.done)), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
  }
}

/** Waits `ms` or until the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
