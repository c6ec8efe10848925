import { afterAll, beforeAll, expect, it } from 'vitest';
import path from 'node:path';
import { request } from 'undici';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startS3, S3RVER_KEY, type S3Harness } from '@portico/test-support/s3';
import { countTraceIds, leakedSecrets, PLANTED_SECRETS } from './doc-fixture.js';
import { spawnGateway } from '../helpers/gateway-process.js';
import { tempDir } from './store-helpers.js';

/**
 * The real gateway process with LOG_STORE=s3_custom gets SIGTERM in the middle of a load: every request
 * that got its answer has its log document in S3 exactly once, and no credential is in any object.
 */
const PROVIDER_KEY = PLANTED_SECRETS[0];

let h: S3Harness;
let upstream: FakeOpenAI;
let dirs: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  [h, upstream, dirs] = await Promise.all([startS3(), startFakeOpenAI({ validate: false }), tempDir('gw-sigterm')]);
  upstream.setDefault({ delayMs: 300 }); // requests are in flight when SIGTERM comes
});
afterAll(async () => {
  await Promise.all([h?.close(), upstream?.close()]);
  await dirs?.cleanup();
});

it('SIGTERM mid-load: every answered request is logged to S3 exactly once, redacted', async () => {
  const gw = await spawnGateway({
    LOG_STORE: 's3_custom',
    LOG_STORE_BASEPATH: h.endpoint,
    LOG_STORE_GENERATIONS_BUCKET: h.bucket,
    LOG_STORE_ACCESS_KEY: S3RVER_KEY,
    LOG_STORE_SECRET_KEY: S3RVER_KEY,
    LOG_STORE_SPILL_DIR: path.join(dirs.dir, 'spill'),
    LOG_STORE_FILE_DIR: path.join(dirs.dir, 'logs'),
    // Documents stay in memory until shutdown flushes them.
    LOG_STORE_BATCH_MAX_AGE_MS: '60000',
    LOG_STORE_BATCH_MAX_DOCS: '100000',
    SHUTDOWN_TIMEOUT_MS: '6000',
    ENTITIES_FILE: '',
  });
  const base = gw.url;
  const answered: string[] = [];
  const send = async (i: number): Promise<void> => {
    const traceId = `trace-sigterm-${i}`;
    try {
      const res = await request(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${PROVIDER_KEY}`,
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': upstream.baseUrl,
          'x-portkey-trace-id': traceId,
          'x-portkey-aws-secret-access-key': PLANTED_SECRETS[3],
        },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hello ${i}, my key is ${PROVIDER_KEY}` }] }),
      });
      await res.body.text();
      if (res.statusCode === 200) answered.push(traceId);
    } catch {
      // Refused after the listener closed: never answered, so not expected in the store.
    }
  };
  await Promise.all(Array.from({ length: 40 }, (_, i) => send(i)));
  expect(answered.length).toBe(40);
  const load: Promise<void>[] = [];
  for (let i = 40; i < 80; i++) load.push(send(i));
  await new Promise((r) => setTimeout(r, 100)); // the second wave is in flight at the fake upstream
  gw.proc.kill('SIGTERM');
  for (let i = 80; i < 100; i++) load.push(send(i));
  await Promise.all(load);
  expect((await gw.exited).code, gw.output().slice(-2000)).toBe(0);
  // How much of the second wave the drain lets finish is the server's business. What the log store
  // owes: every answered request is stored, once.
  expect(answered.length).toBeGreaterThanOrEqual(40);

  const texts = (await h.objects('logs/')).map((o) => o.text);
  const counts = countTraceIds(texts);
  for (const t of answered) expect(counts.get(t), t).toBe(1);
  for (const [t, n] of counts) expect(n, t).toBe(1);
  expect(leakedSecrets(texts)).toEqual([]);
}, 60_000);
