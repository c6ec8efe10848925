import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import { SYNC_PATHS, type AnalyticsBatch, type AnalyticsRow } from '@portico/contract';
import { SpillDir } from '../logs/spill.js';

/** Sends a batch; resolves with the HTTP status (or throws on a network failure). */
export type BatchSender = (batch: AnalyticsBatch, timeoutMs: number) => Promise<{ status: number }>;

export interface ShipperLogger {
  warn(o: object, m: string): void;
  error(o: object, m: string): void;
  info(o: object, m: string): void;
}

export interface AnalyticsShipperOptions {
  gateway: string;
  send: BatchSender;
  spillDir: string;
  spillMaxBytes: number;
  maxQueueRows: number;
  batchMaxRows?: number;
  /** Longest a row waits in memory before its batch is sent. */
  batchMaxAgeMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  sendTimeoutMs?: number;
  logger: ShipperLogger;
  registry?: Registry;
}

/** Statuses after which sending the same batch again cannot succeed: it is dropped, loudly. */
const REFUSED = new Set([400, 413, 422]);

/**
 * Ships analytics rows to the control plane (POST /v1/sync/analytics) off the request path: rows are
 * queued in memory (bounded), sent in batches, and a batch the control plane did not take is written
 * to a spill directory under DATA_DIR and replayed with backoff, also after a restart. The control
 * plane stores a row once by id, so a batch sent again after a lost answer is not counted twice.
 */
export class AnalyticsShipper {
  private queue: AnalyticsRow[] = [];
  private readonly spill: SpillDir;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  /** While set, the control plane is failing: new batches go to disk until a replay gets through. */
  private backoffUntil = 0;
  private backoffMs = 0;
  private replaying = false;
  private pendingDiskRows = 0;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly opts: Required<Omit<AnalyticsShipperOptions, 'registry'>>;
  private readonly metrics?: { sent: Counter<string>; dropped: Counter<'reason'>; spilled: Counter<string> };

  constructor(options: AnalyticsShipperOptions) {
    this.opts = {
      batchMaxRows: 500, batchMaxAgeMs: 1000, retryMinMs: 500, retryMaxMs: 10_000, sendTimeoutMs: 10_000,
      ...options,
    } as Required<Omit<AnalyticsShipperOptions, 'registry'>>;
    this.spill = new SpillDir(options.spillDir, options.spillMaxBytes);
    if (options.registry) {
      const r = options.registry;
      const queued = () => this.queue.length;
      const spilled = () => this.spill.fileCount;
      new Gauge({ name: 'portico_analytics_queue_rows', help: 'Analytics rows waiting in memory for the control plane.', registers: [r], collect() { this.set(queued()); } });
      new Gauge({ name: 'portico_analytics_spill_files', help: 'Batches of analytics rows waiting on disk for the control plane.', registers: [r], collect() { this.set(spilled()); } });
      this.metrics = {
        sent: new Counter({ name: 'portico_analytics_rows_sent_total', help: 'Analytics rows the control plane accepted.', registers: [r] }),
        dropped: new Counter({ name: 'portico_analytics_rows_dropped_total', help: 'Analytics rows lost: queue and spill directory full, or refused by the control plane.', labelNames: ['reason'], registers: [r] }),
        spilled: new Counter({ name: 'portico_analytics_rows_spilled_total', help: 'Analytics rows written to disk to wait for the control plane.', registers: [r] }),
      };
    }
  }

  /** Replays batches left on disk by an earlier run. */
  async start(): Promise<void> {
    await this.spill.init();
    if (this.spill.fileCount > 0) {
      this.opts.logger.info({ batches: this.spill.fileCount }, 'analytics: replaying batches left on disk');
      void this.replay();
    }
  }

  /** Queues one row. Never blocks, never throws. */
  push(row: AnalyticsRow): void {
    if (this.closed) return;
    this.queue.push(row);
    if (this.queue.length >= this.opts.batchMaxRows) this.drain();
    else this.timer ??= setTimeout(() => this.drain(), this.opts.batchMaxAgeMs).unref();
  }

  /** Degraded while the control plane does not take rows (they wait on disk); never down. */
  health(): { status: 'ok' | 'degraded'; detail?: string } {
    if (this.lastFailure === undefined && this.spill.fileCount === 0) return { status: 'ok' };
    const waiting = `${this.spill.fileCount} batch(es) of analytics rows wait on disk for the control plane`;
    return { status: 'degraded', detail: this.lastFailure ? `${waiting}; last attempt: ${this.lastFailure}` : waiting };
  }

  get queuedRows(): number {
    return this.queue.length;
  }

  get spilledBatches(): number {
    return this.spill.fileCount;
  }

  /** Sends what is queued, in batches. */
  private drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const rows = this.queue.splice(0, this.opts.batchMaxRows);
      this.track(this.deliver(rows));
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(rows: AnalyticsRow[]): Promise<void> {
    // The control plane is failing: do not add to its load; the batch waits on disk for the replay.
    if (Date.now() < this.backoffUntil || this.inFlight.size > 4) return this.toDisk(rows);
    const ok = await this.trySend(rows);
    if (ok === 'retry') {
      await this.toDisk(rows);
      this.fail();
    }
  }

  /** 'ok' (taken or refused for good) or 'retry'. */
  private async trySend(rows: AnalyticsRow[]): Promise<'ok' | 'retry'> {
    try {
      const { status } = await this.opts.send({ gateway: this.opts.gateway, rows }, this.opts.sendTimeoutMs);
      if (status >= 200 && status < 300) {
        this.metrics?.sent.inc(rows.length);
        this.succeed();
        return 'ok';
      }
      if (REFUSED.has(status)) {
        this.metrics?.dropped.inc({ reason: 'refused' }, rows.length);
        this.opts.logger.error({ status, rows: rows.length }, 'analytics: the control plane refused a batch as malformed; dropping it (sending it again would fail the same way)');
        return 'ok';
      }
      this.noteFailure(`HTTP ${status}`);
      return 'retry';
    } catch (e) {
      this.noteFailure((e as Error).message);
      return 'retry';
    }
  }

  private lastFailure?: string;
  private noteFailure(why: string): void {
    if (why !== this.lastFailure) this.opts.logger.warn({ err: why }, 'analytics: the control plane did not take a batch; keeping it on disk and retrying');
    this.lastFailure = why;
  }

  private async toDisk(rows: AnalyticsRow[]): Promise<void> {
    // Rows waiting for the disk are memory too: past the queue bound, they are counted and dropped.
    if (this.pendingDiskRows + rows.length > this.opts.maxQueueRows) {
      this.metrics?.dropped.inc({ reason: 'queue_full' }, rows.length);
      this.opts.logger.error({ rows: rows.length }, 'analytics: rows arrive faster than the spill directory takes them (ANALYTICS_QUEUE_MAX_ROWS); rows lost');
      return;
    }
    this.pendingDiskRows += rows.length;
    try {
      await this.writeSpill(rows);
    } finally {
      this.pendingDiskRows -= rows.length;
    }
  }

  private async writeSpill(rows: AnalyticsRow[]): Promise<void> {
    const name = `${String(Date.now()).padStart(15, '0')}-${randomBytes(6).toString('hex')}.json`;
    try {
      const written = await this.spill.write(name, Buffer.from(JSON.stringify(rows)));
      if (written) {
        this.metrics?.spilled.inc(rows.length);
        this.scheduleReplay();
        return;
      }
      this.metrics?.dropped.inc({ reason: 'spill_full' }, rows.length);
      this.opts.logger.error({ rows: rows.length }, 'analytics: spill directory full (ANALYTICS_SPILL_MAX_BYTES); rows lost');
    } catch (e) {
      this.metrics?.dropped.inc({ reason: 'spill_error' }, rows.length);
      this.opts.logger.error({ err: (e as Error).message, rows: rows.length }, 'analytics: could not write to the spill directory; rows lost');
    }
  }

  private fail(): void {
    this.backoffMs = Math.min(this.opts.retryMaxMs, this.backoffMs ? this.backoffMs * 2 : this.opts.retryMinMs);
    this.backoffUntil = Date.now() + this.backoffMs;
    this.scheduleReplay();
  }

  private succeed(): void {
    if (this.backoffMs) this.opts.logger.info({}, 'analytics: the control plane takes batches again');
    this.backoffMs = 0;
    this.backoffUntil = 0;
    this.lastFailure = undefined;
    if (this.spill.fileCount > 0) this.scheduleReplay();
  }

  private scheduleReplay(): void {
    if (this.closed || this.retryTimer || this.replaying) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.replay();
    }, Math.max(0, this.backoffUntil - Date.now())).unref();
  }

  /**
   * Sends spilled batches oldest first, one at a time; stops at the first failure and backs off. The
   * next replay is scheduled only once this one has finished: scheduled from inside it (fail() while
   * `replaying`), it would be skipped, and rows left on disk would wait for new traffic to be sent.
   */
  private async replay(): Promise<void> {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    try {
      await this.replaySpilled();
    } finally {
      this.replaying = false;
    }
    if (this.spill.fileCount > 0 && !this.closed) this.scheduleReplay();
  }

  private async replaySpilled(): Promise<void> {
    for (const name of this.spill.names()) {
      if (this.closed) return;
      const data = await this.spill.read(name);
      if (!data) continue;
      let rows: AnalyticsRow[];
      try {
        rows = JSON.parse(data.toString('utf8')) as AnalyticsRow[];
      } catch {
        this.opts.logger.error({ file: name }, 'analytics: a spilled batch is not valid JSON; removing it');
        await this.spill.remove(name);
        continue;
      }
      if ((await this.trySend(rows)) === 'retry') return this.fail();
      await this.spill.remove(name);
    }
  }

  /**
   * The control plane answers again (the sync loop reached it): replay what waits on disk now rather
   * than at the end of a backoff of up to retryMaxMs.
   */
  retryNow(): void {
    if (this.closed || this.spill.fileCount === 0) return;
    this.backoffUntil = 0;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.scheduleReplay();
  }

  /**
   * At shutdown: sends what is queued within the deadline; whatever the control plane did not take
   * is on disk for the next start.
   */
  async close(deadlineMs: number): Promise<void> {
    // A send cut off by the deadline would lose its rows: leave time to write them to disk instead.
    this.opts.sendTimeoutMs = Math.max(100, Math.min(this.opts.sendTimeoutMs, deadlineMs / 2));
    this.drain();
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, deadlineMs).unref())]);
  }
}
