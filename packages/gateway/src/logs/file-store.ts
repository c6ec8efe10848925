import { appendFile, mkdir } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { logIdTimeMs as logIdTime } from './ids.js';
import type { LogDocument, LogQuery, LogStore } from './types.js';

/** Longest a document waits in memory, and the queued size that triggers an append at once. */
const MAX_TICK_MS = 100;
const FLUSH_BYTES = 256 * 1024;

/**
 * The embedded log store: NDJSON files, one per hour (`<dir>/YYYY-MM-DD/HH.ndjson`). Writes are queued
 * in memory (bounded) and appended in batches by a background flush, never on the request path.
 */
export class FileLogStore implements LogStore {
  readonly kind = 'file';
  /** Serialised at write(): one string per document keeps the queue cheap for the garbage collector. */
  private queue: Array<{ file: string; line: string }> = [];
  private queuedBytes = 0;
  private lastHour = '';
  private lastFile = '';
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private lastError?: string;
  dropped = 0;
  written = 0;
  /** Append calls made, for tests and the bench: a steady stream should cost one per tick. */
  appends = 0;

  constructor(
    private readonly dir: string,
    private readonly opts: { maxQueue: number; batchMaxAgeMs: number; onError?: (msg: string) => void } = { maxQueue: 20_000, batchMaxAgeMs: 200 },
  ) {}

  write(doc: LogDocument, serialised?: string): void {
    if (this.queue.length >= this.opts.maxQueue) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) this.opts.onError?.(`file log queue full (${this.opts.maxQueue} documents); ${this.dropped} dropped so far`);
      return;
    }
    let line: string;
    try {
      line = serialised ?? JSON.stringify(doc);
    } catch (e) {
      this.dropped++;
      this.opts.onError?.(`could not serialise log document ${String(doc?.id)}: ${(e as Error).message}`);
      return;
    }
    this.queue.push({ file: this.fileFor(doc.created_at), line });
    this.queuedBytes += line.length;
    // Short ticks and a byte bound: documents held longer get promoted to the old heap, which costs
    // far more memory than the appends they save.
    if (this.queuedBytes >= FLUSH_BYTES && !this.flushing) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.drain();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, Math.min(this.opts.batchMaxAgeMs, MAX_TICK_MS));
  }

  private drain(): Promise<void> {
    this.flushing ??= this.appendAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * Appends what is queued now, one append per hour file. Documents that arrive meanwhile wait for
   * the next tick: under steady load that is one append per tick, not a chain of tiny appends.
   */
  private async appendAll(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    const byFile = new Map<string, string[]>();
    for (const { file, line } of batch) {
      let lines = byFile.get(file);
      if (!lines) byFile.set(file, (lines = []));
      lines.push(line);
    }
    for (const [file, lines] of byFile) {
      try {
        await mkdir(join(file, '..'), { recursive: true });
        this.appends++;
        await appendFile(file, lines.join('\n') + '\n');
        this.written += lines.length;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
        this.dropped += lines.length;
        this.opts.onError?.(`could not append ${lines.length} log documents to ${file}: ${this.lastError}`);
      }
    }
  }

  /** `<dir>/YYYY-MM-DD/HH.ndjson` for a time (ISO string or Date), the path reused within the hour. */
  private fileFor(at: string | Date): string {
    let iso = typeof at === 'string' ? at : at.toISOString();
    if (!/^\d{4}-\d\d-\d\dT\d\d/.test(iso) || !iso.endsWith('Z')) iso = new Date(Number.isNaN(Date.parse(iso)) ? Date.now() : Date.parse(iso)).toISOString();
    const hour = iso.slice(0, 13);
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.lastFile = join(this.dir, iso.slice(0, 10), `${iso.slice(11, 13)}.ndjson`);
    }
    return this.lastFile;
  }

  async flush(deadlineMs: number): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const until = Date.now() + Math.max(0, deadlineMs);
    const drainAll = async () => {
      do await this.drain();
      while (this.queue.length && Date.now() < until);
    };
    await Promise.race([drainAll(), new Promise((r) => setTimeout(r, Math.max(0, deadlineMs)).unref())]);
  }

  async close(deadlineMs: number): Promise<void> {
    await this.flush(deadlineMs);
  }

  async get(id: string): Promise<LogDocument | undefined> {
    const t = logIdTime(id);
    if (t === undefined) return undefined;
    // A document is filed by its creation time, which is at or shortly after its id's time.
    for (const offset of [0, 3_600_000]) {
      for await (const doc of this.readFile(this.fileFor(new Date(t + offset)))) if (doc.id === id) return doc;
    }
    return undefined;
  }

  async *list(query: LogQuery): AsyncIterable<LogDocument> {
    let count = 0;
    const limit = query.limit ?? Infinity;
    const start = Math.floor(query.from.getTime() / 3_600_000) * 3_600_000;
    for (let h = start; h <= query.to.getTime(); h += 3_600_000) {
      for await (const doc of this.readFile(this.fileFor(new Date(h)))) {
        const at = Date.parse(doc.created_at);
        if (at < query.from.getTime() || at > query.to.getTime()) continue;
        yield doc;
        if (++count >= limit) return;
      }
    }
  }

  private async *readFile(file: string): AsyncIterable<LogDocument> {
    const stream = createReadStream(file, { encoding: 'utf8' });
    try {
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        try {
          yield JSON.parse(line) as LogDocument;
        } catch {
          // A torn last line after a crash: skip it, keep reading.
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      stream.destroy();
    }
  }

  health() {
    return this.lastError ? { status: 'degraded' as const, detail: `file log store: ${this.lastError}` } : { status: 'ok' as const };
  }
}
