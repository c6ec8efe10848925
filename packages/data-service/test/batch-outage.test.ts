import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { s3Env } from './helpers/s3.js';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';

let s3: S3Harness;
let anthropic: FakeAnthropic;
let gw: GatewayProcess;
let ds: TestService;

beforeAll(async () => {
  s3 = await startS3(['logs', 'finetunes']);
  anthropic = await startFakeAnthropic({ delayMs: 30 });
  gw = await startGatewayProcess();
  ds = await startTestService({ ...s3Env(s3, { logs: 'logs', finetunes: 'finetunes' }), GATEWAY_URL: gw.url, BATCH_CONCURRENCY: '4' });
}, 60_000);

afterAll(async () => {
  await ds?.close();
  await gw?.close();
  await anthropic?.close();
  await s3?.close();
});

describe('an S3 outage during a batch', () => {
  it('pauses it (visible in retrieve), then it resumes and finishes with each custom_id once', async () => {
    const n = 150;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ custom_id: `o-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-3-5-haiku-20241022', max_tokens: 5, messages: [{ role: 'user', content: `o-${i}` }] } })).join('\n') + '\n';
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([text]), 'o.jsonl');
    const file = await (await fetch(`${ds.url}/v1/files`, { method: 'POST', body: form })).json();
    const config = JSON.stringify({ provider: 'anthropic', api_key: 'sk-ant-test', custom_host: anthropic.baseUrl });
    const created = await (await fetch(`${ds.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': config } }) })).json();
    const get = async () => (await fetch(`${ds.url}/v1/batches/${created.id}`)).json();
    await eventually(async () => expect((await get()).request_counts.completed).toBeGreaterThan(10), 20_000, 20);
    await s3.stop();
    const paused = await eventually(async () => {
      const b = await get();
      expect(b.paused_reason).toMatch(/object store unavailable/);
      return b;
    }, 20_000, 50);
    expect(paused.status).toBe('in_progress');
    const during = anthropic.requests;
    await new Promise((r) => setTimeout(r, 500));
    // No new lines start while their results cannot be kept (at most those already in flight finish).
    expect(anthropic.requests - during).toBeLessThanOrEqual(4);
    await s3.start();
    const done = await eventually(async () => {
      const b = await get();
      expect(b.status).toBe('completed');
      return b;
    }, 30_000, 100);
    expect(done.paused_reason).toBeNull();
    expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
    const out = await (await fetch(`${ds.url}/v1/files/${done.output_file_id}/content`)).text();
    const ids = out.trim().split('\n').map((l) => JSON.parse(l).custom_id);
    expect(new Set(ids).size).toBe(n);
    expect(ids.length).toBe(n);
  }, 120_000);
});
