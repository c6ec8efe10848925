import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { getLogById, listLogs, parseListQuery } from '../../src/logs/read-handlers.js';
import { newLogId } from '../../src/logs/ids.js';
import type { LogDocument } from '../../src/logs/types.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { makeDoc } from './doc-fixture.js';
import { tempDir, testStore, type TestStore } from './store-helpers.js';

const q = (s: string) => new URLSearchParams(s);

function expectGatewayError(fn: () => unknown, status: number, param: string, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    const g = e as GatewayError;
    expect({ status: g.status, param: g.param, code: g.code, type: g.type }).toEqual({ status, param, code, type: 'invalid_request_error' });
    expect(g.message.length).toBeGreaterThan(20);
    return;
  }
  throw new Error('expected a GatewayError');
}

describe('parseListQuery', () => {
  const now = Date.UTC(2026, 10, 28, 17, 0, 0);
  it('accepts ISO-8601 and epoch ms, defaults to=now and limit', () => {
    expect(parseListQuery(q('from=2026-11-28T16:00:00Z&to=2026-11-28T16:30:00.5Z&limit=10'), now)).toEqual({
      from: new Date('2026-11-28T16:00:00Z'), to: new Date('2026-11-28T16:30:00.500Z'), limit: 10,
    });
    expect(parseListQuery(q(`from=${now - 1000}`), now)).toEqual({ from: new Date(now - 1000), to: new Date(now), limit: 1000 });
    expect(parseListQuery(q('from=2026-11-28'), now).from.toISOString()).toBe('2026-11-28T00:00:00.000Z');
    expect(parseListQuery(q('from=2026-11-28T16:00:00%2B01:00'), now).from.toISOString()).toBe('2026-11-28T15:00:00.000Z');
  });
  it('rejects bad input with clear 400s', () => {
    expectGatewayError(() => parseListQuery(q(''), now), 400, 'from', 'missing_parameter');
    expectGatewayError(() => parseListQuery(q('from=yesterday'), now), 400, 'from', 'invalid_time');
    expectGatewayError(() => parseListQuery(q('from=2026-11-28T16:00:00Z&to=2026-13-45'), now), 400, 'to', 'invalid_time');
    expectGatewayError(() => parseListQuery(q('from=2026-11-28T16:00:00Z&to=2026-11-28T15:00:00Z'), now), 400, 'from', 'invalid_range');
    expectGatewayError(() => parseListQuery(q('from=2026-01-01T00:00:00Z&to=2026-11-28T15:00:00Z'), now), 400, 'to', 'range_too_large');
    for (const l of ['0', '-1', '1.5', 'ten', '100001']) expectGatewayError(() => parseListQuery(q(`from=2026-11-28T16:00:00Z&limit=${l}`), now), 400, 'limit', 'invalid_limit');
  });
});

describe('getLogById / listLogs on the S3 store', () => {
  let h: S3Harness;
  let spill: { dir: string; cleanup: () => Promise<void> };
  let t: TestStore;
  const docs: LogDocument[] = [];
  const writeAt = Date.now();

  beforeAll(async () => {
    h = await startS3();
    spill = await tempDir('spill-read');
    t = testStore(h, spill.dir, { LOG_STORE_BATCH_MAX_DOCS: '20' });
    // As the gateway writes them: ids carry the request's start, documents arrive when it ends, so
    // long requests make batches whose time ranges overlap.
    for (let i = 0; i < 300; i++) {
      const started = writeAt - 60_000 + ((i * 7_727) % 60_000);
      docs.push({ ...makeDoc(`trace-read-${i}`, writeAt), id: newLogId(started) });
    }
    for (const d of docs) t.store.write(d);
    await t.store.flush(5_000);
  });
  afterAll(async () => {
    await t.store.close(1_000);
    await h.close();
    await spill.cleanup();
  });

  it('get(id) HEADs the candidate batches and downloads only the one whose id filter matches', async () => {
    const client = (t.store as unknown as { client: S3Client }).client;
    const calls: string[] = [];
    const name = `count-${Math.random()}`;
    client.middlewareStack.add((next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize', name });
    try {
      for (const i of [3, 120, 250]) {
        calls.length = 0;
        expect((await t.store.get(docs[i].id))?.trace_id).toBe(`trace-read-${i}`);
        expect(calls.filter((c) => c === 'ListObjectsV2Command')).toHaveLength(1);
        expect(calls.filter((c) => c === 'HeadObjectCommand').length).toBeGreaterThan(1); // batches overlap
        expect(calls.filter((c) => c === 'GetObjectCommand')).toHaveLength(1);
      }
    } finally {
      client.middlewareStack.remove(name);
    }
  });

  it('finds documents by id, and 404s / 400s otherwise', async () => {
    for (const i of [0, 77, 150, 299]) expect((await getLogById(t.store, docs[i].id)).trace_id).toBe(`trace-read-${i}`);
    await expect(getLogById(t.store, newLogId(writeAt - 30_000))).rejects.toMatchObject({ status: 404, code: 'log_not_found' });
    await expect(getLogById(t.store, '../../etc/passwd')).rejects.toMatchObject({ status: 400, code: 'invalid_log_id' });
  });

  it('streams a range as NDJSON, oldest first, despite overlapping batches', async () => {
    expect((await h.keys('logs/')).length).toBeGreaterThanOrEqual(15);
    const query = parseListQuery(q(`from=${writeAt - 45_000}&to=${writeAt}`));
    const lines: string[] = [];
    for await (const line of listLogs(t.store, query)) lines.push(line);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const ids = lines.map((l) => (JSON.parse(l) as LogDocument).id);
    const expected = docs.map((d) => d.id).filter((id) => id >= newLogId(writeAt - 45_000).slice(0, 10)).sort();
    expect(ids).toEqual(expected);
    expect(lines.join('')).not.toContain('sk-proj-');
  });

  it('returns every document once even when more batches overlap than the merge holds open', async () => {
    const spill2 = await tempDir('spill-read2');
    const t2 = testStore(h, spill2.dir, { LOG_STORE_BATCH_MAX_DOCS: '4' });
    const at = Date.UTC(2026, 10, 27, 12, 30, 0);
    const many: LogDocument[] = [];
    for (let i = 0; i < 200; i++) many.push({ ...makeDoc(`trace-many-${i}`, at), id: newLogId(at - ((i * 7_727) % 60_000)) });
    for (const d of many) t2.store.write(d);
    await t2.store.flush(5_000);
    const got: string[] = [];
    for await (const d of t2.store.list({ from: new Date(at - 60_000), to: new Date(at + 1) })) got.push(d.id);
    expect(got.length).toBe(200);
    expect([...got].sort()).toEqual(many.map((d) => d.id).sort());
    await t2.store.close(1_000);
    await spill2.cleanup();
  });
});
