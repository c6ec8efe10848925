import { errors } from 'undici';
import type { AbortLike } from './abort.js';

/**
 * Each tenant's share of each upstream origin's connection pool. undici serves its queue in order, so a
 * tenant with many slow requests (streams whose clients stopped reading) would take every connection a
 * freed one too, and other tenants' requests would wait behind its queue. Here a tenant holds at most
 * `perTenant` requests on one origin at once; the rest wait in the gateway, in order, and never reach
 * undici's queue, so the other connections stay free for other tenants.
 */
export class TenantShares {
  private readonly origins = new Map<string, Share>();

  constructor(readonly perTenant: number) {}

  /**
   * Takes a place for one request of `tenant` on `origin`: at once when the tenant is under its share
   * (the usual case: no promise), else once one of its requests is done. Returns the release function,
   * which must be called once the request's connection is free. Rejects if `signal` aborts first.
   */
  acquire(origin: string, tenant: string, signal: AbortLike): Release | Promise<Release> {
    const key = `${tenant}\0${origin}`;
    let share = this.origins.get(key);
    if (!share) this.origins.set(key, (share = { active: 0, waiting: [] }));
    if (share.active < this.perTenant) {
      share.active++;
      return this.releaser(key, share);
    }
    const s = share;
    return new Promise<Release>((resolve, reject) => {
      const waiter = () => {
        signal.off('abort', onAbort);
        resolve(this.releaser(key, s));
      };
      const onAbort = () => {
        const i = s.waiting.indexOf(waiter);
        if (i !== -1) s.waiting.splice(i, 1);
        reject(new errors.RequestAbortedError());
      };
      if (signal.aborted) return reject(new errors.RequestAbortedError());
      signal.once('abort', onAbort);
      s.waiting.push(waiter);
    });
  }

  /** Requests of a tenant on an origin, running and waiting (tests, diagnostics). */
  load(origin: string, tenant: string): { active: number; waiting: number } {
    const share = this.origins.get(`${tenant}\0${origin}`);
    return { active: share?.active ?? 0, waiting: share?.waiting.length ?? 0 };
  }

  private releaser(key: string, share: Share): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = share.waiting.shift();
      // The place passes straight to the tenant's next waiting request.
      if (next) return next();
      share.active--;
      if (share.active === 0) this.origins.delete(key);
    };
  }
}

export type Release = () => void;

interface Share {
  active: number;
  waiting: Array<() => void>;
}
