import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileLogRelativePathOfIso } from '@portico/contract';
import { logIdTimeMs as logIdTime } from './ids.js';
import type { LogDocument, LogQuery, LogStore } from './types.js';

/** Longest a document waits in memory, and the queued size that triggers an append at once. */
const MAX_TICK_MS = 100;
const FLUSH_BYTES = 256 * 1024;
/** Queued lines are encoded into buffers of this size (a larger line gets one of its own). */
const CHUNK_BYTES = 256 * 1024;
/** Bytes queued at most, whatever the document count: documents can hold bodies of up to LOG_BODY_MAX_BYTES. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** The lines waiting for one hour file, already encoded. */
interface FileQueue {
  sealed: Buffer[];
  current: Buffer;
  used: number;
  docs: number;
}

/**
 * The embedded log store: NDJSON files, one per hour (`<dir>/YYYY-MM-DD/HH.ndjson`, the layout in
 * @portico/contract's log-store-layout.ts, which the data service reads). Writes are queued
 * in memory (bounded) and appended in batches by a background flush, never on the request path.
 */
export class FileLogStore implements LogStore {
  readonly kind = 'file';
  /**
   * Lines are encoded as UTF-8 into off-heap buffers when they are written: the strings die at once,
   * instead of surviving a garbage collection or two in a queue (the strings a line is built from
   * would be copied by every one).
   */
  private queues = new Map<string, FileQueue>();
  private queuedDocs = 0;
  private queuedBytes = 0;
  private lastHour = '';
  private lastFile = '';
  private madeDir = '';
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
    if (this.queuedDocs >= this.opts.maxQueue || this.queuedBytes >= MAX_QUEUED_BYTES) {
      this.dropped++;
      const bound = this.queuedDocs >= this.opts.maxQueue ? `${this.opts.maxQueue} documents` : `${MAX_QUEUED_BYTES} bytes`;
      if (this.dropped === 1 || this.dropped % 1000 === 0) this.opts.onError?.(`file log queue full (${bound}); ${this.dropped} dropped so far`);
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
    this.enqueue(this.fileFor(doc.created_at), line);
    // Short ticks and a byte bound keep the queue small and the appends few.
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

  /** Encodes a line and its newline onto the file's queue. */
  private enqueue(file: string, line: string): void {
    let q = this.queues.get(file);
    if (!q) this.queues.set(file, (q = { sealed: [], current: Buffer.allocUnsafeSlow(CHUNK_BYTES), used: 0, docs: 0 }));
    const room = q.current.length - q.used;
    // A UTF-16 unit takes at most 3 bytes of UTF-8: most lines fit without being measured.
    if (line.length * 3 + 1 > room) {
      const bytes = Buffer.byteLength(line) + 1;
      if (bytes > room) {
        if (q.used > 0) q.sealed.push(q.current.subarray(0, q.used));
        q.current = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, bytes));
        q.used = 0;
      }
    }
    const start = q.used;
    q.used += q.current.write(line, start);
    q.current[q.used++] = 0x0a;
    q.docs++;
    this.queuedDocs++;
    this.queuedBytes += q.used - start;
  }

  private drain(): Promise<void> {
    this.flushing ??= this.appendAll().finally(() => {
      this.flushing = undefined;
      // A tick that fired during this append found it running and did nothing: what it was for is
      // still queued, with no timer left to write it.
      if (this.queuedDocs > 0 && !this.timer) void this.drain();
    });
    return this.flushing;
  }

  /**
   * Appends what is queued now, one append per hour file. Documents that arrive meanwhile wait for
   * the next tick: under steady load that is one append per tick, not a chain of tiny appends.
   */
  private async appendAll(): Promise<void> {
    const queues = this.queues;
    this.queues = new Map();
    this.queuedDocs = 0;
    this.queuedBytes = 0;
    for (const [file, q] of queues) {
      const buffers = q.used > 0 ? [...q.sealed, q.current.subarray(0, q.used)] : q.sealed;
      try {
        this.appends++;
        await this.append(file, buffers);
        this.written += q.docs;
        this.lastError = undefined;
      } catch (e) {
        this.lastError = (e as Error).message;
        this.dropped += q.docs;
        this.opts.onError?.(`could not append ${q.docs} log documents to ${file}: ${this.lastError}`);
      }
    }
  }

  /** Opened per append, not held: a file moved or deleted by log rotation is created again. */
  private async append(file: string, buffers: Buffer[]): Promise<void> {
    const handle = await this.openForAppend(file);
    try {
      let rest = buffers;
      while (rest.length) {
        const { bytesWritten } = await handle.writev(rest);
        rest = remainingAfter(rest, bytesWritten);
      }
    } finally {
      await handle.close();
    }
  }

  private async openForAppend(file: string): Promise<FileHandle> {
    const dir = dirname(file);
    if (dir !== this.madeDir) {
      await mkdir(dir, { recursive: true });
      this.madeDir = dir;
    }
    try {
      return await open(file, 'a');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // The directory went away since it was made (a clean-up by hand or by a rotation job): make it again.
      await mkdir(dir, { recursive: true });
      return await open(file, 'a');
    }
  }

  /** `<dir>/YYYY-MM-DD/HH.ndjson` for a time (ISO string or Date), the path reused within the hour. */
  private fileFor(at: string | Date): string {
    // Documents of the hour already seen: one comparison instead of a parse.
    if (typeof at === 'string' && at.length === 24 && at.endsWith('Z') && this.lastHour && at.startsWith(this.lastHour)) return this.lastFile;
    let iso = typeof at === 'string' ? at : at.toISOString();
    if (!/^\d{4}-\d\d-\d\dT\d\d/.test(iso) || !iso.endsWith('Z')) iso = new Date(Number.isNaN(Date.parse(iso)) ? Date.now() : Date.parse(iso)).toISOString();
    const hour = iso.slice(0, 13);
    if (hour !== this.lastHour) {
      this.lastHour = hour;
      this.lastFile = join(this.dir, fileLogRelativePathOfIso(iso));
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
      while ((this.queuedDocs > 0 || this.flushing) && Date.now() < until);
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

/** What is left of `buffers` once `written` bytes of them went out (writev may write less than all). */
function remainingAfter(buffers: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < buffers.length && written >= buffers[i].length) written -= buffers[i++].length;
  if (i === buffers.length) return [];
  return [buffers[i].subarray(written), ...buffers.slice(i + 1)];
}
