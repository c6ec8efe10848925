import { afterEach, beforeEach, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { spawnNodeScript } from '@portico/test-support/spawn';
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
  const child = spawnNodeScript(path.join(here, 'spill-child.ts'), [], {
    cwd: packageRoot,
    env: { ...process.env, CHILD_ENDPOINT: h.endpoint, CHILD_BUCKET: h.bucket, CHILD_SPILL_DIR: spill.dir, CHILD_DOCS: String(count) },
  });
  await child.waitForOutput(new RegExp(`SPILLED ${count}`), 25_000);
  await new Promise((r) => setTimeout(r, 100)); // the child is mid-stream of new writes
  child.proc.kill('SIGKILL');
  expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
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
