import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { countTraceIds, expectExactlyOnce, leakedSecrets, makeDoc } from './doc-fixture.js';
import { delay, tempDir, testStore, waitFor } from './store-helpers.js';
import type { LogDocument } from '../../src/logs/types.js';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

let h: S3Harness;
let spill: { dir: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  h = await startS3();
  spill = await tempDir('spill');
});
afterEach(async () => {
  await h.close();
  await spill.cleanup();
});

async function storedTexts(): Promise<string[]> {
  return (await h.objects('logs/')).map((o) => o.text);
}

async function expectStoredExactlyOnce(traceIds: string[]): Promise<void> {
  const texts = await storedTexts();
  expect(expectExactlyOnce(countTraceIds(texts), traceIds)).toEqual([]);
  expect(leakedSecrets(texts)).toEqual([]);
  const raw = (await h.objects('logs/')).map((o) => o.raw.toString('latin1'));
  expect(leakedSecrets(raw)).toEqual([]);
}

describe('S3 log store', () => {
  it('batches documents into gzip NDJSON objects under hour partitions, once each, redacted', async () => {
    const { store, counter } = testStore(h, spill.dir);
    const ids = Array.from({ length: 230 }, (_, i) => `trace-basic-${i}`);
    for (const t of ids) store.write(makeDoc(t));
    await store.flush(5_000);
    const keys = await h.keys('logs/');
    expect(keys.length).toBeGreaterThanOrEqual(5); // 50 documents per batch
    for (const k of keys) expect(k).toMatch(/^logs\/dt=\d{4}-\d{2}-\d{2}\/hh=\d{2}\/\d{13}-\d{13}-\d+-[0-9a-f]{16}\.ndjson\.gz$/);
    await expectStoredExactlyOnce(ids);
    expect(await counter('written')).toBe(230);
    expect(store.health()).toEqual({ status: 'ok' });
    await store.close(1_000);
  });

  it('cuts batches by age without a flush', async () => {
    const { store } = testStore(h, spill.dir, { LOG_STORE_BATCH_MAX_DOCS: '1000' });
    store.write(makeDoc('trace-age'));
    await waitFor('an age-cut batch', async () => (await h.keys('logs/')).length === 1, 5_000);
    await store.close(1_000);
  });

  it('gets a document by id and lists a time range in order, across hours', async () => {
    const { store } = testStore(h, spill.dir);
    const base = Date.UTC(2026, 10, 28, 9, 58, 0);
    const docs: LogDocument[] = [];
    // Written out of order and across 09:xx, 10:xx, 11:xx.
    for (let i = 0; i < 120; i++) docs.push(makeDoc(`trace-range-${i}`, base + ((i * 7919) % 120) * 60_000));
    for (const d of docs) store.write(d);
    await store.flush(5_000);
    expect(new Set((await h.keys('logs/')).map((k) => k.split('/')[2]))).toEqual(new Set(['hh=09', 'hh=10', 'hh=11']));

    const target = docs[37];
    const got = await store.get(target.id);
    expect(got?.trace_id).toBe(target.trace_id);
    expect(got?.request.headers.authorization).toBeUndefined();
    expect(await store.get(docs[0].id.slice(0, 10) + '0000000000000000')).toBeUndefined();
    expect(await store.get('not-an-id')).toBeUndefined();

    const from = new Date(base + 30 * 60_000);
    const to = new Date(base + 90 * 60_000);
    const listed: LogDocument[] = [];
    for await (const d of store.list({ from, to })) listed.push(d);
    const expected = docs
      .filter((d) => Date.parse(d.created_at) >= from.getTime() && Date.parse(d.created_at) < to.getTime())
      .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    expect(expected.length).toBe(60);
    expect(listed.map((d) => d.trace_id)).toEqual(expected.map((d) => d.trace_id));

    const limited: string[] = [];
    for await (const d of store.list({ from, to, limit: 7 })) limited.push(d.trace_id);
    expect(limited).toEqual(expected.slice(0, 7).map((d) => d.trace_id));
    await store.close(1_000);
  });

  it('survives an S3 outage of a few seconds in the middle of a stream of writes', async () => {
    const { store, counter } = testStore(h, spill.dir);
    const ids: string[] = [];
    let n = 0;
    const writer = (async () => {
      const end = Date.now() + 4_000;
      while (Date.now() < end) {
        for (let i = 0; i < 20; i++) {
          const t = `trace-outage-${n++}`;
          ids.push(t);
          store.write(makeDoc(t));
        }
        await delay(10);
      }
    })();
    await delay(800);
    await h.stop();
    await waitFor('degraded health', () => store.health().status === 'degraded', 5_000);
    await delay(2_000);
    expect(await counter('spilled')).toBeGreaterThan(0);
    await h.start();
    await writer;
    await store.flush(10_000);
    await waitFor('spill replayed', () => store.spill.fileCount === 0 && store.health().status === 'ok', 15_000);
    expect(await counter('replayed')).toBe(await counter('spilled'));
    expect(await counter('dropped')).toBe(0);
    expect((await counter('written')) + (await counter('replayed'))).toBe(ids.length);
    await expectStoredExactlyOnce(ids);
    await store.close(1_000);
  });

  it('close() in the middle of a load uploads what was accepted (SIGTERM path)', async () => {
    const { store, counter } = testStore(h, spill.dir, { LOG_STORE_BATCH_MAX_AGE_MS: '5000', LOG_STORE_BATCH_MAX_DOCS: '500' });
    const beforeClose: string[] = [];
    const all: string[] = [];
    let closing: Promise<void> | undefined;
    for (let i = 0; i < 3_000; i++) {
      const t = `trace-close-${i}`;
      store.write(makeDoc(t));
      all.push(t);
      if (!closing) beforeClose.push(t);
      if (i === 1_800) closing = store.close(8_000);
      if (i % 200 === 0) await delay(1);
    }
    await closing;
    for (let i = 0; i < 10; i++) store.write(makeDoc(`trace-after-close-${i}`));
    expect(store.spill.fileCount).toBe(0);
    const texts = await storedTexts();
    const counts = countTraceIds(texts);
    // Everything accepted before close() is stored exactly once; what came during close() is
    // stored once or counted as dropped, never both, never twice.
    expect(expectExactlyOnce(new Map(beforeClose.map((t) => [t, counts.get(t) ?? 0])), beforeClose)).toEqual([]);
    for (const [t, n] of counts) expect(n, t).toBe(1);
    const stored = [...counts.keys()];
    expect(stored.every((t) => all.includes(t))).toBe(true);
    expect(stored.length + (await counter('dropped'))).toBe(3_010);
    expect(leakedSecrets(texts)).toEqual([]);
  });

  it('close() with S3 down spills everything; the next instance replays it', async () => {
    const first = testStore(h, spill.dir, { LOG_STORE_BATCH_MAX_AGE_MS: '5000' });
    await h.stop();
    const ids = Array.from({ length: 700 }, (_, i) => `trace-down-${i}`);
    const written = ids.map((t) => makeDoc(t));
    for (const d of written) first.store.write(d);
    // Within its 3 s deadline, plus slack: checked against a 3 s timer started beside it, since on a
    // loaded machine the deadline's own timer fires late too.
    const t0 = Date.now();
    let deadlineFiredAt = 0;
    const deadline = setTimeout(() => (deadlineFiredAt = Date.now()), 3_000);
    await first.store.close(3_000);
    const took = Date.now() - t0;
    if (took >= 4_000) {
      while (!deadlineFiredAt) await new Promise((r) => setImmediate(r));
      expect(took).toBeLessThan(4_000 + (deadlineFiredAt - t0 - 3_000));
    }
    clearTimeout(deadline);
    expect(await first.counter('spilled')).toBe(700);
    expect((await readdir(spill.dir)).length).toBeGreaterThan(0);
    await h.start();
    const second = testStore(h, spill.dir);
    await second.store.ready;
    await waitFor('replay at start', () => second.store.spill.fileCount === 0 && second.store.health().status === 'ok');
    expect(await second.counter('replayed')).toBe(700);
    await expectStoredExactlyOnce(ids);
    // Replayed objects carry the id filter too, rebuilt from the spill file.
    for (const key of await h.keys('logs/')) {
      const head = await h.client.send(new HeadObjectCommand({ Bucket: h.bucket, Key: key }));
      expect(head.Metadata?.['portico-ids'], key).toMatch(/^\d+\.[A-Za-z0-9+/=]+$/);
    }
    expect((await second.store.get(written[321].id))?.trace_id).toBe('trace-down-321');
    await second.store.close(1_000);
  });

  it('is idempotent: the same batch uploaded twice is stored once', async () => {
    const first = testStore(h, spill.dir);
    const ids = Array.from({ length: 120 }, (_, i) => `trace-idem-${i}`);
    for (const t of ids) first.store.write(makeDoc(t));
    await first.store.close(5_000);
    // As if each upload succeeded but its answer was lost: the batch is in S3 and in the spill dir.
    const src = await tempDir('objects');
    for (const o of await h.objects('logs/')) {
      const name = path.basename(o.key);
      await writeFile(path.join(src.dir, name), o.raw);
      await copyFile(path.join(src.dir, name), path.join(spill.dir, name));
    }
    await writeFile(path.join(spill.dir, '.half-written.ndjson.gz.1234.tmp'), 'partial'); // crash debris
    const second = testStore(h, spill.dir);
    await second.store.ready;
    await waitFor('replay', () => second.store.spill.fileCount === 0 && second.store.health().status === 'ok');
    expect(await second.counter('replayed')).toBe(120);
    expect(await readdir(spill.dir)).toEqual([]);
    await expectStoredExactlyOnce(ids);
    const listed: string[] = [];
    for await (const d of second.store.list({ from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) })) listed.push(d.trace_id);
    expect(listed.sort()).toEqual([...ids].sort());
    await second.store.close(1_000);
    await src.cleanup();
  });

  it('starts and serves with S3 unreachable, and never blocks when every bound is exhausted', async () => {
    await h.stop();
    const { store, counter, registry } = testStore(h, spill.dir, { LOG_STORE_QUEUE_MAX_DOCS: '100', LOG_STORE_SPILL_MAX_BYTES: '0' });
    const doc = makeDoc('trace-bound');
    // CPU time, not wall time: "never blocks" is about the work write() does, which a loaded machine's
    // scheduler does not change (it only spreads the same work over more wall-clock time).
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 20_000; i++) store.write({ ...doc, trace_id: `trace-bound-${i}` });
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    expect(ms).toBeLessThan(500);
    expect(store.pending).toBe(100);
    expect(await counter('dropped')).toBe(19_900);
    const exposition = await registry.metrics();
    expect(exposition).toContain('portico_log_queue_depth{store="s3"} 100');
    expect(exposition).toContain('portico_log_documents_dropped_total{store="s3",reason="queue_full"} 19900');
    await store.flush(3_000);
    // With no room in the spill dir, the 100 queued documents are dropped too, and counted.
    await waitFor('all settled', () => store.pending === 0, 5_000);
    expect(await counter('dropped')).toBe(20_000);
    expect(store.health().status).toBe('degraded');
    await store.close(500);
  });

  it('bounds memory during an outage by spilling; drops only when the spill bound is reached', async () => {
    await h.stop();
    const { store, counter } = testStore(h, spill.dir, { LOG_STORE_QUEUE_MAX_DOCS: '200', LOG_STORE_SPILL_MAX_BYTES: String(64 * 1024) });
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 100; i++) store.write(makeDoc(`trace-mem-${round}-${i}`));
      expect(store.pending).toBeLessThanOrEqual(200);
      await delay(20);
    }
    await store.flush(3_000);
    expect(store.spill.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(await counter('spilled')).toBeGreaterThan(0);
    expect(await counter('dropped')).toBeGreaterThan(0);
    expect((await counter('spilled')) + (await counter('dropped'))).toBe(4_000);
    await store.close(500);
  });

  it('when S3 is slow, spills the backlog instead of dropping, and stores everything once', async () => {
    const { store, counter } = testStore(h, spill.dir, { LOG_STORE_QUEUE_MAX_DOCS: '500', LOG_STORE_BATCH_MAX_DOCS: '20' });
    // Every S3 call of this store's client takes 300 ms more.
    const client = (store as unknown as { client: S3Client }).client;
    client.middlewareStack.add((next) => async (args) => {
      await delay(300);
      return next(args);
    }, { step: 'finalizeRequest', name: 'slowS3' });
    const ids: string[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 40; i++) {
        const t = `trace-slow-${round}-${i}`;
        ids.push(t);
        store.write(makeDoc(t));
      }
      // 40 documents per 60 ms is still far above what 4 slowed uploads absorb, so a backlog builds;
      // the pause leaves the spill's disk writes room on a machine busy with other test files.
      await delay(60);
    }
    expect(await counter('dropped')).toBe(0);
    expect(await counter('spilled')).toBeGreaterThan(0);
    await store.flush(10_000);
    await waitFor('backlog replayed', () => store.spill.fileCount === 0 && store.pending === 0, 30_000);
    expect((await counter('written')) + (await counter('replayed'))).toBe(ids.length);
    await expectStoredExactlyOnce(ids);
    await store.close(1_000);
  }, 60_000);

  it('counts a document that cannot be serialised as a drop and keeps going', async () => {
    const { store, counter } = testStore(h, spill.dir);
    const circular = makeDoc('trace-circular') as LogDocument & { self?: unknown };
    circular.self = circular;
    store.write(circular);
    store.write(null as unknown as LogDocument);
    store.write(makeDoc('trace-fine'));
    await store.flush(5_000);
    expect(await counter('dropped')).toBe(2);
    expect(store.pending).toBe(0);
    await expectStoredExactlyOnce(['trace-fine']);
    await store.close(1_000);
  });

  it('with no spill room, keeps trying S3 and stores again once it is back', async () => {
    const { store, counter } = testStore(h, spill.dir, { LOG_STORE_SPILL_MAX_BYTES: '0' });
    await h.stop();
    for (let i = 0; i < 100; i++) store.write(makeDoc(`trace-nospill-lost-${i}`));
    await store.flush(5_000);
    expect(await counter('dropped')).toBe(100);
    expect(store.health().status).toBe('degraded');
    await h.start();
    const ids = Array.from({ length: 100 }, (_, i) => `trace-nospill-${i}`);
    for (const t of ids) store.write(makeDoc(t));
    await store.flush(5_000);
    expect(await counter('written')).toBe(100);
    expect(store.health()).toEqual({ status: 'ok' });
    await expectStoredExactlyOnce(ids);
    await store.close(1_000);
  });
});
