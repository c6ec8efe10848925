import { randomBytes } from 'node:crypto';
import type { LogDocument } from './types.js';
import type { Redactor } from './redact.js';
import { logIdTimeMs } from './ids.js';
import { hourStart } from './s3/layout.js';

/** A batch cut by the batcher: NDJSON lines sorted by document time, all in one UTC hour. */
export interface CutBatch {
  batchId: string;
  minMs: number;
  maxMs: number;
  count: number;
  /** NDJSON lines, each without its newline, sorted by time. */
  lines: string[];
  /** Document ids, for the batch's id filter. */
  ids: string[];
  bytes: number;
}

export interface BatcherOptions {
  maxDocs: number;
  maxBytes: number;
  maxAgeMs: number;
  redact: Redactor;
  onBatch: (batch: CutBatch) => void;
  /** A document that could not be serialised (circular, BigInt...). */
  onBadDocument: (err: unknown, doc: LogDocument) => void;
  now?: () => number;
}

interface OpenBatch {
  hour: number;
  openedAt: number;
  entries: Array<{ t: number; line: string; id: string }>;
  bytes: number;
}

/** Documents processed per event-loop turn, so a burst never holds the loop for long. */
const DRAIN_SLICE = 256;

/** The time a document is filed under: the time in its id, else created_at, else now. */
export function documentTimeMs(doc: LogDocument, now: number): number {
  if (doc === null || typeof doc !== 'object') throw new TypeError(`a log document must be an object (got ${doc === null ? 'null' : typeof doc})`);
  const fromId = typeof doc.id === 'string' ? logIdTimeMs(doc.id) : undefined;
  if (fromId !== undefined) return fromId;
  const created = Date.parse(doc.created_at);
  return Number.isFinite(created) && created >= 0 ? created : now;
}

export const newBatchId = (): string => randomBytes(8).toString('hex');

/**
 * Queue → redaction → NDJSON → batches. enqueue() is O(1) and does no serialisation; the work runs
 * in slices on later event-loop turns. One open batch per UTC hour of document time, cut by count,
 * by bytes and by age.
 */
export class Batcher {
  private queue: Array<{ doc: LogDocument; line?: string } | undefined> = [];
  private head = 0;
  private open = new Map<number, OpenBatch>();
  private drainScheduled = false;
  private ageTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** While the store closes: every drained slice is cut at once, not after maxAgeMs. */
  cutEagerly = false;

  constructor(private readonly opts: BatcherOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Documents not yet cut into a batch (queued or in an open batch). */
  get size(): number {
    let n = this.queue.length - this.head;
    for (const b of this.open.values()) n += b.entries.length;
    return n;
  }

  /** line: the document already redacted and serialised, when the caller has it. */
  enqueue(doc: LogDocument, line?: string): void {
    this.queue.push({ doc, line });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drainSlice);
    }
  }

  /** Processes the whole queue now and cuts every open batch. */
  cutAll(): void {
    while (this.head < this.queue.length) this.processSome(Number.MAX_SAFE_INTEGER);
    for (const hour of [...this.open.keys()]) this.cut(hour);
  }

  stop(): void {
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
  }

  private drainSlice = (): void => {
    this.drainScheduled = false;
    this.processSome(DRAIN_SLICE);
    if (this.head < this.queue.length) {
      this.drainScheduled = true;
      setImmediate(this.drainSlice);
    } else if (this.cutEagerly) {
      for (const hour of [...this.open.keys()]) this.cut(hour);
    }
  };

  private processSome(max: number): void {
    const end = Math.min(this.queue.length, this.head + max);
    const now = this.now();
    for (; this.head < end; this.head++) {
      const { doc, line: given } = this.queue[this.head]!;
      this.queue[this.head] = undefined;
      let line: string;
      let t: number;
      try {
        t = documentTimeMs(doc, now);
        line = given ?? JSON.stringify(this.opts.redact(doc));
        if (typeof line !== 'string') throw new TypeError('the log document serialises to nothing');
      } catch (err) {
        this.opts.onBadDocument(err, doc);
        continue;
      }
      this.add(t, line, String(doc.id), now);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private add(t: number, line: string, id: string, now: number): void {
    const hour = hourStart(t);
    let b = this.open.get(hour);
    if (!b) {
      b = { hour, openedAt: now, entries: [], bytes: 0 };
      this.open.set(hour, b);
      this.armAgeTimer();
    }
    b.entries.push({ t, line, id });
    b.bytes += Buffer.byteLength(line) + 1;
    if (b.entries.length >= this.opts.maxDocs || b.bytes >= this.opts.maxBytes) this.cut(hour);
  }

  private cut(hour: number): void {
    const b = this.open.get(hour);
    this.open.delete(hour);
    if (!b || b.entries.length === 0) return;
    b.entries.sort((x, y) => x.t - y.t);
    this.opts.onBatch({
      batchId: newBatchId(),
      minMs: b.entries[0].t,
      maxMs: b.entries[b.entries.length - 1].t,
      count: b.entries.length,
      lines: b.entries.map((e) => e.line),
      ids: b.entries.map((e) => e.id),
      bytes: b.bytes,
    });
  }

  private armAgeTimer(): void {
    if (this.ageTimer || this.open.size === 0) return;
    let oldest = Infinity;
    for (const b of this.open.values()) oldest = Math.min(oldest, b.openedAt);
    const wait = Math.max(0, oldest + this.opts.maxAgeMs - this.now());
    this.ageTimer = setTimeout(() => {
      this.ageTimer = undefined;
      const now = this.now();
      for (const [hour, b] of [...this.open]) if (now - b.openedAt >= this.opts.maxAgeMs) this.cut(hour);
      this.armAgeTimer();
    }, wait);
    this.ageTimer.unref();
  }
}
