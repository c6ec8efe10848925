import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { constants as zlibConstants, gunzip, gzip, gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Counter, Gauge } from 'prom-client';
import type { Settings } from '../../config/settings.js';
import type { LogDocument, LogQuery, LogStore } from '../types.js';
import { Batcher, type CutBatch } from '../batcher.js';
import { makeRedactor } from '../redact.js';
import { SpillDir } from '../spill.js';
import { logStoreMetrics, type LogStoreMetrics } from '../metrics.js';
import { batchFileName, batchKey, parseBatchFileName } from './layout.js';
import { createLogS3Client, s3LogStoreConfig, type LogStoreLogger, type S3LogStoreConfig, type S3LogStoreDeps } from './config.js';
import { getDocumentById, listDocuments, parseNdjson, type S3ReadTarget } from './reader.js';
import { buildIdFilter, ID_FILTER_META } from './id-filter.js';
import { deadlineAt, describe, sleep, Slots } from './support.js';

const gzipAsync = promisify(gzip);
/** Fastest compression: NDJSON logs still shrink several-fold, at a fraction of the default level's CPU. */
const GZIP = { level: zlibConstants.Z_BEST_SPEED };
const gunzipAsync = promisify(gunzip);

export type { LogStoreLogger, S3LogStoreDeps } from './config.js';

interface Job {
  cut: CutBatch;
  name: string;
  key: string;
  body?: Buffer;
  settled: boolean;
  spilling?: Promise<void>;
}

const MAX_CONCURRENT_PUTS = 4;
const DROP_LOG_EVERY_MS = 10_000;

/**
 * Log store on S3 (or an S3-compatible endpoint). write() only enqueues; redaction, serialisation,
 * compression and upload happen later, off the request path. See README.md for layout and durability.
 */
export class S3LogStore implements LogStore {
  readonly kind = 's3';
  readonly config: S3LogStoreConfig;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly log: LogStoreLogger;
  private readonly metrics: LogStoreMetrics;
  /** Label children resolved once. */
  private readonly m: { written: Counter.Internal; spilled: Counter.Internal; replayed: Counter.Internal; spillBytes: Gauge.Internal<'store'> };
  private readonly removeDepthSource: () => void;
  private readonly batcher: Batcher;
  readonly spill: SpillDir;
  private readonly target: S3ReadTarget;
  private readonly uploadTimeoutMs: number;
  private readonly backoff: { initial: number; max: number };

  /** Documents in memory that are not yet durable (queued, batching, compressing, uploading). */
  private pendingDocs = 0;
  private jobs = new Set<Job>();
  private readonly slots = new Slots(MAX_CONCURRENT_PUTS);
  private idleWaiters: Array<() => void> = [];
  private failing = false;
  private lastError: string | undefined;
  private spillBroken: string | undefined;
  private replaying: Promise<void> | undefined;
  private wakeReplay: (() => void) | undefined;
  /** No more writes (close() has passed its upload phase). */
  private closed = false;
  /** Background work (replay, uploads) ends. */
  private stopped = false;
  private readonly closeAbort = new AbortController();
  private closing: Promise<void> | undefined;
  private dropsSinceLog = 0;
  /** Settles once the spill directory has been scanned (and its replay started). Never rejects. */
  readonly ready: Promise<void>;
  private lastDropLog = 0;

  constructor(settings: Settings, deps: S3LogStoreDeps = {}) {
    this.config = { ...s3LogStoreConfig(settings), ...deps.config };
    this.ownsClient = !deps.client;
    this.client = deps.client ?? createLogS3Client(settings);
    this.log = deps.logger ?? pino({ level: settings.LOG_LEVEL || 'info', name: 'log-store' });
    this.metrics = logStoreMetrics(deps.registry);
    const store = { store: 's3' };
    this.m = {
      written: this.metrics.written.labels(store),
      spilled: this.metrics.spilled.labels(store),
      replayed: this.metrics.replayed.labels(store),
      spillBytes: this.metrics.spillBytes.labels(store),
    };
    this.removeDepthSource = this.metrics.addQueueDepthSource('s3', () => this.pendingDocs);
    this.uploadTimeoutMs = deps.uploadTimeoutMs ?? 15_000;
    this.backoff = deps.replayBackoffMs ?? { initial: 500, max: 30_000 };
    this.target = { client: this.client, bucket: this.config.bucket, prefix: this.config.prefix };
    this.spill = new SpillDir(this.config.spillDir, this.config.spillMaxBytes);
    this.batcher = new Batcher({
      maxDocs: this.config.batchMaxDocs,
      maxBytes: this.config.batchMaxBytes,
      maxAgeMs: this.config.batchMaxAgeMs,
      redact: deps.redact === false ? (d) => d : (deps.redact ?? makeRedactor(this.config.redactFields)),
      onBatch: (cut) => this.startJob(cut),
      onBadDocument: (err, doc) => {
        this.settleDocs(1);
        this.drop(1, 'unserializable', { trace_id: doc?.trace_id, ...describe(err) });
      },
    });
    // No network at start: the store serves even when S3 is unreachable. Spill left by a previous
    // process (crash, kill -9, an outage that outlived it) is replayed in the background.
    this.ready = this.spill.init().then(
      () => {
        this.m.spillBytes.set(this.spill.bytes);
        if (this.spill.fileCount > 0) {
          this.log.info({ files: this.spill.fileCount, bytes: this.spill.bytes }, 'log store: replaying spilled batches from a previous run');
          this.startReplay();
        }
      },
      (err: unknown) => {
        this.spillBroken = `spill directory ${this.config.spillDir} is unusable: ${describe(err).error}`;
        this.log.error(describe(err), `log store: ${this.spillBroken}; documents will be dropped while S3 fails`);
      },
    );
  }

  write(doc: LogDocument, line?: string): void {
    if (this.closed) return this.drop(1, 'closed', { trace_id: doc?.trace_id });
    if (this.pendingDocs >= this.config.queueMaxDocs) return this.drop(1, 'queue_full', { trace_id: doc?.trace_id });
    this.pendingDocs++;
    this.batcher.enqueue(doc, line);
  }

  async flush(deadlineMs: number): Promise<void> {
    const until = deadlineAt(deadlineMs);
    this.batcher.cutAll();
    await this.waitIdle(until);
  }

  close(deadlineMs: number): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    const until = deadlineAt(deadlineMs);
    // Leave time at the end to spill what S3 did not take: a local fsync is milliseconds.
    const uploadUntil = until - Math.min(1_000, Math.max(0, (until - Date.now()) * 0.2));
    this.batcher.cutEagerly = true;
    this.batcher.cutAll();
    await this.waitIdle(uploadUntil);
    // From here on write() counts drops; what arrived while waiting is cut and spilled with the rest.
    this.closed = true;
    this.batcher.cutAll();
    this.batcher.stop();
    await Promise.all([...this.jobs].map((j) => this.spillJob(j, 'shutdown')));
    // Spill files are replayed up to the deadline: an ECS task's disk may not outlive the task.
    if (this.spill.fileCount > 0 && !this.spillBroken && !this.failing) {
      this.startReplay();
      const replay = this.replaying;
      if (replay) await Promise.race([replay, sleep(until - Date.now())]);
    }
    this.stopped = true;
    this.removeDepthSource();
    this.closeAbort.abort();
    this.wakeReplay?.();
    if (this.ownsClient) this.client.destroy();
    if (this.spill.fileCount > 0) {
      this.log.warn({ files: this.spill.fileCount, bytes: this.spill.bytes, dir: this.config.spillDir }, 'log store: closing with spilled batches; they are replayed at the next start');
    }
  }

  get(id: string): Promise<LogDocument | undefined> {
    return getDocumentById(this.target, id);
  }

  list(query: LogQuery): AsyncIterable<LogDocument> {
    return listDocuments(this.target, query);
  }

  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.spillBroken) return { status: 'degraded', detail: this.spillBroken };
    if (this.failing) return { status: 'degraded', detail: `S3 uploads failing (${this.lastError ?? 'unknown error'}); batches spill to ${this.config.spillDir}` };
    if (this.spill.fileCount > 0) return { status: 'degraded', detail: `${this.spill.fileCount} spilled batches waiting for replay` };
    return { status: 'ok' };
  }

  /** Documents in memory not yet durable; for tests and the queue-depth gauge. */
  get pending(): number {
    return this.pendingDocs;
  }

  // ---- upload path ----

  private startJob(cut: CutBatch): void {
    const name = batchFileName({ minMs: cut.minMs, maxMs: cut.maxMs, count: cut.count, batchId: cut.batchId });
    const job: Job = { cut, name, key: batchKey(this.config.prefix, { ...cut }), settled: false };
    this.jobs.add(job);
    void this.runJob(job);
  }

  private async runJob(job: Job): Promise<void> {
    try {
      job.body = await gzipAsync(job.cut.lines.join('\n') + '\n', GZIP);
      if (job.settled) return;
      if (this.closed || (this.failing && this.spillHasRoom(job.body.length))) return await this.spillJob(job, 'store failing');
      // S3 answers but slowly: rather than let uploads queue up to the memory bound (and drop), put
      // the batch on disk; the replay loop uploads it when it can.
      if (this.slots.free === 0 && this.pendingDocs > this.config.queueMaxDocs / 2) return await this.spillJob(job, 'upload backlog');
      await this.slots.acquire();
      try {
        if (job.settled) return;
        // With no room on disk, trying S3 is the batch's only chance, and it is what notices recovery.
        if (this.failing && this.spillHasRoom(job.body.length)) return await this.spillJob(job, 'store failing');
        await this.put(job.key, job.body, buildIdFilter(job.cut.ids));
        this.markHealthy();
        if (this.settleJob(job)) this.m.written.inc(job.cut.count);
      } finally {
        this.slots.release();
      }
    } catch (err) {
      if (!this.stopped) this.markFailing(err);
      await this.spillJob(job, 'upload failed');
    }
  }

  private put(key: string, body: Buffer, idFilter: string | undefined): Promise<unknown> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.uploadTimeoutMs), this.closeAbort.signal]);
    return this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/x-ndjson',
        ContentEncoding: 'gzip',
        Metadata: idFilter === undefined ? undefined : { [ID_FILTER_META]: idFilter },
      }),
      { abortSignal: signal },
    );
  }

  private spillHasRoom(bytes: number): boolean {
    return !this.spillBroken && this.spill.bytes + bytes <= this.config.spillMaxBytes;
  }

  private spillJob(job: Job, why: string): Promise<void> {
    if (job.settled) return Promise.resolve();
    job.spilling ??= (async () => {
      let ok = false;
      try {
        const body = job.body ?? gzipSync(job.cut.lines.join('\n') + '\n', GZIP);
        ok = await this.spill.write(job.name, body);
      } catch (err) {
        if (this.settleJob(job)) this.drop(job.cut.count, 'spill_error', { batch: job.name, why, ...describe(err) });
        return;
      }
      if (!this.settleJob(job)) return;
      this.m.spillBytes.set(this.spill.bytes);
      if (ok) {
        this.m.spilled.inc(job.cut.count);
        this.startReplay();
      } else {
        this.drop(job.cut.count, 'spill_full', { batch: job.name, why, spill_bytes: this.spill.bytes, spill_max_bytes: this.config.spillMaxBytes });
      }
    })();
    return job.spilling;
  }

  /** Marks a job done exactly once; false when it already was (spilled at shutdown, then uploaded). */
  private settleJob(job: Job): boolean {
    if (job.settled) return false;
    job.settled = true;
    this.jobs.delete(job);
    this.settleDocs(job.cut.count);
    return true;
  }

  private settleDocs(n: number): void {
    this.pendingDocs -= n;
    if (this.pendingDocs === 0 && this.jobs.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private waitIdle(until: number): Promise<void> {
    if (this.pendingDocs === 0 && this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private markFailing(err: unknown): void {
    const d = describe(err);
    if (!this.failing) this.log.warn({ ...d, bucket: this.config.bucket }, 'log store: S3 upload failed; spilling batches to disk and retrying with backoff');
    this.failing = true;
    this.lastError = d.error;
  }

  private markHealthy(): void {
    if (this.failing) this.log.info({ bucket: this.config.bucket }, 'log store: S3 answers again');
    this.failing = false;
    this.lastError = undefined;
    this.wakeReplay?.();
  }

  private drop(n: number, reason: string, detail: object): void {
    this.metrics.dropped.inc({ store: 's3', reason }, n);
    this.dropsSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_EVERY_MS) {
      this.log.error({ dropped: this.dropsSinceLog, reason, ...detail }, 'log store: dropped log documents; queue and spill are both exhausted or unusable');
      this.dropsSinceLog = 0;
      this.lastDropLog = now;
    }
  }

  // ---- replay of spilled batches ----

  private startReplay(): void {
    if (this.replaying || this.stopped) return;
    this.replaying = this.replayLoop().finally(() => {
      this.replaying = undefined;
      // Files spilled while the loop was finishing.
      if (this.spill.fileCount > 0 && !this.stopped) this.startReplay();
    });
  }

  private async replayLoop(): Promise<void> {
    let wait = this.backoff.initial;
    if (this.failing) await this.backoffSleep(wait);
    while (!this.stopped && this.spill.fileCount > 0) {
      const name = this.spill.names()[0];
      const parsed = parseBatchFileName(name);
      if (!parsed) {
        this.log.warn({ file: name, dir: this.config.spillDir }, 'log store: ignoring a file in the spill directory that is not a spilled batch');
        await this.spill.remove(name).catch((err: unknown) => this.log.error(describe(err), 'log store: could not remove a stray spill file'));
        continue;
      }
      try {
        const body = await this.spill.read(name);
        if (!body) continue;
        await this.put(batchKey(this.config.prefix, parsed), body, await this.filterOf(name, body));
        await this.spill.remove(name);
        this.m.replayed.inc(parsed.count);
        this.m.spillBytes.set(this.spill.bytes);
        this.markHealthy();
        wait = this.backoff.initial;
      } catch (err) {
        if (this.stopped) return;
        this.markFailing(err);
        await this.backoffSleep(wait);
        wait = Math.min(this.backoff.max, wait * 2);
      }
    }
  }

  /** The id filter of a spilled batch, rebuilt from its body; none (get() then reads it) if unreadable. */
  private async filterOf(name: string, body: Buffer): Promise<string | undefined> {
    try {
      const docs = parseNdjson((await gunzipAsync(body)).toString('utf8'), `spill file ${name}`);
      return buildIdFilter(docs.map((d) => String(d.id)));
    } catch (err) {
      this.log.warn({ file: name, ...describe(err) }, 'log store: a spilled batch is not readable NDJSON; uploading it as is, without an id filter');
      return undefined;
    }
  }

  /** Sleeps with ±25% jitter; a live upload that succeeds, or close(), wakes it early. */
  private backoffSleep(ms: number): Promise<void> {
    const jittered = ms * (0.75 + Math.random() * 0.5);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, jittered);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeReplay = done;
    }).finally(() => {
      this.wakeReplay = undefined;
    });
  }
}

/** The S3 log store for LOG_STORE=s3 | s3_assume | s3_custom. Never touches the network here. */
export function createS3LogStore(settings: Settings, deps?: S3LogStoreDeps): S3LogStore {
  return new S3LogStore(settings, deps);
}
