import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { LogDocument, LogQuery } from '../types.js';
import { documentTimeMs } from '../batcher.js';
import { logIdTimeMs } from '../ids.js';
import { hourPrefixes, parseBatchFileName, type BatchName } from './layout.js';
import { ID_FILTER_META, idFilterMayHave } from './id-filter.js';

const gunzipAsync = promisify(gunzip);

export interface S3ReadTarget {
  client: S3Client;
  bucket: string;
  prefix: string;
}

export interface ListedBatch extends BatchName {
  key: string;
}

/** Batches in one hour partition, by minMs. Objects that are not batches are ignored. */
export async function listHourBatches(t: S3ReadTarget, hourPrefix: string, signal?: AbortSignal): Promise<ListedBatch[]> {
  const out: ListedBatch[] = [];
  let token: string | undefined;
  do {
    const res = await t.client.send(
      new ListObjectsV2Command({ Bucket: t.bucket, Prefix: hourPrefix, MaxKeys: 1000, ContinuationToken: token }),
      { abortSignal: signal },
    );
    for (const o of res.Contents ?? []) {
      if (!o.Key) continue;
      const b = parseBatchFileName(o.Key.slice(hourPrefix.length));
      if (b) out.push({ ...b, key: o.Key });
    }
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.minMs - b.minMs || (a.key < b.key ? -1 : 1));
}

/** The documents of one batch object, in stored (time) order. */
export async function readBatch(t: S3ReadTarget, key: string, signal?: AbortSignal): Promise<LogDocument[]> {
  const res = await t.client.send(new GetObjectCommand({ Bucket: t.bucket, Key: key }), { abortSignal: signal });
  if (!res.Body) throw new Error(`S3 returned no body for log batch s3://${t.bucket}/${key}`);
  const raw = await gunzipAsync(await res.Body.transformToByteArray());
  return parseNdjson(raw.toString('utf8'), key);
}

export function parseNdjson(text: string, where: string): LogDocument[] {
  const docs: LogDocument[] = [];
  let start = 0;
  let lineNo = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    if (end > start) {
      try {
        docs.push(JSON.parse(text.slice(start, end)) as LogDocument);
      } catch (err) {
        throw new Error(`Log batch ${where} has a malformed line ${lineNo}; the object is corrupt`, { cause: err });
      }
    }
    start = end + 1;
  }
  return docs;
}

/**
 * One document by id. Its time is in the id, so only one hour partition is listed, and only batches
 * whose [minMs, maxMs] holds that time are candidates. Each candidate is HEADed first: its id filter
 * (object metadata) rules most of them out, and only the rest are downloaded and searched, the ones
 * cut soonest after the id's time first, a few at a time, stopping at the first hit.
 */
export async function getDocumentById(t: S3ReadTarget, id: string): Promise<LogDocument | undefined> {
  const ms = logIdTimeMs(id);
  if (ms === undefined) return undefined;
  const [hour] = hourPrefixes(t.prefix, ms, ms);
  const candidates = (await listHourBatches(t, hour))
    .filter((b) => b.minMs <= ms && ms <= b.maxMs)
    .sort((a, b) => a.maxMs - b.maxMs);
  for (let i = 0; i < candidates.length; i += GET_PARALLEL) {
    const found = await Promise.all(
      candidates.slice(i, i + GET_PARALLEL).map(async (b) => {
        if (!(await mayHold(t, b.key, id))) return undefined;
        return (await readBatch(t, b.key)).find((d) => d.id === id);
      }),
    );
    const doc = found.find((d) => d !== undefined);
    if (doc) return doc;
  }
  return undefined;
}

/** Whether a batch may hold the id, by its id filter; true when it has none. */
async function mayHold(t: S3ReadTarget, key: string, id: string): Promise<boolean> {
  const head = await t.client.send(new HeadObjectCommand({ Bucket: t.bucket, Key: key }));
  const filter = head.Metadata?.[ID_FILTER_META];
  return filter === undefined || idFilterMayHave(filter, id);
}

const GET_PARALLEL = 8;

/** Most batches held open at once by the merge; beyond it order is kept per batch only. */
const MAX_OPEN_BATCHES = 16;

interface Cursor {
  docs: LogDocument[];
  times: number[];
  i: number;
}

/**
 * Documents with time in [from, to), oldest first, streamed hour by hour. Within an hour, batches
 * overlap only by the few ms between documents being built and enqueued, so a k-way merge that opens
 * a batch when the merge reaches its minMs holds one or two batches at a time.
 */
export async function* listDocuments(t: S3ReadTarget, q: LogQuery): AsyncGenerator<LogDocument> {
  const from = q.from.getTime();
  const to = q.to.getTime();
  let left = q.limit ?? Infinity;
  if (left <= 0 || to <= from) return;
  for (const hour of hourPrefixes(t.prefix, from, to - 1)) {
    const batches = (await listHourBatches(t, hour)).filter((b) => b.maxMs >= from && b.minMs < to);
    let next = 0;
    let pending: Promise<LogDocument[]> | undefined;
    const fetchNext = (): Promise<LogDocument[]> | undefined => {
      if (next >= batches.length) return undefined;
      const p = readBatch(t, batches[next].key);
      // A prefetch the consumer never awaits (it stopped early) must not crash the process as an
      // unhandled rejection; an awaited one still throws to the consumer.
      p.catch(() => undefined);
      return p;
    };
    pending = fetchNext();
    const heap: Cursor[] = [];
    while (heap.length > 0 || pending) {
      // Open every batch that may hold a document older than the merge's current head.
      while (pending && (heap.length === 0 || (batches[next].minMs <= heap[0].times[heap[0].i] && heap.length < MAX_OPEN_BATCHES))) {
        const docs = await pending;
        next++;
        pending = fetchNext(); // prefetch while this one is merged
        const now = Date.now();
        const times = docs.map((d) => documentTimeMs(d, now));
        const c: Cursor = { docs, times, i: 0 };
        while (c.i < docs.length && times[c.i] < from) c.i++;
        if (c.i < docs.length) heapPush(heap, c);
      }
      if (heap.length === 0) continue;
      const c = heap[0];
      const tm = c.times[c.i];
      if (tm >= to) {
        heapPop(heap); // its remaining documents are all later still
        continue;
      }
      yield c.docs[c.i];
      if (--left <= 0) return;
      c.i++;
      if (c.i >= c.docs.length) heapPop(heap);
      else heapSiftDown(heap, 0);
    }
  }
}

const headTime = (c: Cursor): number => c.times[c.i];

function heapPush(h: Cursor[], c: Cursor): void {
  h.push(c);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (headTime(h[p]) <= headTime(h[i])) break;
    [h[p], h[i]] = [h[i], h[p]];
    i = p;
  }
}

function heapPop(h: Cursor[]): void {
  const last = h.pop()!;
  if (h.length === 0) return;
  h[0] = last;
  heapSiftDown(h, 0);
}

function heapSiftDown(h: Cursor[], i: number): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < h.length && headTime(h[l]) < headTime(h[m])) m = l;
    if (r < h.length && headTime(h[r]) < headTime(h[m])) m = r;
    if (m === i) return;
    [h[m], h[i]] = [h[i], h[m]];
    i = m;
  }
}
