import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

/**
 * Fireworks' account API (datasets, fine-tuning and batch jobs) sits under
 * https://api.fireworks.ai/v1/accounts/{account_id}, beside the OpenAI-compatible inference API; the
 * account comes from Portkey's x-portkey-fireworks-account-id. Chat stays on /inference/v1.
 */
let gw: TestGateway;
let fake: FakeCompat;

beforeAll(async () => {
  fake = await startFakeCompat();
  fake.route('/datasets', (req) => (req.url.startsWith('https://api.fireworks.ai/v1/accounts/') ? { status: 200, body: { name: `accounts/my-acct/datasets/${req.body.datasetId}`, state: 'UPLOADING' } } : undefined));
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const call = (path: string, headers: Record<string, string>, body?: object) =>
  fetch(`${gw.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', authorization: 'Bearer fw-key-0001', 'x-portkey-provider': 'fireworks-ai', ...headers },
    body: body && JSON.stringify(body),
  });

describe('fireworks-ai account API', () => {
  it('datasets go to /v1/accounts/{x-portkey-fireworks-account-id}/datasets with the key', async () => {
    const res = await call('/v1/datasets', { 'x-portkey-fireworks-account-id': 'my-acct' }, { datasetId: 'ds-1', dataset: { userUploaded: {} } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'accounts/my-acct/datasets/ds-1', state: 'UPLOADING' });
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://api.fireworks.ai/v1/accounts/my-acct/datasets');
    expect(up.headers.authorization).toBe('Bearer fw-key-0001');
  });

  it('job paths and their actions keep the rest of the path and the query', async () => {
    await call('/v1/supervisedFineTuningJobs/job-9?pageSize=5', { 'x-portkey-fireworks-account-id': 'my-acct' });
    expect(fake.requests.at(-1)!.url).toBe('https://api.fireworks.ai/v1/accounts/my-acct/supervisedFineTuningJobs/job-9?pageSize=5');
    await call('/v1/datasets/ds-1:getUploadEndpoint', { 'x-portkey-fireworks-account-id': 'my-acct' }, { filenameToSize: { 'a.jsonl': 10 } });
    expect(fake.requests.at(-1)!.url).toBe('https://api.fireworks.ai/v1/accounts/my-acct/datasets/ds-1:getUploadEndpoint');
  });

  it('chat stays on the inference API', async () => {
    await call('/v1/chat/completions', { 'x-portkey-fireworks-account-id': 'my-acct' }, { model: 'accounts/fireworks/models/llama-v3p1-8b-instruct', messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.requests.at(-1)!.url).toBe('https://api.fireworks.ai/inference/v1/chat/completions');
  });

  it.each([
    [{}, 'missing_parameter'],
    [{ 'x-portkey-fireworks-account-id': 'acct/../../other' }, 'invalid_value'],
  ])('without a usable account id (%j) it is a 400 naming the header, nothing sent', async (headers, code) => {
    const before = fake.requests.length;
    const res = await call('/v1/datasets', headers, { datasetId: 'x' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param: string; code: string } };
    expect(body.error).toMatchObject({ param: 'x-portkey-fireworks-account-id', code });
    expect(fake.requests.length).toBe(before);
  });
});
