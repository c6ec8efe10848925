/**
 * Vertex AI batch prediction end to end, with the official openai SDK as the client: files.create →
 * Cloud Storage (resumable upload in 256 KiB-multiple parts for a large file), batches.create →
 * batchPredictionJobs, polled until the fake has run it, files.content of the predictions → OpenAI's
 * output JSONL. Every storage and job call carries a token the fake's token endpoint issued for the
 * service account's signed assertion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { request } from 'undici';
import { Readable } from 'node:stream';
import type { LogDocument } from '@portico/contract';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeVertexBatch, type FakeVertexBatch } from '../fakes/vertex-batch.js';
import { clearVertexTokenCache } from '../../src/providers/vertex-ai/index.js';

const MODEL = 'gemini-2.0-flash-001';
let fake: FakeVertexBatch;
let gw: TestGateway;

const headers = (extra: Record<string, string> = {}) => ({
  'x-portkey-provider': 'vertex-ai',
  'x-portkey-custom-host': fake.vertexBase,
  'x-portkey-vertex-project-id': 'fake-project',
  'x-portkey-vertex-region': 'us-central1',
  'x-portkey-vertex-service-account-json': fake.serviceAccountJson,
  'x-portkey-vertex-storage-bucket-name': 'vertex-batches',
  'x-portkey-provider-model': MODEL,
  ...extra,
});
const openai = (extra?: Record<string, string>) => new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers(extra) });
const chatLine = (id: string, text: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_tokens: 20, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }] } });

beforeAll(async () => {
  clearVertexTokenCache();
  fake = await startFakeVertexBatch();
  gw = await startTestGateway({ VERTEX_STORAGE_ENDPOINT: fake.url, VERTEX_TOKEN_URIS: fake.tokenUri, CLOUD_BATCH_TIMEOUT_MS: '10000' });
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('openai SDK → gateway → Cloud Storage and Vertex AI batch prediction', () => {
  it('uploads, creates, polls and reads the predictions converted to OpenAI batch output lines', async () => {
    const client = openai({ 'x-portkey-provider-file-name': 'in/run-1.jsonl' });
    const jsonl = [chatLine('v-1', 'Hello'), chatLine('v-2', 'FAIL this one')].join('\n');
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'run.jsonl'), purpose: 'batch' });
    expect(decodeURIComponent(file.id)).toBe('gs://vertex-batches/in/run-1.jsonl');
    const stored = fake.objects.get('vertex-batches/in/run-1.jsonl')!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stored[0]).toEqual({
      custom_id: 'v-1',
      request: { contents: [{ role: 'user', parts: [{ text: 'Hello' }] }], systemInstruction: { parts: [{ text: 'Be brief.' }] }, generationConfig: { maxOutputTokens: 20 } },
    });

    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { team: 'search' } });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', input_file_id: file.id, metadata: { team: 'search' } });
    const job = fake.jobs.get(created.id)!;
    expect(job).toMatchObject({ model: `publishers/google/models/${MODEL}`, inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['gs://vertex-batches/in/run-1.jsonl'] } }, outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: 'gs://vertex-batches/in' } }, labels: { team: 'search' } });

    let batch = created;
    for (let i = 0; i < 10 && batch.status !== 'completed'; i++) batch = await client.batches.retrieve(created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 2, completed: 1, failed: 1 });
    const lines = (await (await client.files.content(batch.output_file_id!)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(['v-1', 'v-2']);
    expect(lines[0].response).toMatchObject({ status_code: 200, body: { object: 'chat.completion', model: MODEL, choices: [{ message: { role: 'assistant', content: 'gemini says [{"text":"Hello"}]' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } });
    expect(lines[1].error).toMatchObject({ code: 'model_error', message: 'Internal error: made to fail' });

    const out = await fetch(`${gw.url}/v1/batches/${created.id}/output`, { headers: headers() });
    expect(out.status).toBe(200);
    expect((await out.text()).trim().split('\n')).toHaveLength(2);
    // One token exchange served every call; every call carried it (the fake refuses others).
    expect(fake.tokenExchanges).toBe(1);
    expect(fake.requests.filter((r) => r.status === 401)).toEqual([]);
  });

  it('uploads a file larger than one part through a resumable session', async () => {
    const client = openai({ 'x-portkey-provider-file-name': 'in/big.jsonl' });
    const pad = 'y'.repeat(4000);
    const lines = Array.from({ length: 2400 }, (_, i) => chatLine(`b-${i}`, `${i} ${pad}`));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'big.jsonl'), purpose: 'batch' });
    const stored = fake.objects.get('vertex-batches/in/big.jsonl')!;
    expect(stored.length).toBe(file.bytes);
    expect(stored.length).toBeGreaterThan(8 * 1024 * 1024);
    const puts = fake.requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/upload/'));
    expect(puts.map((r) => r.contentRange)).toEqual([`bytes 0-${8 * 1024 * 1024 - 1}/*`, `bytes ${8 * 1024 * 1024}-${stored.length - 1}/${stored.length}`]);
    expect(stored.toString('utf8').trim().split('\n').map((l) => JSON.parse(l).custom_id)).toEqual(lines.map((_, i) => `b-${i}`));
    expect((await client.files.retrieve(file.id)).bytes).toBe(file.bytes);
  });

  it('writes a log document per operation, the service account left out', async () => {
    const traceId = `vertex-log-${Date.now()}`;
    const created = await openai({ 'x-portkey-trace-id': traceId }).batches.create({ input_file_id: encodeURIComponent('gs://vertex-batches/in/run-1.jsonl'), endpoint: '/v1/chat/completions', completion_window: '24h' });
    const doc = await eventually(() => {
      const d = readAllLogs(gw).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogDocument).find((x) => x.trace_id === traceId);
      expect(d).toBeDefined();
      return d!;
    });
    expect(doc).toMatchObject({
      provider: 'vertex-ai', model: MODEL,
      request: { method: 'POST', path: '/v1/batches', body: { completion_window: '24h' } },
      response: { status: 200, body: { id: created.id, object: 'batch' } },
    });
    expect(doc.request.headers).not.toHaveProperty('x-portkey-vertex-service-account-json');
    const sa = JSON.parse(fake.serviceAccountJson) as { private_key: string };
    const logs = readAllLogs(gw);
    expect(logs).not.toContain(sa.private_key.split('\n')[1]);
    expect(logs).not.toContain('PRIVATE KEY');
  });

  it('cancels a job, and refuses bad input by name', async () => {
    const client = openai();
    const created = await client.batches.create({ input_file_id: encodeURIComponent('gs://vertex-batches/in/run-1.jsonl'), endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect((await client.batches.cancel(created.id)).status).toBe('cancelling');
    expect((await client.batches.retrieve(created.id)).status).toBe('cancelled');
    const list = await client.batches.list({ limit: 5 });
    expect(list.data.map((b) => b.id)).toContain(created.id);

    const embed = JSON.stringify({ custom_id: 'e', method: 'POST', url: '/v1/embeddings', body: { input: 'x' } });
    const bad = await client.files.create({ file: await toFile(Buffer.from(embed), 'e.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(bad.status).toBe(400);
    expect(bad.error.code).toBe('invalid_batch_line');
    const unknown = await client.batches.create({ input_file_id: 'x', endpoint: '/v1/chat/completions', completion_window: '24h', priority: 1 } as never).catch((e) => e);
    expect(unknown.status).toBe(400);
    expect(unknown.error.message).toContain('"priority"');
  });

  it('converts at most CLOUD_BATCH_MAX_UPLOADS files at once; the next gets 503 with Retry-After', async () => {
    const one = await startTestGateway({ VERTEX_STORAGE_ENDPOINT: fake.url, VERTEX_TOKEN_URIS: fake.tokenUri, CLOUD_BATCH_MAX_UPLOADS: '1' });
    let release: (() => void) | undefined;
    try {
      const boundary = 'portico-test-boundary';
      const head = `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.jsonl"\r\ncontent-type: application/jsonl\r\n\r\n`;
      const held = new Promise<void>((r) => (release = r));
      async function* slowBody() {
        yield Buffer.from(head + chatLine('s-1', 'hi') + '\n');
        await held;
        yield Buffer.from(`\r\n--${boundary}--\r\n`);
      }
      const multipart = { ...headers({ 'x-portkey-provider-file-name': 'in/slow.jsonl' }), 'content-type': `multipart/form-data; boundary=${boundary}` };
      const first = request(`${one.url}/v1/files`, { method: 'POST', headers: multipart, body: Readable.from(slowBody()) });
      first.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      const second = await fetch(`${one.url}/v1/files`, { method: 'POST', headers: multipart, body: head + chatLine('s-2', 'hi') + `\r\n--${boundary}--\r\n` });
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('5');
      expect(((await second.json()) as { error: { code: string } }).error.code).toBe('cloud_uploads_busy');
      release!();
      const done = await first;
      expect(done.statusCode).toBe(200);
      expect(decodeURIComponent(((await done.body.json()) as { id: string }).id)).toBe('gs://vertex-batches/in/slow.jsonl');
    } finally {
      release?.();
      await one.close();
    }
  });
});
