import { Worker } from 'node:worker_threads';
import type { SnapshotImage } from './raw-snapshot.js';

/**
 * The event loop's handle on the snapshot worker (snapshot-worker.ts). A sync download's bytes are
 * posted to the worker as they arrive; the worker parses them and answers with an image to swap in.
 * One worker serves every organisation of the gateway, started on first use.
 *
 * When the worker cannot start, dies, or does not answer in time, the builder is `broken` for good,
 * every pending job fails with BuilderFailed, and the caller parses on the event loop instead.
 */
export type BuilderRequest =
  | { type: 'begin'; job: number; organisation: string; mode: 'snapshot' | 'changes' }
  | { type: 'chunk'; job: number; data: Uint8Array | string }
  | { type: 'end'; job: number }
  | { type: 'abort'; job: number }
  | { type: 'sealed'; job: number; organisation: string; key: Uint8Array };

export type BuilderReply =
  | { job: number; ok: true; image?: SnapshotImage; applied: number; skipped: number; reset: boolean; version: number }
  | { job: number; ok: true; sealed: Uint8Array; version: number }
  | { job: number; ok: false; error: string };

export type BuildResult = { image?: SnapshotImage; applied: number; skipped: number; reset: boolean; version: number };

export class BuilderFailed extends Error {}

/** The data in a sync answer was refused by the worker (not JSON, another organisation): not a worker fault. */
export class BuildRefused extends Error {}

export interface BuildJob {
  write(data: Uint8Array | string): void;
  /** Resolves with the worker's answer once it read everything written. */
  end(): Promise<BuildResult>;
  abort(): void;
}

/** Bytes of a download handed to the worker per message. */
const POST_BYTES = 512 * 1024;

/** Longest wait for the worker's answer once a download ended. */
const ANSWER_TIMEOUT_MS = 30_000;

/** The compiled worker, or under tsx/vitest (src/*.ts) the TypeScript one through tsx's loader. */
export function spawnSnapshotWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const url = new URL('./snapshot-worker.ts', here).href;
    return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
  }
  return new Worker(new URL('./snapshot-worker.js', here));
}

type Pending = { resolve: (r: BuilderReply & { ok: true }) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout };

export class SnapshotBuilder {
  private worker?: Worker;
  private nextJob = 1;
  private readonly pending = new Map<number, Pending>();
  /** Why the worker is out of use; undefined while it works. */
  broken?: string;

  constructor(
    private readonly onBroken: (reason: string) => void = () => undefined,
    private readonly spawn: () => Worker = spawnSnapshotWorker,
    private readonly answerTimeoutMs = ANSWER_TIMEOUT_MS,
  ) {}

  get usable(): boolean {
    return !this.broken;
  }

  private ensure(): Worker {
    if (this.broken) throw new BuilderFailed(this.broken);
    if (this.worker) return this.worker;
    let w: Worker;
    try {
      w = this.spawn();
    } catch (e) {
      this.fail(`the snapshot worker could not start: ${(e as Error).message}`);
      throw new BuilderFailed(this.broken!);
    }
    // Never what keeps the process alive; close() ends it at shutdown.
    w.unref();
    w.on('message', (r: BuilderReply) => this.answer(r));
    w.on('error', (e) => this.fail(`the snapshot worker failed: ${e.message}`));
    w.on('exit', (code) => this.fail(`the snapshot worker exited (${code})`));
    this.worker = w;
    return w;
  }

  private answer(r: BuilderReply): void {
    const p = this.pending.get(r.job);
    if (!p) return;
    this.pending.delete(r.job);
    if (p.timer) clearTimeout(p.timer);
    if (r.ok) p.resolve(r);
    else p.reject(new BuildRefused(r.error));
  }

  private fail(reason: string): void {
    if (this.broken) return;
    this.broken = reason;
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new BuilderFailed(reason));
    }
    this.pending.clear();
    this.onBroken(reason);
  }

  private post(m: BuilderRequest, transfer: ArrayBuffer[] = []): void {
    this.ensure().postMessage(m, transfer);
  }

  private ask(job: number, m: BuilderRequest): Promise<BuilderReply & { ok: true }> {
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      this.pending.set(job, p);
      try {
        this.post(m);
      } catch (e) {
        this.pending.delete(job);
        return reject(e);
      }
      p.timer = setTimeout(() => this.fail(`the snapshot worker did not answer within ${this.answerTimeoutMs} ms`), this.answerTimeoutMs);
      p.timer.unref();
    });
  }

  /** A snapshot or changes download to hand over as it arrives. */
  begin(organisation: string, mode: 'snapshot' | 'changes'): BuildJob {
    const job = this.nextJob++;
    this.post({ type: 'begin', job, organisation, mode });
    // Network chunks are small (16–64 KiB): gathered into one message per POST_BYTES, copied once
    // into a buffer of their own and moved, not cloned, to the worker.
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    const flush = () => {
      if (heldBytes === 0) return;
      const out = new Uint8Array(heldBytes);
      let at = 0;
      for (const c of held) {
        out.set(c, at);
        at += c.length;
      }
      held = [];
      heldBytes = 0;
      this.post({ type: 'chunk', job, data: out }, [out.buffer as ArrayBuffer]);
    };
    return {
      write: (data) => {
        if (typeof data === 'string') {
          flush();
          return this.post({ type: 'chunk', job, data });
        }
        held.push(data);
        heldBytes += data.length;
        if (heldBytes >= POST_BYTES) flush();
      },
      end: async () => {
        flush();
        const r = await this.ask(job, { type: 'end', job });
        if (!('applied' in r)) throw new BuilderFailed('the snapshot worker answered out of turn');
        return { image: r.image, applied: r.applied, skipped: r.skipped, reset: r.reset, version: r.version };
      },
      abort: () => {
        if (this.worker && !this.broken) this.worker.postMessage({ type: 'abort', job } satisfies BuilderRequest);
      },
    };
  }

  /** The organisation's current snapshot as the control plane's JSON document, sealed with `key` (to persist). */
  async sealed(organisation: string, key: Uint8Array): Promise<Buffer> {
    const job = this.nextJob++;
    const r = await this.ask(job, { type: 'sealed', job, organisation, key });
    if (!('sealed' in r)) throw new BuilderFailed('the snapshot worker answered out of turn');
    return Buffer.from(r.sealed.buffer, r.sealed.byteOffset, r.sealed.length);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.broken ??= 'closed';
    this.worker = undefined;
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new BuilderFailed('closed'));
    }
    this.pending.clear();
    await w?.terminate();
  }
}
