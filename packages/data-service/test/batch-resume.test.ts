import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';
import { startServiceProcess } from './helpers/service-process.js';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic.js';
import { startRedis } from '@portico/test-support/redis';

let anthropic: FakeAnthropic;
let gw: GatewayProcess;
const CONCURRENCY = 6;

function config() {
  return JSON.stringify({ provider: 'anthropic', api_key: 'sk-ant-test', custom_host: anthropic.baseUrl });
}

function lines(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `${prefix}-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-3-5-haiku-20241022', max_tokens: 10, messages: [{ role: 'user', content: `${prefix}-${i}` }] } })).join('\n') + '\n';
}

async function createBatch(url: string, n: number, prefix: string): Promise<string> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([lines(n, prefix)]), `${prefix}.jsonl`);
  const f = await (await fetch(`${url}/v1/files`, { method: 'POST', body: form })).json();
  const b = await fetch(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: f.id, endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': config() } }) });
  expect(b.status).toBe(200);
  return (await b.json()).id;
}

const get = async (url: string, id: string) => (await fetch(`${url}/v1/batches/${id}`)).json();

async function outputIds(url: string, batch: { output_file_id: string | null; error_file_id: string | null }): Promise<string[]> {
  const ids: string[] = [];
  for (const f of [batch.output_file_id, batch.error_file_id]) {
    if (!f) continue;
    const text = await (await fetch(`${url}/v1/files/${f}/content`)).text();
    for (const l of text.trim().split('\n')) ids.push(JSON.parse(l).custom_id);
  }
  return ids;
}

/** How many times the upstream saw each line beyond once. */
function repeats(prefix: string, n: number): number {
  let extra = 0;
  for (let i = 0; i < n; i++) {
    const seen = anthropic.seen.get(`${prefix}-${i}`) ?? 0;
    expect(seen, `${prefix}-${i} reached the provider`).toBeGreaterThan(0);
    extra += seen - 1;
  }
  return extra;
}

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ delayMs: 40 });
  gw = await startGatewayProcess();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await anthropic?.close();
});

describe('a batch survives its process', () => {
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal} mid-way, restarted: each custom_id exactly once; only lines in flight sent again`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'ds-resume-'));
      const env = { DATA_DIR: dataDir, GATEWAY_URL: gw.url, BATCH_CONCURRENCY: String(CONCURRENCY), BATCH_LEASE_TTL_MS: '1500', SCHEDULER_INTERVAL_MS: '200', SHUTDOWN_TIMEOUT_MS: '5000' };
      const n = 240;
      const prefix = `kill-${signal}`;
      try {
        const first = await startServiceProcess(env);
        const id = await createBatch(first.url, n, prefix);
        await eventually(async () => expect((await get(first.url, id)).request_counts.completed).toBeGreaterThan(40), 20_000, 20);
        const code = await first.kill(signal);
        if (signal === 'SIGTERM') expect(code).toBe(0);
        const before = (await import('node:fs')).readdirSync(join(dataDir, 'finetunes', 'batches', id, 'results')).length;
        expect(before).toBeGreaterThan(0);
        const second = await startServiceProcess(env);
        try {
          const done = await eventually(async () => {
            const b = await get(second.url, id);
            expect(b.status).toBe('completed');
            return b;
          }, 30_000, 100);
          expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
          const ids = await outputIds(second.url, done);
          expect(ids.length).toBe(n);
          expect(new Set(ids).size).toBe(n);
          const extra = repeats(prefix, n);
          if (signal === 'SIGTERM') expect(extra).toBe(0);
          else expect(extra).toBeLessThanOrEqual(CONCURRENCY);
        } finally {
          await second.kill('SIGTERM');
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

describe('two replicas', () => {
  it('race for the same batches (Redis leases): each line runs once, on one replica', async () => {
    const redis = await startRedis();
    const dataDir = mkdtempSync(join(tmpdir(), 'ds-race-'));
    const env = { DATA_DIR: dataDir, GATEWAY_URL: gw.url, REDIS_URL: redis.url, BATCH_CONCURRENCY: '4', BATCH_MAX_ACTIVE: '1', SCHEDULER_INTERVAL_MS: '50' };
    let a: TestService | undefined;
    let b: TestService | undefined;
    // Slow lines (40 lines at concurrency 4: 2 s a batch), so the batches are still running when both race.
    anthropic.opts.delayMs = 200;
    try {
      a = await startTestService(env);
      b = await startTestService(env);
      const ids = [await createBatch(a.url, 40, 'race-1'), await createBatch(b.url, 40, 'race-2'), await createBatch(a.url, 40, 'race-3')];
      // Both replicas also try to start each batch at the same moment: one lease, one runner.
      const starts = await Promise.all(ids.flatMap((id) => [a!.svc.features.batches.start(id), b!.svc.features.batches.start(id)]));
      for (let i = 0; i < ids.length; i++) expect(starts[2 * i] && starts[2 * i + 1]).toBe(false);
      for (const id of ids) {
        await eventually(async () => expect((await get(a!.url, id)).status).toBe('completed'), 30_000, 100);
      }
      for (const p of ['race-1', 'race-2', 'race-3']) expect(repeats(p, 40)).toBe(0);
      const ranOn = async (s: TestService) => (await s.svc.deps.metrics.batchLines.get()).values.reduce((n, v) => n + v.value, 0);
      expect((await ranOn(a)) + (await ranOn(b))).toBe(120);
    } finally {
      await a?.close();
      await b?.close();
      anthropic.opts.delayMs = 40;
      await redis.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
