import { SYNC_MAX_WAIT_SECONDS, SYNC_PATHS, type SyncChange } from '@portico/contract';
import { ImageIndex, type EntityIndex } from './image-index.js';
import { TopLevelSplitter } from './json-splitter.js';
import { BuilderFailed, BuildRefused, type SnapshotBuilder } from './snapshot-builder.js';
import { SnapshotIndex } from './snapshot-index.js';
import type { SnapshotCipher, SnapshotPersistence } from './snapshot-persistence.js';
import { slices, Yielder } from './yielding.js';
import { PIECE_CHARS, SyncHttpError, type SyncClient } from './sync-client.js';

export interface SyncLogger {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
}

export interface OrgSyncOptions {
  /** Long-poll wait, seconds (at most SYNC_MAX_WAIT_SECONDS). */
  waitSeconds: number;
  /** Backoff between failed attempts: doubles from retryMinMs up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Applied changes are persisted this long after the last one, in one write. */
  persistDebounceMs: number;
  /** Deadline of a snapshot download. */
  snapshotTimeoutMs: number;
}

export interface OrgSyncEvents {
  applied(kind: 'snapshot' | 'changes' | 'persisted', seconds: number, count: number): void;
  error(): void;
  changed(): void;
  /** The control plane answers again after failing. */
  reachable(): void;
}

/** Entities serialised at a time when the snapshot is persisted. */
const APPLY_SLICE = 200;

/**
 * One organisation's sync: the last good snapshot from disk or Redis at start, then a fresh snapshot
 * from the control plane, then long-polled changes applied as they come. Runs beside the request path;
 * lookups read `index`, which is only ever replaced whole (one assignment), so a request sees the old
 * entities or the new ones, never a mix.
 *
 * The JSON is parsed in the snapshot builder's worker thread, which answers with an image this thread
 * serves as it comes (ImageIndex); the worker also seals the snapshot to persist. Without a working builder (it could not start, or died)
 * the text is parsed here, in slices between which requests run (SnapshotIndex).
 */
export class OrgSync {
  index?: EntityIndex;
  source: 'none' | 'persisted' | 'control-plane' = 'none';
  /** When the control plane last answered (ms epoch); 0 never. */
  lastContact = 0;
  lastError?: string;
  failingSince = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private persistTimer?: NodeJS.Timeout;
  private persisting?: Promise<void>;
  private running?: Promise<void>;
  private readonly firstData: Promise<void>;
  private resolveFirstData!: () => void;

  constructor(
    readonly organisation: string,
    private readonly client: SyncClient,
    private readonly persisted: { store: SnapshotPersistence; cipher: SnapshotCipher } | undefined,
    private readonly options: OrgSyncOptions,
    private readonly events: OrgSyncEvents,
    private readonly logger: SyncLogger,
    private readonly builder?: SnapshotBuilder,
  ) {
    this.firstData = new Promise((r) => (this.resolveFirstData = r));
  }

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Resolves once there is something to serve (persisted or fresh), or the control plane could not
   * be asked (the gateway then starts, refusing keys until a snapshot arrives), or after ms.
   */
  ready(ms: number): Promise<void> {
    return Promise.race([this.firstData, new Promise<void>((r) => setTimeout(r, ms).unref())]);
  }

  private async run(): Promise<void> {
    await this.restore();
    let failures = 0;
    let needSnapshot = true;
    while (!this.closed) {
      try {
        if (needSnapshot || !this.index) {
          await this.fetchSnapshot();
          needSnapshot = false;
        }
        needSnapshot = await this.pollChanges();
        failures = 0;
      } catch (e) {
        if (this.closed) break;
        failures++;
        this.noteError(e);
        this.resolveFirstData();
        const delay = Math.min(this.options.retryMaxMs, this.options.retryMinMs * 2 ** Math.min(failures - 1, 16));
        await this.sleep(delay * (0.75 + Math.random() * 0.5));
      }
    }
  }

  private get workerUsable(): boolean {
    return !!this.builder?.usable;
  }

  private async restore(): Promise<void> {
    if (!this.persisted) return;
    const { store, cipher } = this.persisted;
    const started = performance.now();
    try {
      const sealed = await store.load(this.organisation);
      if (!sealed || this.closed) return;
      const pending: string[] = [];
      await cipher.open(this.organisation, sealed, (text) => pending.push(text));
      // Authenticated as a whole: only now is the text worth indexing.
      let idx: EntityIndex | undefined;
      if (this.workerUsable) {
        try {
          const job = this.builder!.begin(this.organisation, 'snapshot');
          for (const text of pending) job.write(text);
          idx = new ImageIndex((await job.end()).image!);
        } catch (e) {
          if (!(e instanceof BuilderFailed)) throw e;
        }
      }
      idx ??= await this.indexHere(pending);
      if (this.index || this.closed) return; // the control plane answered first
      this.install(idx, 'persisted');
      this.events.applied('persisted', (performance.now() - started) / 1000, idx.counts().keys);
      this.logger.info({ organisation: this.organisation, version: idx.version, store: store.kind }, 'sync: serving the persisted snapshot until the control plane answers');
    } catch (e) {
      this.logger.warn({ organisation: this.organisation, err: (e as Error).message, store: store.kind }, 'sync: the persisted snapshot could not be read (another client auth key, or damaged); waiting for the control plane');
    }
  }

  /** A snapshot's text indexed on this thread, in slices (no worker). */
  private async indexHere(texts: string[]): Promise<SnapshotIndex> {
    const idx = new SnapshotIndex();
    const splitter = new TopLevelSplitter();
    const yielder = new Yielder();
    for (const text of texts) {
      for (const piece of slices(text, PIECE_CHARS)) {
        for (const p of splitter.feed(piece)) idx.addPart(p.key, 'element' in p ? p.element : p.value, 'element' in p);
        await yielder.maybeYield();
      }
    }
    splitter.end();
    return idx;
  }

  private async fetchSnapshot(): Promise<void> {
    if (this.workerUsable) {
      try {
        return await this.fetchSnapshotViaWorker();
      } catch (e) {
        if (!(e instanceof BuilderFailed) || this.closed) throw e;
        this.logger.warn({ organisation: this.organisation, err: e.message }, 'sync: the snapshot worker failed; parsing on the event loop instead');
      }
    }
    return this.fetchSnapshotHere();
  }

  private async fetchSnapshotViaWorker(): Promise<void> {
    const started = performance.now();
    const q = `?organisation=${encodeURIComponent(this.organisation)}`;
    const job = this.builder!.begin(this.organisation, 'snapshot');
    try {
      await this.client.streamBytes(SYNC_PATHS.snapshot + q, this.options.snapshotTimeoutMs, (chunk) => job.write(chunk), this.abort.signal);
    } catch (e) {
      job.abort();
      throw e;
    }
    const built = await job.end();
    const idx = new ImageIndex(built.image!);
    if (this.closed) return;
    this.install(idx, 'control-plane');
    this.contact();
    this.events.applied('snapshot', (performance.now() - started) / 1000, idx.counts().keys);
    this.noteSkipped(built.skipped);
    // The worker seals its copy for disk or Redis: nothing of it on this thread but the write.
    this.schedulePersist(0);
  }

  private async fetchSnapshotHere(): Promise<void> {
    const started = performance.now();
    const idx = new SnapshotIndex();
    const q = `?organisation=${encodeURIComponent(this.organisation)}`;
    const text: string[] | undefined = this.persisted ? [] : undefined;
    await this.client.streamObject(SYNC_PATHS.snapshot + q, this.options.snapshotTimeoutMs, (p) => idx.addPart(p.key, 'element' in p ? p.element : p.value, 'element' in p), this.abort.signal, text && ((t) => text.push(t)));
    if (idx.organisation && idx.organisation !== this.organisation) throw new Error(`the control plane sent organisation ${idx.organisation} for ${this.organisation}`);
    idx.organisation = this.organisation;
    this.install(idx, 'control-plane');
    this.contact();
    this.events.applied('snapshot', (performance.now() - started) / 1000, idx.keys.size);
    if (text) this.persistText(idx, text);
  }

  private noteSkipped(skipped: number): void {
    if (skipped > 0) this.logger.warn({ organisation: this.organisation, skipped }, 'sync: entities without their id (hash, slug) were left out');
  }

  private changesPath(version: number): { path: string; wait: number } {
    const wait = Math.min(this.options.waitSeconds, SYNC_MAX_WAIT_SECONDS);
    return { path: `${SYNC_PATHS.changes}?organisation=${encodeURIComponent(this.organisation)}&since=${version}&wait=${wait}`, wait };
  }

  /** One long poll; true when the control plane says a new snapshot is needed. */
  private async pollChanges(): Promise<boolean> {
    const idx = this.index!;
    if (idx instanceof SnapshotIndex) return this.pollChangesHere(idx);
    // The worker holds this index's entities; without it, a snapshot parsed here replaces them.
    if (!this.workerUsable) return true;
    try {
      return await this.pollChangesViaWorker(idx);
    } catch (e) {
      if (e instanceof BuilderFailed && !this.closed) {
        this.logger.warn({ organisation: this.organisation, err: e.message }, 'sync: the snapshot worker failed; fetching a snapshot to parse on the event loop');
        return true;
      }
      throw e;
    }
  }

  private async pollChangesViaWorker(idx: EntityIndex): Promise<boolean> {
    const { path, wait } = this.changesPath(idx.version);
    const job = this.builder!.begin(this.organisation, 'changes');
    let started = 0;
    try {
      await this.client.streamBytes(path, (wait + 15) * 1000, (chunk) => {
        started ||= performance.now();
        job.write(chunk);
      }, this.abort.signal);
    } catch (e) {
      job.abort();
      throw e;
    }
    const built = await job.end();
    this.contact();
    if (built.reset) return true;
    if (this.index !== idx) return false;
    if (built.applied === 0 || !built.image) {
      idx.version = Math.max(idx.version, built.version);
      return false;
    }
    const next = new ImageIndex(built.image);
    this.install(next, this.source === 'none' ? 'control-plane' : this.source);
    this.events.applied('changes', (performance.now() - started) / 1000, built.applied);
    this.noteSkipped(built.skipped);
    this.schedulePersist(this.options.persistDebounceMs);
    return false;
  }

  /** Changes parsed here as they arrive, then applied in one go, so no request sees half of them. */
  private async pollChangesHere(idx: SnapshotIndex): Promise<boolean> {
    const { path, wait } = this.changesPath(idx.version);
    let version = idx.version;
    let reset = false;
    let started = 0;
    const changes: SyncChange[] = [];
    await this.client.streamObject(path, (wait + 15) * 1000, (p) => {
      if ('element' in p) {
        if (p.key !== 'changes') return;
        started ||= performance.now();
        changes.push(JSON.parse(p.element) as SyncChange);
      } else if (p.key === 'version') version = Number(JSON.parse(p.value));
      else if (p.key === 'reset') reset = JSON.parse(p.value) === true;
    }, this.abort.signal);
    this.contact();
    if (reset) return true;
    if (this.index !== idx) return false; // replaced meanwhile (not expected: one loop per organisation)
    // Reached only with the whole answer read: a body cut half-way applies nothing and is asked again.
    for (const c of changes) idx.apply(c);
    idx.version = Math.max(idx.version, version);
    if (changes.length > 0) {
      this.events.applied('changes', (performance.now() - started) / 1000, changes.length);
      this.events.changed();
      this.schedulePersist(this.options.persistDebounceMs);
    }
    return false;
  }

  private install(idx: EntityIndex, source: 'persisted' | 'control-plane'): void {
    this.index = idx;
    this.source = source;
    this.resolveFirstData();
    this.events.changed();
  }

  private contact(): void {
    this.lastContact = Date.now();
    const wasFailing = this.lastError !== undefined;
    this.lastError = undefined;
    this.failingSince = 0;
    if (wasFailing) {
      this.logger.info({ organisation: this.organisation }, 'sync: the control plane answers again');
      this.events.reachable();
    }
  }

  private noteError(e: unknown): void {
    const message = e instanceof SyncHttpError ? e.message : e instanceof BuildRefused ? `the control plane's answer was refused: ${e.message}` : `control plane unreachable: ${(e as Error).message}`;
    if (message !== this.lastError) {
      const level = e instanceof SyncHttpError && (e.status === 401 || e.status === 403) ? 'error' : 'warn';
      this.logger[level]({ organisation: this.organisation, err: message }, 'sync: failed; serving the last good snapshot and retrying');
    }
    this.lastError = message;
    this.failingSince ||= Date.now();
    this.events.error();
  }

  private schedulePersist(delayMs: number): void {
    if (!this.persisted || this.closed) return;
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
    }, delayMs);
    this.persistTimer.unref();
  }

  /** Persists a snapshot's own text, unless changes arrive first (those persist the index instead). */
  private persistText(idx: EntityIndex, text: string[]): void {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    const { store, cipher } = this.persisted!;
    const write = async () => {
      await this.persisting;
      if (this.index !== idx || this.persistTimer) return; // replaced, or changed since: a later write covers it
      this.persisting = (async () => {
        try {
          await store.save(this.organisation, await cipher.seal(this.organisation, text));
        } catch (e) {
          this.logger.warn({ organisation: this.organisation, err: (e as Error).message, store: store.kind }, 'sync: could not persist the snapshot; a restart while the control plane is down would serve an older one');
        }
      })();
      await this.persisting;
      this.persisting = undefined;
    };
    void write();
  }

  private async persist(): Promise<void> {
    if (this.persisting) {
      // One write at a time; a change during it is written after.
      await this.persisting;
      return this.schedulePersist(0);
    }
    const idx = this.index;
    if (!idx || !this.persisted) return;
    const { store, cipher } = this.persisted;
    this.persisting = (async () => {
      try {
        const sealed = idx instanceof SnapshotIndex ? await cipher.seal(this.organisation, idx.toJsonPieces(APPLY_SLICE)) : await this.builder!.sealed(this.organisation, cipher.key(this.organisation));
        await store.save(this.organisation, sealed);
      } catch (e) {
        this.logger.warn({ organisation: this.organisation, err: (e as Error).message, store: store.kind }, 'sync: could not persist the snapshot; a restart while the control plane is down would serve an older one');
      }
    })();
    await this.persisting;
    this.persisting = undefined;
  }

  /** Waits for a pending write (at shutdown). */
  async flush(): Promise<void> {
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
      await this.persist();
    } else await this.persisting;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    await this.running?.catch(() => undefined);
    await this.flush();
  }
}
