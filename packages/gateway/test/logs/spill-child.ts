/**
 * Child process of kill9.test.ts: a store whose S3 is down writes documents until they are all
 * spilled, says so on stdout, then waits to be killed with SIGKILL (no close(), no exit handlers).
 */
import { Registry } from 'prom-client';
import { loadSettings } from '../../src/config/settings.js';
import { createS3LogStore } from '../../src/logs/s3/store.js';
import { logStoreMetrics } from '../../src/logs/metrics.js';
import { makeDoc } from './doc-fixture.js';

const env = process.env;
const count = Number(env.CHILD_DOCS);
const settings = loadSettings({
  LOG_STORE: 's3_custom',
  LOG_STORE_BASEPATH: env.CHILD_ENDPOINT,
  LOG_STORE_GENERATIONS_BUCKET: env.CHILD_BUCKET,
  LOG_STORE_ACCESS_KEY: 'S3RVER',
  LOG_STORE_SECRET_KEY: 'S3RVER',
  LOG_STORE_SPILL_DIR: env.CHILD_SPILL_DIR,
  LOG_STORE_BATCH_MAX_DOCS: '40',
  LOG_STORE_BATCH_MAX_AGE_MS: '50',
  LOG_LEVEL: 'silent',
});
const registry = new Registry();
const store = createS3LogStore(settings, { registry, uploadTimeoutMs: 1_000, replayBackoffMs: { initial: 200, max: 1_000 } });
const spilled = logStoreMetrics(registry).spilled;

for (let i = 0; i < count; i++) {
  store.write(makeDoc(`trace-kill9-${i}`));
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
for (;;) {
  const n = (await spilled.get()).values.reduce((a, v) => a + v.value, 0);
  if (n === count && store.pending === 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(`SPILLED ${count}\n`);
// Keep writing until killed: each of these is spilled (and later replayed) or still in memory and
// lost with the process; the test only checks that none appears twice.
let late = 0;
setInterval(() => store.write(makeDoc(`trace-kill9-late-${late++}`)), 5);
