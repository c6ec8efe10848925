import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3, type S3Harness } from '@portico/test-support/s3';
import { s3Env } from './helpers/s3.js';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';
import { startFakeTuning, type FakeTuning } from './fakes/tuning.js';

let s3: S3Harness;
let fake: FakeTuning;
let ds: TestService;
let gw: GatewayProcess;

const DATASET = [
  { messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
  { messages: [{ role: 'user', content: 'Hi' }, { role: 'user', content: 'Anyone?' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: '2+2?' }, { role: 'assistant', content: '4' }] },
].map((l) => JSON.stringify(l)).join('\n') + '\n';

const client = () => new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-api-key': 'pk-tuner' } });

beforeAll(async () => {
  s3 = await startS3(['logs', 'finetunes']);
  fake = await startFakeTuning();
  ds = await startTestService({
    ...s3Env(s3, { logs: 'logs', finetunes: 'finetunes' }),
    BEDROCK_ENDPOINT: fake.url, BEDROCK_FINETUNE_ROLE_ARN: 'arn:aws:iam::123456789012:role/bedrock-finetune', VERTEX_ENDPOINT: fake.url, VERTEX_STORAGE_ENDPOINT: fake.url,
  });
  gw = await startGatewayProcess({ DATASERVICE_BASEPATH: ds.url });
  ds.svc.deps.config.GATEWAY_URL = gw.url;
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await ds?.close();
  await fake?.close();
  await s3?.close();
});

async function upload(c: OpenAI, text = DATASET) {
  return c.files.create({ file: await toFile(Buffer.from(text), 'train.jsonl'), purpose: 'fine-tune' });
}

async function untilStatus(c: OpenAI, id: string, status: string) {
  return eventually(async () => {
    const j = await c.fineTuning.jobs.retrieve(id);
    expect(j.status).toBe(status);
    return j;
  }, 10_000, 50);
}

describe('fine-tuning jobs (openai SDK through the gateway)', () => {
  it('OpenAI, native: the file is uploaded for the caller through the gateway, the job followed to success', async () => {
    const c = client();
    const file = await upload(c);
    const job = await c.fineTuning.jobs.create({
      model: 'gpt-4o-mini-2024-07-18', training_file: file.id, hyperparameters: { n_epochs: 2 },
      portkey_options: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fake.url}/v1`, authorization: 'Bearer sk-openai-test' },
    } as never);
    expect(job).toMatchObject({ object: 'fine_tuning.job', model: 'gpt-4o-mini-2024-07-18', training_file: file.id, status: 'validating_files' });
    expect([...fake.openaiFiles.values()]).toContain(DATASET);
    const done = await untilStatus(c, job.id, 'succeeded');
    expect(done.fine_tuned_model).toBe('ft:gpt-4o-mini-2024-07-18:org::abc123');
    const events = await c.fineTuning.jobs.listEvents(job.id);
    expect(events.data.map((e) => e.message)).toContain('Status: succeeded');
    expect((await c.fineTuning.jobs.list()).data.map((j) => j.id)).toContain(job.id);
  });

  it('OpenAI refuses an unknown model: a 400 naming it', async () => {
    const c = client();
    const file = await upload(c);
    await expect(c.fineTuning.jobs.create({ model: 'not-a-model', training_file: file.id, portkey_options: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fake.url}/v1`, authorization: 'Bearer sk-openai-test' } } as never))
      .rejects.toMatchObject({ status: 400, message: expect.stringContaining('not-a-model') });
  });

  it('Bedrock: CreateModelCustomizationJob, signed, with the dataset converted in FINETUNES_BUCKET; cancel stops it', async () => {
    const c = client();
    const file = await upload(c);
    const opts = { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-access-key-id': 'AKIAEXAMPLE1234', 'x-portkey-aws-secret-access-key': 'secret', 'x-portkey-aws-region': 'us-east-1' };
    const job = await c.fineTuning.jobs.create({ model: 'anthropic.claude-3-haiku-20240307-v1:0', training_file: file.id, hyperparameters: { n_epochs: 3 }, portkey_options: opts } as never);
    const created = [...fake.bedrockJobs.values()].find((j) => j.jobName === job.id)!;
    expect(created).toMatchObject({ roleArn: 'arn:aws:iam::123456789012:role/bedrock-finetune', customizationType: 'FINE_TUNING', hyperParameters: { epochCount: '3' } });
    const uri = (created.trainingDataConfig as { s3Uri: string }).s3Uri;
    expect(uri).toBe(`s3://finetunes/finetunes/${job.id}/train.jsonl`);
    const obj = await s3.client.send(new GetObjectCommand({ Bucket: 'finetunes', Key: uri.slice('s3://finetunes/'.length) }));
    const lines = (await obj.Body!.transformToString()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { system: 'You are terse.', messages: [{ role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: 'Paris.' }] },
      { messages: [{ role: 'user', content: 'Hi\n\nAnyone?' }, { role: 'assistant', content: 'Hello.' }, { role: 'user', content: '2+2?' }, { role: 'assistant', content: '4' }] },
    ]);
    const done = await untilStatus(c, job.id, 'succeeded');
    expect(done.fine_tuned_model).toMatch(/^arn:aws:bedrock:.*custom-model/);
    const second = await c.fineTuning.jobs.create({ model: 'anthropic.claude-3-haiku-20240307-v1:0', training_file: file.id, portkey_options: opts } as never);
    expect((await c.fineTuning.jobs.cancel(second.id)).status).toBe('cancelled');
    await expect(c.fineTuning.jobs.cancel(second.id)).rejects.toMatchObject({ status: 409 });
    await expect(c.fineTuning.jobs.create({ model: 'anthropic.claude-3-haiku-20240307-v1:0', training_file: file.id, portkey_options: { 'x-portkey-provider': 'bedrock' } } as never)).rejects.toMatchObject({ status: 400, param: 'portkey_options' });
  });

  it('Vertex AI: the dataset goes to Cloud Storage in Gemini\'s format, the tuning job is followed', async () => {
    const c = client();
    const file = await upload(c);
    const job = await c.fineTuning.jobs.create({
      model: 'gemini-2.0-flash-001', training_file: file.id,
      portkey_options: { 'x-portkey-provider': 'vertex-ai', 'x-portkey-vertex-project-id': 'proj-1', 'x-portkey-vertex-region': 'us-central1', 'x-portkey-vertex-storage-bucket-name': 'tuning-data', authorization: 'Bearer ya29.test-token' },
    } as never);
    const data = fake.gcs.get(`gs://tuning-data/portico-finetunes/${job.id}/train.jsonl`)!;
    expect(data.trim().split('\n').map((l) => JSON.parse(l))[0]).toEqual({
      systemInstruction: { role: 'system', parts: [{ text: 'You are terse.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Capital of France?' }] }, { role: 'model', parts: [{ text: 'Paris.' }] }],
    });
    await untilStatus(c, job.id, 'running');
    const done = await untilStatus(c, job.id, 'succeeded');
    expect(done.fine_tuned_model).toContain('models/123');
  });

  it('bad input: a fine-tune file without an assistant turn is refused at upload, naming the line; unknown fields refused', async () => {
    const c = client();
    const bad = JSON.stringify({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'y' }] }) + '\n' + JSON.stringify({ messages: [{ role: 'user', content: 'only a question' }] }) + '\n';
    await expect(upload(c, bad)).rejects.toMatchObject({ status: 400, message: expect.stringContaining('Line 2') });
    const file = await upload(c);
    await expect(c.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: file.id, colour: 'red' } as never)).rejects.toMatchObject({ status: 400, param: 'colour' });
    await expect(c.fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: file.id } as never)).rejects.toMatchObject({ status: 400, param: 'portkey_options' });
  });
});
