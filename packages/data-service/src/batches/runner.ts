import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Logger } from 'pino';
import type { BlobStore } from '../storage/blob-store.js';
import type { JobStore } from '../storage/job-store.js';
import type { Sealer } from '../storage/secret.js';
import type { FileRecord, FileService } from '../files/service.js';
import { lineBatches } from '../logs/lines.js';
import { sleep } from '../jobs/job-host.js';
import type { ServiceMetrics } from '../observability.js';
import { BatchPacer, type GatewayCaller, type LineResult } from './gateway-call.js';
import { nowS, type BatchRecord } from './record.js';

export interface BatchRunnerDeps {
  jobs: JobStore<BatchRecord>;
  files: JobStore<FileRecord>;
  fileService: FileService;
  blobs: BlobStore;
  sealer: Sealer;
  caller: GatewayCaller;
  logger: Logger;
  metrics: ServiceMetrics;
  concurrency: number;
  /** How often the stored record is re-read (a cancel from another replica) and progress saved. */
  syncMs: number;
}

interface Done {
  i: number;
  ok: boolean;
  line: string;
}

interface InputLine {
  i: number;
  custom_id: string;
  url: string;
  body: unknown;
}

const RETRY_STORE_MS = [200, 500, 1000, 2000, 3000];
const FLUSHES_IN_FLIGHT = 4;

/**
 * Runs a batch: every input line through the gateway at bounded concurrency, results checkpointed as
 * they finish. Results go into segment objects (`batches/<id>/results/*.jsonl`), written continuously:
 * one write is in flight at a time, carrying everything that finished meanwhile. A restarted run reads
 * the segments and skips lines already done, so only lines in flight (sent, or finished with their
 * segment not yet written) when a replica died are sent again. Finalising merges the segments by line
 * number, first result wins: each custom_id lands exactly once in the output or the error file.
 */
export class BatchRunner {
  constructor(private readonly d: BatchRunnerDeps) {}

  private segPrefix(id: string): string {
    return `batches/${id}/results/`;
  }

  private async *inputLines(r: BatchRecord): AsyncIterable<InputLine> {
    const file = await this.d.files.get(r.input_file_id);
    if (!file) throw new Error(`input file ${r.input_file_id} is gone`);
    const stream = await this.d.blobs.getStream(file.content_key);
    if (!stream) throw new Error(`input file ${r.input_file_id} has no content`);
    let i = 0;
    try {
      for await (const lines of lineBatches(stream)) {
        for (const text of lines) {
          if (!text.trim()) continue;
          const o = JSON.parse(text) as { custom_id: string; url: string; body: unknown };
          yield { i: i++, custom_id: o.custom_id, url: o.url, body: o.body };
        }
      }
    } finally {
      stream.destroy();
    }
  }

  /** Segment entries, streamed: the caller sees each once per write (a line may appear twice after a crash). */
  private async *segmentEntries(id: string): AsyncIterable<Done> {
    for await (const o of this.d.blobs.list(this.segPrefix(id))) {
      const stream = await this.d.blobs.getStream(o.key);
      if (!stream) continue;
      try {
        for await (const lines of lineBatches(stream)) {
          for (const text of lines) {
            if (!text) continue;
            try {
              yield JSON.parse(text) as Done;
            } catch {
              // a journal's torn last line after a crash: that line runs again
            }
          }
        }
      } finally {
        stream.destroy();
      }
    }
  }

  /** Lines done so far (line number → succeeded), from the checkpoints; memory is a number per line. */
  private async readDone(id: string): Promise<Map<number, boolean>> {
    const done = new Map<number, boolean>();
    for await (const e of this.segmentEntries(id)) if (!done.has(e.i)) done.set(e.i, e.ok);
    return done;
  }

  private counts(r: BatchRecord, done: Map<number, boolean>): void {
    let ok = 0;
    for (const v of done.values()) if (v) ok++;
    r.request_counts.completed = ok;
    r.request_counts.failed = done.size - ok;
  }

  /** Validates the lines against the batch's endpoint and counts them. */
  private async validate(r: BatchRecord): Promise<boolean> {
    let total = 0;
    for await (const line of this.inputLines(r)) {
      total++;
      if (line.url !== r.endpoint) {
        r.status = 'failed';
        r.failed_at = nowS();
        r.errors = { object: 'list', data: [{ code: 'invalid_url', message: `Line ${line.i + 1}: url "${line.url}" differs from the batch's endpoint "${r.endpoint}"; every line must use the batch's endpoint.`, param: 'url', line: line.i + 1 }] };
        return false;
      }
    }
    r.request_counts.total = total;
    r.status = 'in_progress';
    r.in_progress_at = nowS();
    return true;
  }

  async execute(id: string, signal: AbortSignal): Promise<void> {
    const r = await this.d.jobs.get(id);
    if (!r) return;
    this.d.jobs.hold(r);
    this.d.metrics.jobsActive.inc({ kind: 'batch' });
    try {
      if (r.status === 'validating') {
        const ok = await this.validate(r);
        await this.saveRetrying(r, signal);
        if (!ok) return void (await this.d.jobs.clearActive(r.id).catch(() => undefined));
      }
      const done = await this.readDone(r.id);
      this.counts(r, done);
      const t0 = Date.now();
      if (r.status === 'in_progress') {
        this.d.logger.info({ batch_id: r.id, done: done.size, total: r.request_counts.total }, done.size ? 'batch resumed' : 'batch started');
        await this.run(r, done, signal);
      }
      const t1 = Date.now();
      if (signal.aborted && signal.reason !== 'cancel') {
        this.d.logger.info({ batch_id: r.id, reason: String(signal.reason), counts: r.request_counts }, 'batch stopped here; it resumes from its checkpoints');
        return;
      }
      if (r.status === 'in_progress' || r.status === 'cancelling' || r.status === 'finalizing' || r.status === 'expired') {
        await this.finalize(r, signal);
        this.d.logger.info({ batch_id: r.id, status: r.status, run_ms: t1 - t0, finalize_ms: Date.now() - t1, counts: r.request_counts }, 'batch finished');
      }
    } finally {
      this.d.jobs.drop(r.id);
      this.d.metrics.jobsActive.dec({ kind: 'batch' });
    }
  }

  private async run(r: BatchRecord, done: Map<number, boolean>, signal: AbortSignal): Promise<void> {
    const headers = this.d.sealer.open<Record<string, string>>(r.sealed_headers);
    const pacer = new BatchPacer();
    // A line holds its concurrency slot until its result is written: lines sent or awaiting their
    // checkpoint never exceed the concurrency, and they are all a crash can repeat.
    const pending: Array<{ e: Done; written: () => void }> = [];
    let storeDown = false;
    let inFlight = 0;
    let stop = false;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    // Up to FLUSHES_IN_FLIGHT segment writes at once, each carrying what finished before it started.
    const flushes = new Set<Promise<void>>();
    const journal = `${this.segPrefix(r.id)}journal-${randomBytes(6).toString('hex')}.jsonl`;
    const flush = (): Promise<void> => {
      if (pending.length === 0) return Promise.resolve();
      if (flushes.size >= FLUSHES_IN_FLIGHT) return Promise.race(flushes);
      const take = pending.splice(0, pending.length);
      const key = `${this.segPrefix(r.id)}${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}.jsonl`;
      const p: Promise<void> = (async () => {
        const text = take.map((t) => JSON.stringify(t.e)).join('\n') + '\n';
        for (let attempt = 0; ; attempt++) {
          try {
            // A local folder appends to this run's journal (one write); S3 gets one object per checkpoint.
            if (this.d.blobs.append) await this.d.blobs.append(journal, text);
            else await this.d.blobs.putBytes(key, text, 'application/x-ndjson');
            for (const t of take) {
              done.set(t.e.i, t.e.ok);
              if (t.e.ok) r.request_counts.completed++;
              else r.request_counts.failed++;
              t.written();
            }
            if (storeDown) {
              storeDown = false;
              r.paused_reason = null;
            }
            return;
          } catch (e) {
            // The object store is out: no new lines start until their results can be kept.
            storeDown = true;
            this.d.metrics.storageErrors.inc({ store: 'batches' });
            r.paused_reason = `object store unavailable, retrying: ${(e as Error).message}`;
            this.d.jobs.setLive(r);
            if (signal.aborted && attempt > 2) {
              // Stopping with the store out: these results are lost and their lines run again later.
              for (const t of take) t.written();
              throw e;
            }
            await sleep(RETRY_STORE_MS[Math.min(attempt, RETRY_STORE_MS.length - 1)]);
          }
        }
      })().finally(() => {
        flushes.delete(p);
        notify();
        if (pending.length) void flush().catch(() => undefined);
      });
      flushes.add(p);
      return p;
    };
    // Status read (a cancel from another replica) and progress save, once a second, in the background:
    // the dispatch loop never waits on the object store for them.
    let lastSync = Date.now();
    let syncing = false;
    const sync = () => {
      if (syncing || Date.now() - lastSync < this.d.syncMs) return;
      lastSync = Date.now();
      syncing = true;
      void (async () => {
        const stored = await this.d.jobs.getStored(r.id).catch(() => undefined);
        if (stored?.status === 'cancelling') {
          r.status = 'cancelling';
          r.cancelling_at = stored.cancelling_at;
          stop = true;
          notify();
        }
        if (r.expires_at !== null && nowS() >= r.expires_at) {
          stop = true;
          notify();
        }
        await this.d.jobs.put(r).catch(() => undefined);
      })().finally(() => {
        syncing = false;
        lastSync = Date.now();
      });
    };
    const runLine = async (line: InputLine) => {
      let result: LineResult;
      try {
        result = await this.d.caller.call(line.url, line.body, headers, pacer, calls.signal);
      } catch {
        return; // aborted: in flight, sent again by the next run
      }
      const ok = result.status >= 200 && result.status < 300;
      const reqId = `batch_req_${randomBytes(12).toString('hex')}`;
      const out = result.error && result.status === 0
        ? { id: reqId, custom_id: line.custom_id, response: null, error: result.error }
        : { id: reqId, custom_id: line.custom_id, response: { status_code: result.status, request_id: result.requestId, body: result.body }, error: null };
      this.d.metrics.batchLines.inc({ outcome: ok ? 'completed' : 'failed' });
      await new Promise<void>((written) => {
        pending.push({ e: { i: line.i, ok, line: JSON.stringify(out) }, written });
        void flush();
      });
    };
    signal.addEventListener('abort', notify, { once: true });
    // On SIGTERM no new line starts, but lines in flight may finish (within the shutdown deadline),
    // so a graceful stop repeats nothing. Cancel and a lost lease stop them at once.
    const calls = new AbortController();
    setMaxListeners(this.d.concurrency + 16, calls.signal);
    const onStop = () => {
      if (signal.reason !== 'shutdown') calls.abort(signal.reason);
    };
    signal.addEventListener('abort', onStop, { once: true });
    const running = new Set<Promise<void>>();
    for await (const line of this.inputLines(r)) {
      if (done.has(line.i)) continue;
      sync();
      while (!signal.aborted && !stop && (inFlight >= this.d.concurrency || storeDown)) await new Promise<void>((res) => (wake = res));
      if (signal.aborted || stop) break;
      inFlight++;
      const p = runLine(line).finally(() => {
        inFlight--;
        running.delete(p);
        notify();
      });
      running.add(p);
    }
    await Promise.allSettled([...running]);
    while (pending.length || flushes.size) await (pending.length ? flush() : Promise.race(flushes));
    if (!signal.aborted && r.expires_at !== null && nowS() >= r.expires_at && r.status === 'in_progress') {
      r.status = 'expired';
      r.expired_at = nowS();
    }
    if (signal.aborted && signal.reason === 'cancel') r.status = 'cancelling';
  }

  /**
   * Streams the checkpoints into the output and error files (OpenAI's output order is not the input's;
   * custom_id links them), first result per line wins; lines never run get an error naming why.
   * Memory: a number per line, and the upload parts in flight.
   */
  private async finalize(r: BatchRecord, signal: AbortSignal): Promise<void> {
    const ending = r.status === 'cancelling' ? 'cancelled' : r.status === 'expired' ? 'expired' : 'completed';
    r.status = 'finalizing';
    r.finalizing_at ??= nowS();
    await this.saveRetrying(r, signal);
    const outSlot = this.d.fileService.reserve();
    const errSlot = this.d.fileService.reserve();
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    const err = new PassThrough({ highWaterMark: 1024 * 1024 });
    const uploads = Promise.all([this.d.blobs.putStream(outSlot.key, out, 'application/x-ndjson'), this.d.blobs.putStream(errSlot.key, err, 'application/x-ndjson')]);
    uploads.catch(() => undefined);
    const write = async (s: PassThrough, text: string) => {
      if (!s.write(text)) await new Promise<void>((resolve) => s.once('drain', () => resolve()));
    };
    const seen = new Set<number>();
    let outLines = 0;
    let errLines = 0;
    let total = 0;
    try {
      for await (const e of this.segmentEntries(r.id)) {
        if (seen.has(e.i)) continue;
        seen.add(e.i);
        if (e.ok) outLines++;
        else errLines++;
        await write(e.ok ? out : err, e.line + '\n');
      }
      for await (const line of this.inputLines(r)) {
        total++;
        if (seen.has(line.i)) continue;
        const code = ending === 'expired' ? 'batch_expired' : 'batch_cancelled';
        const message = ending === 'expired' ? 'This request could not be executed before the completion window expired.' : 'The batch was cancelled before this request ran.';
        errLines++;
        await write(err, JSON.stringify({ id: `batch_req_${randomBytes(12).toString('hex')}`, custom_id: line.custom_id, response: null, error: { code, message } }) + '\n');
      }
      out.end();
      err.end();
    } catch (e) {
      out.destroy(e as Error);
      err.destroy(e as Error);
      throw e;
    }
    const [outBytes, errBytes] = await uploads;
    if (outLines) r.output_file_id = (await this.d.fileService.register(outSlot, outBytes, r.workspace, `${r.id}_output.jsonl`, 'batch_output', outLines)).id;
    else await this.d.fileService.discard(outSlot);
    if (errLines) r.error_file_id = (await this.d.fileService.register(errSlot, errBytes, r.workspace, `${r.id}_error.jsonl`, 'batch_output', errLines)).id;
    else await this.d.fileService.discard(errSlot);
    r.request_counts = { total, completed: outLines, failed: total - outLines };
    r.status = ending;
    if (ending === 'completed') r.completed_at = nowS();
    if (ending === 'cancelled') r.cancelled_at = nowS();
    if (ending === 'expired') r.expired_at ??= nowS();
    r.paused_reason = null;
    await this.saveRetrying(r, signal);
    await this.d.jobs.clearActive(r.id).catch(() => undefined);
    void this.dropSegments(r.id);
  }

  /** The checkpoints are in the output and error files now; removed after the batch is shown finished. */
  private async dropSegments(id: string): Promise<void> {
    try {
      for await (const o of this.d.blobs.list(this.segPrefix(id))) await this.d.blobs.delete(o.key).catch(() => undefined);
    } catch {
      // left for a later clean-up; they are never read once the batch is finished
    }
  }

  private async saveRetrying(r: BatchRecord, signal: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.d.jobs.put(r);
        if (attempt > 0) r.paused_reason = null;
        return;
      } catch (e) {
        r.paused_reason = `object store unavailable, retrying: ${(e as Error).message}`;
        this.d.jobs.setLive(r);
        if (signal.aborted && signal.reason !== 'cancel') throw e;
        await sleep(RETRY_STORE_MS[Math.min(attempt, RETRY_STORE_MS.length - 1)], signal);
      }
    }
  }
}
