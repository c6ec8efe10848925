import { afterEach, beforeEach, expect, it } from 'vitest';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SpillDir } from '../../src/logs/spill.js';
import { tempDir } from './store-helpers.js';

let d: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  d = await tempDir('spilldir');
});
afterEach(async () => {
  await d.cleanup();
});

it('writes whole files within its byte bound and leaves no temporary files', async () => {
  const s = new SpillDir(path.join(d.dir, 'spill'), 100);
  expect(await s.write('0002-b.ndjson.gz', Buffer.alloc(60, 1))).toBe(true);
  expect(await s.write('0001-a.ndjson.gz', Buffer.alloc(30, 2))).toBe(true);
  expect(await s.write('0003-c.ndjson.gz', Buffer.alloc(20, 3))).toBe(false); // 110 > 100
  expect(s.bytes).toBe(90);
  expect(s.names()).toEqual(['0001-a.ndjson.gz', '0002-b.ndjson.gz']);
  expect((await readdir(s.dir)).sort()).toEqual(['0001-a.ndjson.gz', '0002-b.ndjson.gz']);
  expect(await readFile(path.join(s.dir, '0002-b.ndjson.gz'))).toEqual(Buffer.alloc(60, 1));
  await s.remove('0002-b.ndjson.gz');
  expect(s.bytes).toBe(30);
  expect(await s.write('0003-c.ndjson.gz', Buffer.alloc(20, 3))).toBe(true);
});

it('at start, counts what a previous process left and deletes its half-written files', async () => {
  const dir = path.join(d.dir, 'spill');
  const first = new SpillDir(dir, 1_000);
  await first.write('0001-a.ndjson.gz', Buffer.alloc(10));
  await writeFile(path.join(dir, '.0002-b.ndjson.gz.abcd.tmp'), 'half');
  const second = new SpillDir(dir, 1_000);
  await second.init();
  expect(second.names()).toEqual(['0001-a.ndjson.gz']);
  expect(second.bytes).toBe(10);
  expect(await readdir(dir)).toEqual(['0001-a.ndjson.gz']);
});

it('survives its directory being removed, and files another process already replayed', async () => {
  const dir = path.join(d.dir, 'spill');
  const s = new SpillDir(dir, 1_000);
  await s.write('0001-a.ndjson.gz', Buffer.alloc(10));
  await rm(dir, { recursive: true });
  expect(await s.read('0001-a.ndjson.gz')).toBeUndefined();
  expect(s.fileCount).toBe(0);
  expect(await s.write('0002-b.ndjson.gz', Buffer.alloc(10))).toBe(true);
  await rm(path.join(dir, '0002-b.ndjson.gz'));
  await s.remove('0002-b.ndjson.gz');
  expect(s.fileCount).toBe(0);
});

it('spilled files are readable by the gateway user only (directory 0700, files 0600)', async () => {
  const { stat } = await import('node:fs/promises');
  const previous = process.umask(0o022);
  try {
    const s = new SpillDir(path.join(d.dir, 'private-spill'), 1_000);
    expect(await s.write('0001-a.ndjson.gz', Buffer.alloc(10))).toBe(true);
    expect((await stat(s.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(s.dir, '0001-a.ndjson.gz'))).mode & 0o777).toBe(0o600);
  } finally {
    process.umask(previous);
  }
});
