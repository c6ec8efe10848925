/**
 * Bedrock batch inference end to end, with the official openai SDK as the client: files.create →
 * the gateway converts each OpenAI line to a Bedrock record and streams it to S3 (s3rver, which checks
 * SigV4), batches.create → CreateModelInvocationJob at a fake control plane (SigV4 recomputed, the
 * documented request shape enforced), batches.retrieve polled until the fake has run the job (reading
 * the records from S3 and writing its .out file), files.content of the output → OpenAI's output JSONL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startS3, S3RVER_KEY, type S3Harness } from '@portico/test-support/s3';
import type { LogDocument } from '@portico/contract';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { analyticsRow } from '../../src/analytics/row.js';
import { startFakeBedrockBatch, type FakeBedrockBatch } from '../fakes/bedrock-batch.js';
import { clearBedrockCredentialCache } from '../../src/providers/bedrock/index.js';
import { startSigV4S3Proxy, type SigV4S3Proxy } from '../helpers/sigv4-s3-proxy.js';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatchRole';
const BUCKET = 'batch-bucket';

let s3: S3Harness;
let fake: FakeBedrockBatch;
let gw: TestGateway;
let s3v4: SigV4S3Proxy;

const headers = (extra: Record<string, string> = {}) => ({
  'x-portkey-provider': 'bedrock',
  'x-portkey-aws-access-key-id': S3RVER_KEY,
  'x-portkey-aws-secret-access-key': S3RVER_KEY,
  'x-portkey-aws-region': 'us-east-1',
  'x-portkey-aws-s3-bucket': BUCKET,
  'x-portkey-aws-bedrock-model': MODEL,
  ...extra,
});
const openai = (extra?: Record<string, string>) => new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers(extra) });

const chatLine = (id: string, text: string) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: text }] } });

async function objectText(key: string): Promise<string> {
  const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return got.Body!.transformToString();
}

beforeAll(async () => {
  s3 = await startS3(BUCKET);
  fake = await startFakeBedrockBatch({ s3: s3.client, credentials: [{ accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY }] });
  s3v4 = await startSigV4S3Proxy(s3.endpoint, [{ accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY }]);
  gw = await startTestGateway({ AWS_ENDPOINT_URL_S3: s3v4.url, AWS_ENDPOINT_URL_BEDROCK: fake.url, CLOUD_BATCH_TIMEOUT_MS: '10000' });
});

afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await s3v4?.close();
  await s3?.close();
});

describe('openai SDK → gateway → S3 and Bedrock batch jobs', () => {
  it('uploads, creates, polls and reads the output converted to OpenAI batch output lines', async () => {
    const client = openai({ 'x-portkey-aws-s3-object-key': 'inputs/run-1.jsonl' });
    const jsonl = [chatLine('req-1', 'What is 2+2?'), chatLine('req-2', 'Name a colour.'), chatLine('req-3', 'FAIL me')].join('\n') + '\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'batch.jsonl'), purpose: 'batch' });
    expect(decodeURIComponent(file.id)).toBe(`s3://${BUCKET}/inputs/run-1.jsonl`);
    expect(file).toMatchObject({ object: 'file', purpose: 'batch', status: 'processed' });

    // What went to S3 is Bedrock's record format with the model's InvokeModel body.
    const stored = (await objectText('inputs/run-1.jsonl')).trim().split('\n').map((l) => JSON.parse(l));
    expect(stored).toHaveLength(3);
    expect(file.bytes).toBe(Buffer.byteLength((await objectText('inputs/run-1.jsonl'))));
    expect(stored[0]).toEqual({
      recordId: 'req-1',
      modelInput: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, system: 'Be brief.', messages: [{ role: 'user', content: 'What is 2+2?' }] },
    });

    fake.answer((input, id) => (id === 'req-3' ? { errorCode: 400, errorMessage: 'Malformed input request: made to fail' } : `answer to ${JSON.stringify((input.messages as Array<{ content: unknown }>)[0]!.content)}`));
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', role_arn: ROLE, model: MODEL } as never);
    expect(created).toMatchObject({ object: 'batch', status: 'validating', endpoint: '/v1/chat/completions', input_file_id: file.id, completion_window: '24h' });
    expect(decodeURIComponent(created.id)).toMatch(/^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/);
    const sent = fake.requests.find((r) => r.operation === 'CreateModelInvocationJob')!;
    expect(sent.signature).toBe('valid');
    expect(sent.body).toMatchObject({
      roleArn: ROLE, modelId: MODEL, timeoutDurationInHours: 24,
      inputDataConfig: { s3InputDataConfig: { s3Uri: `s3://${BUCKET}/inputs/run-1.jsonl`, s3InputFormat: 'JSONL' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: `s3://${BUCKET}/inputs/` } },
    });

    let batch = created;
    for (let i = 0; i < 10 && batch.status !== 'completed'; i++) batch = await client.batches.retrieve(created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    expect(batch.completed_at).toBeTypeOf('number');
    const jobId = decodeURIComponent(created.id).split('/').pop();
    expect(decodeURIComponent(batch.output_file_id!)).toBe(`s3://${BUCKET}/inputs/${jobId}/run-1.jsonl.out`);

    const content = await (await client.files.content(batch.output_file_id!)).text();
    const lines = content.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.custom_id)).toEqual(['req-1', 'req-2', 'req-3']);
    expect(lines[0].error).toBeNull();
    expect(lines[0].response.status_code).toBe(200);
    expect(lines[0].response.body).toMatchObject({ object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'answer to "What is 2+2?"' }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
    expect(lines[2].response.status_code).toBe(400);
    expect(lines[2].error).toMatchObject({ code: 'invalid_request', message: 'Malformed input request: made to fail' });

    // Portkey's /v1/batches/{id}/output gives the same lines, with the job's model named.
    const out = await fetch(`${gw.url}/v1/batches/${created.id}/output`, { headers: headers() });
    expect(out.status).toBe(200);
    const outLines = (await out.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(outLines.map((l) => l.custom_id)).toEqual(['req-1', 'req-2', 'req-3']);
    expect(outLines[1].response.body.model).toBe(MODEL);
    expect(fake.requests.every((r) => r.signature === 'valid')).toBe(true);
    expect(s3v4.rejected).toBe(0);
  });

  it('streams a file larger than one S3 part as a multipart upload, all lines kept in order', async () => {
    const client = openai({ 'x-portkey-aws-s3-object-key': 'inputs/big.jsonl', 'x-portkey-aws-server-side-encryption': 'AES256' });
    const pad = 'x'.repeat(4000);
    const lines = Array.from({ length: 2600 }, (_, i) => chatLine(`big-${i}`, `${i} ${pad}`));
    const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n')), 'big.jsonl'), purpose: 'batch' });
    expect(file.bytes).toBeGreaterThan(9 * 1024 * 1024);
    expect(s3v4.operations.filter((o) => o === 'POST uploads')).toHaveLength(1);
    expect(s3v4.operations.filter((o) => o === 'PUT partNumber,uploadId')).toHaveLength(2);
    expect(s3v4.operations).toContain('POST uploadId');
    const stored = (await objectText('inputs/big.jsonl')).trim().split('\n');
    expect(stored).toHaveLength(2600);
    expect(stored.map((l) => JSON.parse(l).recordId)).toEqual(lines.map((_, i) => `big-${i}`));
    const head = await client.files.retrieve(file.id);
    expect(head.bytes).toBe(file.bytes);
  });

  it('refuses a bad line by number, keeps nothing, and never echoes the credentials', async () => {
    const client = openai({ 'x-portkey-aws-s3-object-key': 'inputs/bad.jsonl' });
    const jsonl = [chatLine('a', 'hi'), '{"custom_id":"b","method":"GET","url":"/v1/chat/completions","body":{}}'].join('\n');
    const err = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'bad.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error).toMatchObject({ code: 'invalid_batch_line', param: 'file' });
    expect(err.error.message).toContain('Line 2');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'inputs/bad' }));
    expect(listed.Contents ?? []).toEqual([]);

    const wrong = new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers({ 'x-portkey-aws-secret-access-key': 'not-the-secret-XYZ' }) });
    const denied = await wrong.files.create({ file: await toFile(Buffer.from(chatLine('a', 'hi')), 'a.jsonl'), purpose: 'batch' }).catch((e) => e);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.error)).not.toContain('not-the-secret-XYZ');
    expect(JSON.stringify(denied.error)).not.toMatch(/StringToSign|CanonicalRequest/);
  });

  it('refuses a batch without role_arn or with unknown fields, by name', async () => {
    const client = openai();
    const noRole = await client.batches.create({ input_file_id: encodeURIComponent(`s3://${BUCKET}/inputs/run-1.jsonl`), endpoint: '/v1/chat/completions', completion_window: '24h' }).catch((e) => e);
    expect(noRole.status).toBe(400);
    expect(noRole.error.param).toBe('role_arn');
    const unknown = await client.batches.create({ input_file_id: encodeURIComponent(`s3://${BUCKET}/inputs/run-1.jsonl`), endpoint: '/v1/chat/completions', completion_window: '24h', role_arn: ROLE, colour: 'red' } as never).catch((e) => e);
    expect(unknown.status).toBe(400);
    expect(unknown.error.message).toContain('"colour"');
  });

  it('cancels a running job and lists jobs', async () => {
    const client = openai();
    const created = await client.batches.create({ input_file_id: encodeURIComponent(`s3://${BUCKET}/inputs/run-1.jsonl`), endpoint: '/v1/chat/completions', completion_window: '48h', role_arn: ROLE } as never);
    const cancelled = await client.batches.cancel(created.id);
    expect(cancelled.status).toBe('cancelling');
    expect(fake.requests.filter((r) => r.operation === 'StopModelInvocationJob')).toHaveLength(1);
    expect((await client.batches.retrieve(created.id)).status).toBe('cancelled');
    const early = await fetch(`${gw.url}/v1/batches/${encodeURIComponent(created.id)}/output`, { headers: headers() });
    expect(early.status).toBe(404);
    const page = await client.batches.list({ limit: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.data[0]!.id).toBe(created.id);
    expect((page as unknown as { has_more: boolean }).has_more).toBe(true);
  });

  it('writes a log document (and so an analytics row) per operation, as the OpenAI path does, with the credentials left out', async () => {
    const trace = (name: string) => `cloud-log-${name}-${Date.now()}`;
    const ids = { upload: trace('upload'), create: trace('create'), content: trace('content'), denied: trace('denied') };
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([chatLine('log-1', 'hi')]), 'log.jsonl');
    const up = await fetch(`${gw.url}/v1/files`, { method: 'POST', body: form, headers: headers({ 'x-portkey-trace-id': ids.upload, 'x-portkey-aws-s3-object-key': 'logs/in.jsonl', 'x-portkey-metadata': '{"team":"batch"}' }) });
    expect(up.status).toBe(200);
    expect(up.headers.get('x-portkey-trace-id')).toBe(ids.upload);
    const file = await up.json();
    const create = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { ...headers({ 'x-portkey-trace-id': ids.create }), 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', role_arn: ROLE }) });
    expect(create.status).toBe(200);
    const batch = await create.json();
    expect((await fetch(`${gw.url}/v1/files/${file.id}/content`, { headers: headers({ 'x-portkey-trace-id': ids.content }) })).status).toBe(200);
    const denied = await fetch(`${gw.url}/v1/batches`, { headers: headers({ 'x-portkey-trace-id': ids.denied, 'x-portkey-aws-secret-access-key': 'not-the-secret-XYZ' }) });
    expect(denied.status).toBe(403);

    const docs = await eventually(() => {
      const all = readAllLogs(gw).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogDocument);
      const mine = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, all.find((d) => d.trace_id === id)]));
      for (const d of Object.values(mine)) expect(d).toBeDefined();
      return mine as Record<keyof typeof ids, LogDocument>;
    });
    expect(docs.upload).toMatchObject({
      provider: 'bedrock', model: MODEL, metadata: { team: 'batch' },
      request: { method: 'POST', path: '/v1/files', endpoint: 'passthrough', body_truncated: true },
      response: { status: 200, body: { id: file.id, object: 'file', purpose: 'batch' } },
    });
    expect(String(docs.upload.request.body)).toMatch(/^\[batch file upload of \d+ bytes, converted to bedrock records/);
    expect(docs.create).toMatchObject({
      request: { method: 'POST', path: '/v1/batches', body: { input_file_id: file.id, role_arn: ROLE } },
      response: { status: 200, body: { id: batch.id, object: 'batch' } },
    });
    expect(docs.content.response).toMatchObject({ status: 200, body_truncated: true });
    expect(String(docs.content.response.body)).toMatch(/^\[file content/);
    expect(docs.denied).toMatchObject({ response: { status: 403 }, error: { status: 403 } });
    for (const d of Object.values(docs)) {
      expect(Object.keys(d.request.headers)).not.toContain('x-portkey-aws-secret-access-key');
      expect(Object.keys(d.request.headers)).not.toContain('x-portkey-aws-access-key-id');
    }
    expect(readAllLogs(gw)).not.toContain('not-the-secret-XYZ');
    // The analytics row the control plane gets is built from the document.
    expect(analyticsRow(docs.create, { organisation: 'o', config_id: null, prompt_id: null })).toMatchObject({ provider: 'bedrock', model: MODEL, status: 200, endpoint: 'passthrough', trace_id: ids.create });
  });

  it('is chosen by a virtual key of bedrock too, with the key\'s own credentials and bucket', async () => {
    const entities = `virtual_keys:\n  - slug: aws-batch\n    provider: bedrock\n    settings:\n      aws_access_key_id: ${S3RVER_KEY}\n      aws_secret_access_key: ${S3RVER_KEY}\n      aws_region: us-east-1\n      aws_s3_bucket: ${BUCKET}\n`;
    const vkGateway = await startTestGateway({ AWS_ENDPOINT_URL_S3: s3v4.url, AWS_ENDPOINT_URL_BEDROCK: fake.url }, { entities });
    try {
      const client = new OpenAI({ apiKey: 'unused', baseURL: `${vkGateway.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-virtual-key': 'aws-batch', 'x-portkey-aws-s3-object-key': 'vk/in.jsonl', 'x-portkey-aws-bedrock-model': MODEL } });
      const file = await client.files.create({ file: await toFile(Buffer.from(chatLine('vk-1', 'hi')), 'in.jsonl'), purpose: 'batch' });
      expect(decodeURIComponent(file.id)).toBe(`s3://${BUCKET}/vk/in.jsonl`);
      expect(JSON.parse((await objectText('vk/in.jsonl')).trim())).toMatchObject({ recordId: 'vk-1' });
    } finally {
      await vkGateway.close();
    }
  });

  it('uses the gateway\'s own AWS identity only for the operator\'s listed buckets', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = S3RVER_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_KEY;
    clearBedrockCredentialCache();
    // GATEWAY_CLOUD_IDENTITY decides who may use the gateway's identity; BEDROCK_BATCH_S3_BUCKETS, which buckets.
    const own = await startTestGateway({ AWS_ENDPOINT_URL_S3: s3v4.url, AWS_ENDPOINT_URL_BEDROCK: fake.url, BEDROCK_BATCH_S3_BUCKETS: BUCKET, GATEWAY_CLOUD_IDENTITY: 'any' });
    const unlisted = await startTestGateway({ AWS_ENDPOINT_URL_S3: s3v4.url, AWS_ENDPOINT_URL_BEDROCK: fake.url, GATEWAY_CLOUD_IDENTITY: 'any' });
    try {
      const bare = { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-east-1', 'x-portkey-aws-bedrock-model': MODEL };
      const client = (gwUrl: string, extra: Record<string, string>) => new OpenAI({ apiKey: 'unused', baseURL: `${gwUrl}/v1`, maxRetries: 0, defaultHeaders: { ...bare, ...extra } });
      const ok = await client(own.url, { 'x-portkey-aws-s3-bucket': BUCKET, 'x-portkey-aws-s3-object-key': 'own/in.jsonl' }).files.create({ file: await toFile(Buffer.from(chatLine('o', 'hi')), 'in.jsonl'), purpose: 'batch' });
      expect(decodeURIComponent(ok.id)).toBe(`s3://${BUCKET}/own/in.jsonl`);
      // Another bucket (say, the log store's) is refused before any S3 call, for writes and reads alike.
      const other = await client(own.url, { 'x-portkey-aws-s3-bucket': 'portico-logs' }).files.create({ file: await toFile(Buffer.from(chatLine('o', 'hi')), 'in.jsonl'), purpose: 'batch' }).catch((e) => e);
      expect([other.status, other.error.code]).toEqual([403, 'own_identity_not_allowed']);
      const read = await client(own.url, {}).files.content(encodeURIComponent('s3://portico-logs/logs/dt=2026-12-07/x.ndjson.gz')).catch((e) => e);
      expect([read.status, read.error.code]).toEqual([403, 'own_identity_not_allowed']);
      const job = await client(own.url, {}).batches.create({ input_file_id: ok.id, endpoint: '/v1/chat/completions', completion_window: '24h', role_arn: ROLE, output_data_config: { s3OutputDataConfig: { s3Uri: 's3://portico-logs/out/' } } } as never).catch((e) => e);
      expect(job.status).toBe(403);
      // Without a list, the gateway's identity serves no batches at all.
      const none = await client(unlisted.url, { 'x-portkey-aws-s3-bucket': BUCKET }).batches.list().catch((e) => e);
      expect([none.status, none.error.code]).toEqual([403, 'own_identity_not_allowed']);
      // And by default (GATEWAY_CLOUD_IDENTITY=saved) a request without keys may not use it at all.
      const refused = await client(gw.url, { 'x-portkey-aws-s3-bucket': BUCKET }).batches.list().catch((e) => e);
      expect([refused.status, refused.error.code]).toEqual([403, 'gateway_identity_refused']);
    } finally {
      await own.close();
      await unlisted.close();
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      clearBedrockCredentialCache();
    }
  });
});
