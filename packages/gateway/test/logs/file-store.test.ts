import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLogStore } from '../../src/logs/file-store.js';
import { makeDoc } from './doc-fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('file log store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'portico-file-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function readAll(store: FileLogStore, from: number): Promise<string[]> {
    const ids: string[] = [];
    for await (const doc of store.list({ from: new Date(from - 1000), to: new Date(Date.now() + 1000) })) ids.push(doc.trace_id);
    return ids;
  }

  it('batches a steady stream of documents into one append per tick, and loses none', async () => {
    const store = new FileLogStore(dir, { maxQueue: 10_000, batchMaxAgeMs: 40 });
    const start = Date.now();
    // About 300 documents over ~300 ms, as a steady c=1 load would write them.
    for (let i = 0; i < 300; i++) {
      store.write(makeDoc(`t-${i}`));
      if (i % 3 === 0) await sleep(3);
    }
    await store.close(5000);
    expect(store.written).toBe(300);
    // One append per 40 ms tick over the run, not one per handful of documents.
    const elapsed = Date.now() - start;
    expect(store.appends).toBeLessThanOrEqual(Math.ceil(elapsed / 40) + 2);
    const ids = await readAll(store, start);
    expect(new Set(ids).size).toBe(300);
  });

  it('a document whose tick fires while an append is in flight is still written, without waiting for another', async () => {
    const store = new FileLogStore(dir, { maxQueue: 10_000, batchMaxAgeMs: 10 });
    // A slow disk: the first append takes 200 ms.
    const slow = store as unknown as { append(file: string, b: Buffer[]): Promise<void> };
    const append = slow.append.bind(store);
    let first = true;
    slow.append = async (file, b) => {
      if (first) {
        first = false;
        await sleep(200);
      }
      return append(file, b);
    };
    store.write(makeDoc('first'));
    await sleep(50); // the first append is in flight
    store.write(makeDoc('second')); // its 10 ms tick fires during that append
    await sleep(600);
    expect(store.written).toBe(2);
    await store.close(5000);
  });

  it('close() writes documents that arrive while an append is in flight', async () => {
    const store = new FileLogStore(dir, { maxQueue: 10_000, batchMaxAgeMs: 10 });
    const start = Date.now();
    for (let i = 0; i < 50; i++) store.write(makeDoc(`a-${i}`));
    await sleep(12); // the first append is now in flight
    for (let i = 0; i < 50; i++) store.write(makeDoc(`b-${i}`));
    await store.close(5000);
    expect(store.written).toBe(100);
    expect((await readAll(store, start)).length).toBe(100);
  });

  it('drops past its queue bound and says so', async () => {
    const errors: string[] = [];
    const store = new FileLogStore(dir, { maxQueue: 5, batchMaxAgeMs: 1000, onError: (m) => errors.push(m) });
    for (let i = 0; i < 8; i++) store.write(makeDoc(`d-${i}`));
    expect(store.dropped).toBe(3);
    expect(errors[0]).toMatch(/queue full \(5 documents\)/);
    await store.close(5000);
    expect(store.written).toBe(5);
  });

  it('keeps every character of lines that straddle its buffers, and lines larger than a buffer', async () => {
    const store = new FileLogStore(dir, { maxQueue: 10_000, batchMaxAgeMs: 1000 });
    const start = Date.now();
    // Multi-byte text (2, 3 and 4 bytes per character) so a line's UTF-8 length differs from its length.
    const notes = Array.from({ length: 120 }, (_, i) => `${i}: ${'é∑😀'.repeat(i * 37)}`);
    notes.push('x'.repeat(700_000), '日本語'.repeat(120_000));
    notes.forEach((note, i) => store.write(makeDoc(`u-${i}`, start, { metadata: { note } })));
    await store.close(5000);
    expect(store.written).toBe(notes.length);
    const seen = new Map<string, string>();
    for await (const doc of store.list({ from: new Date(start - 1000), to: new Date(Date.now() + 1000) })) seen.set(doc.trace_id, doc.metadata!.note);
    expect(seen.size).toBe(notes.length);
    notes.forEach((note, i) => expect(seen.get(`u-${i}`) === note, `document ${i}`).toBe(true));
  });

  it('bounds the bytes it queues, not only the documents', async () => {
    const errors: string[] = [];
    const store = new FileLogStore(dir, { maxQueue: 1_000_000, batchMaxAgeMs: 60_000, onError: (m) => errors.push(m) });
    const big = 'b'.repeat(1024 * 1024);
    // Written in one go, with no chance to append: past 64 MiB queued, documents are dropped and counted.
    for (let i = 0; i < 80; i++) store.write(makeDoc(`big-${i}`, Date.now(), { metadata: { big } }));
    expect(store.dropped).toBeGreaterThan(0);
    expect(store.dropped).toBeLessThan(80);
    expect(errors[0]).toMatch(/queue full \(67108864 bytes\)/);
    await store.close(10_000);
    expect(store.written + store.dropped).toBe(80);
  });

  it('counts documents it could not append, reports itself degraded, and recovers once the directory is usable', async () => {
    const errors: string[] = [];
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'a file where the log directory should be');
    const store = new FileLogStore(join(blocked, 'logs'), { maxQueue: 1000, batchMaxAgeMs: 10, onError: (m) => errors.push(m) });
    for (let i = 0; i < 5; i++) store.write(makeDoc(`f-${i}`));
    await store.flush(5000);
    expect(store.dropped).toBe(5);
    expect(store.written).toBe(0);
    expect(errors.join('\n')).toMatch(/could not append 5 log documents/);
    expect(store.health()).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/^file log store: /) });
    await rm(blocked);
    for (let i = 0; i < 3; i++) store.write(makeDoc(`g-${i}`));
    await store.close(5000);
    expect(store.written).toBe(3);
    expect(store.health()).toEqual({ status: 'ok' });
  });

  it('makes the directory again when it is removed between appends', async () => {
    const store = new FileLogStore(dir, { maxQueue: 1000, batchMaxAgeMs: 10 });
    const start = Date.now();
    for (let i = 0; i < 10; i++) store.write(makeDoc(`r1-${i}`));
    await store.flush(5000);
    await rm(dir, { recursive: true, force: true });
    for (let i = 0; i < 10; i++) store.write(makeDoc(`r2-${i}`));
    await store.close(5000);
    expect(store.written).toBe(20);
    expect(store.dropped).toBe(0);
    expect((await readAll(store, start)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r2-${i}`).sort());
  });
});
