import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import {
  fileLogRelativePath, logHoursBetween, parseS3LogBatchFileName, S3_LOG_PREFIX, s3LogHourPartition,
} from '@portico/contract';
import type { BlobStore } from '../storage/blob-store.js';
import { countLines, lineBatches } from './lines.js';

/**
 * Reads the gateway's log documents, as raw NDJSON lines, from either of its stores (the layout is
 * @portico/contract's log-store-layout.ts). Lines come in batches of a file chunk or an S3 object,
 * roughly oldest first; the caller parses and filters them.
 */
export interface LogSource {
  readonly kind: 'file' | 's3' | 'none';
  /** Documents stored in [fromMs, toMs] by the store's partitions (whole hours or batches): the export's total. */
  estimate(fromMs: number, toMs: number, signal?: AbortSignal): Promise<number>;
  lines(fromMs: number, toMs: number, signal?: AbortSignal): AsyncIterable<string[]>;
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

export function fileLogSource(dir: string): LogSource {
  const open = (hourMs: number): Readable => createReadStream(join(dir, fileLogRelativePath(hourMs)), { highWaterMark: 1024 * 1024 });
  return {
    kind: 'file',
    async estimate(fromMs, toMs, signal) {
      let n = 0;
      for (const h of logHoursBetween(fromMs, toMs)) {
        signal?.throwIfAborted();
        try {
          n += await countLines(open(h));
        } catch (e) {
          if (!isMissing(e)) throw e;
        }
      }
      return n;
    },
    async *lines(fromMs, toMs, signal) {
      for (const h of logHoursBetween(fromMs, toMs)) {
        signal?.throwIfAborted();
        const stream = open(h);
        try {
          yield* lineBatches(stream);
        } catch (e) {
          if (!isMissing(e)) throw e;
        } finally {
          stream.destroy();
        }
      }
    },
  };
}

interface S3Batch {
  key: string;
  count: number;
}

export function s3LogSource(blobs: BlobStore, prefix = S3_LOG_PREFIX): LogSource {
  async function batches(fromMs: number, toMs: number): Promise<S3Batch[]> {
    const out: S3Batch[] = [];
    for (const h of logHoursBetween(fromMs, toMs)) {
      const hourPrefix = prefix + s3LogHourPartition(h);
      for await (const o of blobs.list(hourPrefix)) {
        const b = parseS3LogBatchFileName(o.key.slice(hourPrefix.length));
        if (b && b.maxMs >= fromMs && b.minMs <= toMs) out.push({ key: o.key, count: b.count });
      }
    }
    return out;
  }
  return {
    kind: 's3',
    async estimate(fromMs, toMs) {
      return (await batches(fromMs, toMs)).reduce((n, b) => n + b.count, 0);
    },
    async *lines(fromMs, toMs, signal) {
      for (const b of await batches(fromMs, toMs)) {
        signal?.throwIfAborted();
        const body = await blobs.getStream(b.key);
        if (!body) continue; // removed by a lifecycle rule since the listing
        const gunzip = createGunzip();
        body.pipe(gunzip);
        try {
          yield* lineBatches(gunzip);
        } finally {
          body.destroy();
          gunzip.destroy();
        }
      }
    },
  };
}

export function noLogSource(): LogSource {
  return {
    kind: 'none',
    estimate: async () => 0,
    async *lines() {},
  };
}
