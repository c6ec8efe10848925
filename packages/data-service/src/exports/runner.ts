import { PassThrough } from 'node:stream';
import { createGzip, constants as zlib } from 'node:zlib';
import type { LogDocument } from '@portico/contract';
import type { BlobStore } from '../storage/blob-store.js';
import type { LogSource } from '../logs/log-source.js';
import { compileFilter, timeRange, type ExportFilters } from './filters.js';
import { csvHeader, csvProjector, jsonlProjector, type ExportField } from './fields.js';

export interface ExportPlan {
  filters: ExportFilters;
  fields: ExportField[];
  format: 'jsonl' | 'csv';
  /** The workspace the export is bound to; undefined: every workspace (organisation-level). */
  workspace: string | undefined;
  objectKey: string;
}

export interface ExportProgress {
  /** Documents read and filtered so far. */
  done: number;
  /** Documents in the time range (grows if more are logged meanwhile). */
  total: number;
  /** Documents that passed the filters and were written. */
  written: number;
}

/**
 * Reads the time range from the log store, filters, projects the chosen fields, and streams the result
 * gzip-compressed into the exports bucket (multipart upload). Memory stays bounded: one file chunk or
 * S3 batch of lines, and the upload's parts in flight. Throws on abort (cancel, shutdown) and on
 * storage failures; the object is only complete when this returns.
 */
export async function runExport(
  plan: ExportPlan,
  source: LogSource,
  out: BlobStore,
  progress: ExportProgress,
  signal: AbortSignal,
  onBatch?: () => void,
): Promise<void> {
  const { fromMs, toMs } = timeRange(plan.filters);
  const keep = compileFilter(plan.filters, plan.workspace);
  const project = plan.format === 'csv' ? csvProjector(plan.fields) : jsonlProjector(plan.fields);
  const skip0 = plan.filters.page_size !== undefined ? (plan.filters.current_page ?? 0) * plan.filters.page_size : 0;
  const max = plan.filters.page_size ?? Infinity;
  // Level 1: the export is bound by compression speed otherwise; the ratio on JSON barely differs.
  const gzip = createGzip({ level: 1, chunkSize: 256 * 1024, strategy: zlib.Z_DEFAULT_STRATEGY });
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  gzip.pipe(body);
  const upload = out.putStream(plan.objectKey, body, 'application/gzip');
  let uploadFailed: unknown;
  upload.catch((e) => (uploadFailed = e));
  const write = async (text: string) => {
    if (!gzip.write(text)) await new Promise<void>((resolve, reject) => {
      const onDrain = () => { cleanup(); resolve(); };
      const onAbort = () => { cleanup(); reject(signal.reason); };
      const cleanup = () => { gzip.off('drain', onDrain); signal.removeEventListener('abort', onAbort); };
      gzip.once('drain', onDrain);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    if (uploadFailed) throw uploadFailed;
  };
  try {
    if (plan.format === 'csv') await write(csvHeader(plan.fields) + '\n');
    let skipped = 0;
    outer: for await (const lines of source.lines(fromMs, toMs, signal)) {
      signal.throwIfAborted();
      let chunk = '';
      for (const line of lines) {
        if (line.length < 2) continue;
        let doc: LogDocument;
        try {
          doc = JSON.parse(line) as LogDocument;
        } catch {
          continue; // a torn line (the gateway crashed mid-append): not a document
        }
        progress.done++;
        if (!keep(doc)) continue;
        if (skipped < skip0) {
          skipped++;
          continue;
        }
        chunk += project(doc) + '\n';
        progress.written++;
        if (progress.written >= max) {
          await write(chunk);
          break outer;
        }
      }
      if (progress.done > progress.total) progress.total = progress.done;
      if (chunk) await write(chunk);
      onBatch?.();
    }
    gzip.end();
    await upload;
  } catch (e) {
    gzip.destroy();
    body.destroy(e as Error);
    await upload.catch(() => undefined);
    throw e;
  }
}
