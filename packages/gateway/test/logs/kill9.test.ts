import { afterEach, beforeEach, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startS3, type S3Harness } from '../helpers/s3-harness.js';
import { countTraceIds, expectExactlyOnce, leakedSecrets } from './doc-fixture.js';
import { tempDir, testStore, waitFor } from './store-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = path.resolve(here, '../..');

let h: S3Harness;
let spill: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  h = await startS3();
  spill = await tempDir('spill-kill9');
});
afterEach(async () => {
  await h.close();
  await spill.cleanup();
});

it('kill -9 after a spill: the next instance replays every spilled document exactly once', async () => {
  await h.stop(); // S3 down for the whole life of the child
  const count = 600;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'spill-child.ts')], {
    cwd: packageRoot,
    env: { ...process.env, CHILD_ENDPOINT: h.endpoint, CHILD_BUCKET: h.bucket, CHILD_SPILL_DIR: spill.dir, CHILD_DOCS: String(count) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  await waitFor(`the child to spill ${count} documents (stderr: ${err.slice(-500)})`, () => out.includes(`SPILLED ${count}`) || child.exitCode !== null, 25_000);
  expect(out, err).toContain(`SPILLED ${count}`);
  await new Promise((r) => setTimeout(r, 100)); // the child is mid-stream of new writes
  child.kill('SIGKILL');
  expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
  expect((await readdir(spill.dir)).length).toBeGreaterThan(0);

  await h.start();
  const next = testStore(h, spill.dir);
  await next.store.ready;
  await waitFor('the spill to be replayed', () => next.store.spill.fileCount === 0 && next.store.health().status === 'ok', 15_000);
  const texts = (await h.objects('logs/')).map((o) => o.text);
  const counts = countTraceIds(texts);
  const all = countTraceIds(texts);
  const late = [...counts.keys()].filter((t) => t.startsWith('trace-kill9-late-'));
  for (const t of late) counts.delete(t); // written during the kill: stored at most once (checked next)
  for (const t of late) expect(all.get(t), t).toBe(1);
  const ids = Array.from({ length: count }, (_, i) => `trace-kill9-${i}`);
  expect(expectExactlyOnce(counts, ids)).toEqual([]);
  expect(await next.counter('replayed')).toBe(count + late.length);
  expect(leakedSecrets(texts)).toEqual([]);
  await next.store.close(1_000);
});
