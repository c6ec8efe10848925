import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';
import { startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic.js';

let anthropic: FakeAnthropic;
let ds: TestService;
let gw: GatewayProcess;

/** The openai SDK against the gateway with only a Portkey key: files and batches go to the data service. */
function client(key = 'pk-user-1') {
  return new OpenAI({ apiKey: 'unused-by-portkey', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-api-key': key } });
}

function anthropicConfig() {
  return JSON.stringify({ provider: 'anthropic', api_key: 'sk-ant-test', custom_host: anthropic.baseUrl, retry: { attempts: 2, on_status_codes: [429] } });
}

function batchFile(n: number, prefix: string, model = 'claude-3-5-haiku-20241022') {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ custom_id: `${prefix}-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model, max_tokens: 20, messages: [{ role: 'user', content: `${prefix} line ${i}` }] } }));
  }
  return lines.join('\n') + '\n';
}

async function readJsonl(c: OpenAI, fileId: string | null | undefined): Promise<Array<Record<string, any>>> {
  if (!fileId) return [];
  const text = await (await c.files.content(fileId)).text();
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ rateLimitEvery: 7, retryAfterS: '0' });
  ds = await startTestService({ BATCH_CONCURRENCY: '4' });
  gw = await startGatewayProcess({ DATASERVICE_BASEPATH: ds.url });
  ds.svc.deps.config.GATEWAY_URL = gw.url;
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await ds?.close();
  await anthropic?.close();
});

describe('files through the gateway (openai SDK)', () => {
  it('create, retrieve, list, content, delete', async () => {
    const c = client();
    const text = batchFile(3, 'f');
    const f = await c.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
    expect(f).toMatchObject({ object: 'file', purpose: 'batch', filename: 'in.jsonl', bytes: Buffer.byteLength(text), status: 'processed' });
    expect((await c.files.retrieve(f.id)).id).toBe(f.id);
    const list = await c.files.list({ purpose: 'batch' });
    expect(list.data.map((x) => x.id)).toContain(f.id);
    expect(await (await c.files.content(f.id)).text()).toBe(text);
    expect(await c.files.delete(f.id)).toMatchObject({ id: f.id, deleted: true });
    await expect(c.files.retrieve(f.id)).rejects.toMatchObject({ status: 404 });
  });

  it('a bad batch line is refused, naming the line', async () => {
    const c = client();
    const text = batchFile(2, 'bad') + '{"custom_id":"bad-0","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n';
    await expect(c.files.create({ file: await toFile(Buffer.from(text), 'bad.jsonl'), purpose: 'batch' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('Line 3') });
    const notJson = batchFile(1, 'nj') + 'not json\n';
    await expect(c.files.create({ file: await toFile(Buffer.from(notJson), 'nj.jsonl'), purpose: 'batch' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('Line 2') });
  });

  it('another workspace cannot see a file (the embedded default has one workspace; checked in the unit tests)', async () => {
    await expect(client().files.retrieve('file-000000000000000000000000')).rejects.toMatchObject({ status: 404 });
  });
});

describe('batches on a translated provider (Anthropic) through the gateway (openai SDK)', () => {
  for (const window of ['immediate', '24h'] as const) {
    it(`completion_window "${window}": every custom_id once, 429s retried, outputs in OpenAI's shape`, async () => {
      const c = client();
      const n = 30;
      const input = await c.files.create({ file: await toFile(Buffer.from(batchFile(n, window)), 'batch.jsonl'), purpose: 'batch' });
      const batch = await c.batches.create({
        input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: window as '24h',
        metadata: { run: window }, portkey_options: { 'x-portkey-config': anthropicConfig() },
      } as never);
      expect(batch.status).toBe('validating');
      expect(batch.expires_at ?? null).toBe(window === '24h' ? batch.created_at + 86_400 : null);
      const done = await eventually(async () => {
        const b = await c.batches.retrieve(batch.id);
        expect(b.status).toBe('completed');
        return b;
      }, 30_000, 100);
      expect(done.request_counts).toEqual({ total: n, completed: n, failed: 0 });
      const out = await readJsonl(c, done.output_file_id);
      expect(out.map((o) => o.custom_id).sort()).toEqual(Array.from({ length: n }, (_, i) => `${window}-${i}`).sort());
      for (const o of out) {
        expect(o.response.status_code).toBe(200);
        expect(o.response.body.object).toBe('chat.completion');
        expect(o.response.body.choices[0].message.content).toBe(`Echo: ${o.custom_id.replace('-', ' line ')}`);
        expect(o.error).toBeNull();
      }
      expect(done.error_file_id ?? null).toBeNull();
      const listed = await c.batches.list();
      expect(listed.data.map((b) => b.id)).toContain(batch.id);
      expect(anthropic.maxInFlight).toBeLessThanOrEqual(4);
    });
  }

  it('lines the provider refuses go to the error file; cancel of a finished batch is refused', async () => {
    const c = client();
    const text = batchFile(3, 'mix') + JSON.stringify({ custom_id: 'mix-unknown-model', method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-none', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } }) + '\n';
    const input = await c.files.create({ file: await toFile(Buffer.from(text), 'mix.jsonl'), purpose: 'batch' });
    const batch = await c.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': anthropicConfig() } } as never);
    const done = await eventually(async () => {
      const b = await c.batches.retrieve(batch.id);
      expect(b.status).toBe('completed');
      return b;
    }, 30_000, 100);
    expect(done.request_counts).toEqual({ total: 4, completed: 3, failed: 1 });
    const errors = await readJsonl(c, done.error_file_id);
    expect(errors.map((e) => e.custom_id)).toEqual(['mix-unknown-model']);
    expect(errors[0].response.status_code).toBe(404);
    await expect(c.batches.cancel(batch.id)).rejects.toMatchObject({ status: 409 });
  });

  it('refuses a batch without routing, an unknown field, a wrong endpoint, a missing file', async () => {
    const c = client();
    const input = await c.files.create({ file: await toFile(Buffer.from(batchFile(1, 'r')), 'r.jsonl'), purpose: 'batch' });
    await expect(c.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).rejects.toMatchObject({ status: 400, param: 'portkey_options' });
    await expect(c.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', colour: 'red' } as never)).rejects.toMatchObject({ status: 400, param: 'colour' });
    await expect(c.batches.create({ input_file_id: input.id, endpoint: '/v1/audio' as never, completion_window: '24h' })).rejects.toMatchObject({ status: 400, param: 'endpoint' });
    await expect(c.batches.create({ input_file_id: 'file-nope', endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': anthropicConfig() } } as never)).rejects.toMatchObject({ status: 404 });
  });

  it('a running batch is cancelled: finished lines in the output, the rest in the error file, each custom_id once', async () => {
    anthropic.opts.delayMs = 100;
    try {
      const c = client();
      const n = 60;
      const input = await c.files.create({ file: await toFile(Buffer.from(batchFile(n, 'cx')), 'cx.jsonl'), purpose: 'batch' });
      const batch = await c.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: 'immediate', portkey_options: { 'x-portkey-config': anthropicConfig() } } as never);
      await eventually(async () => expect((await c.batches.retrieve(batch.id)).request_counts?.completed).toBeGreaterThan(3), 20_000, 50);
      const cancelling = await c.batches.cancel(batch.id);
      expect(['cancelling', 'cancelled']).toContain(cancelling.status);
      const done = await eventually(async () => {
        const b = await c.batches.retrieve(batch.id);
        expect(b.status).toBe('cancelled');
        return b;
      }, 20_000, 100);
      const out = await readJsonl(c, done.output_file_id);
      const err = await readJsonl(c, done.error_file_id);
      expect(out.length).toBeLessThan(n);
      expect([...out, ...err].map((o) => o.custom_id).sort()).toEqual(Array.from({ length: n }, (_, i) => `cx-${i}`).sort());
      expect(err.every((e) => e.error?.code === 'batch_cancelled')).toBe(true);
    } finally {
      anthropic.opts.delayMs = 0;
    }
  });
});

describe('the gateway keeps provider-named files and batches with the provider', () => {
  it('x-portkey-provider: the request goes to the provider, not the data service', async () => {
    const res = await fetch(`${gw.url}/v1/batches`, { headers: { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrl, 'x-api-key': 'sk-ant-test' } });
    // The fake Anthropic has no batches route: a 404 from it proves where the request went.
    const body = await res.json();
    expect(res.status).toBe(404);
    expect(JSON.stringify(body)).not.toContain('"object":"list"');
    const ours = await fetch(`${gw.url}/v1/batches`, { headers: { 'x-portkey-api-key': 'pk-user-1' } });
    expect(ours.status).toBe(200);
    expect((await ours.json()).object).toBe('list');
  });
});
