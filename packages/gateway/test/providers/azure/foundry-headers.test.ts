import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../../helpers/gateway.js';

/**
 * Portkey's Azure headers beyond auth: x-portkey-azure-foundry-url (azure-ai's whole base URL, on
 * Azure's hosts only), x-portkey-azure-extra-params (Foundry's extra-parameters header, "drop" unless
 * set), x-portkey-azure-deployment-name (azureml-model-deployment) and x-portkey-azure-model-name
 * (azure-openai: the deployment's model, which is what the log records and prices).
 */
let gw: TestGateway;
let fake: FakeCompat;

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const client = (provider: string, headers: Record<string, string>) =>
  new OpenAI({ apiKey: 'azure-key-0001', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers } });
const chat = (c: OpenAI) => c.chat.completions.create({ model: 'Meta-Llama-3.1-70B-Instruct', messages: [{ role: 'user', content: 'hi' }] });

describe('azure-ai (Foundry) headers', () => {
  it('the foundry URL is the base; extra-parameters is drop unless set; the deployment name is azureml-model-deployment', async () => {
    await chat(client('azure-ai', { 'x-portkey-azure-foundry-url': 'https://my-project.services.ai.azure.com/models' }));
    let up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://my-project.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview');
    expect(up.headers['extra-parameters']).toBe('drop');
    expect(up.headers['azureml-model-deployment']).toBeUndefined();
    expect(up.headers['api-key']).toBe('azure-key-0001');

    await chat(client('azure-ai', { 'x-portkey-azure-foundry-url': 'https://my-project.services.ai.azure.com/models', 'x-portkey-azure-extra-params': 'pass-through', 'x-portkey-azure-deployment-name': 'llama-blue', 'x-portkey-azure-api-version': '2024-10-01-preview' }));
    up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://my-project.services.ai.azure.com/models/chat/completions?api-version=2024-10-01-preview');
    expect(up.headers['extra-parameters']).toBe('pass-through');
    expect(up.headers['azureml-model-deployment']).toBe('llama-blue');
  });

  it.each([
    [{ 'x-portkey-azure-extra-params': 'keep' }, 'x-portkey-azure-extra-params'],
    [{ 'x-portkey-azure-deployment-name': 'a b\tc' }, 'x-portkey-azure-deployment-name'],
    [{ 'x-portkey-azure-foundry-url': 'https://attacker.example/models' }, 'x-portkey-azure-foundry-url'],
    [{ 'x-portkey-azure-foundry-url': 'http://my-project.services.ai.azure.com/models' }, 'x-portkey-azure-foundry-url'],
  ])('%j is a 400 naming %s, nothing sent', async (headers, param) => {
    const before = fake.requests.length;
    const err = await chat(client('azure-ai', { 'x-portkey-azure-foundry-url': 'https://my-project.services.ai.azure.com/models', ...headers })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe(param);
    expect(fake.requests.length).toBe(before);
  });
});

describe('azure-openai x-portkey-azure-model-name', () => {
  it('names the model behind the deployment in the log document', async () => {
    const trace = `azure-model-name-${Date.now()}`;
    await chat(client('azure-openai', { 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'prod-chat', 'x-portkey-azure-model-name': 'gpt-4o-2024-08-06', 'x-portkey-trace-id': trace }));
    expect(fake.requests.at(-1)!.url).toBe('https://myres.openai.azure.com/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21');
    const doc = await eventually(() => {
      const line = readAllLogs(gw).split('\n').find((l) => l.includes(trace));
      if (!line) throw new Error('not written yet');
      return JSON.parse(line) as { model: string; provider: string };
    }, 5000);
    expect(doc).toMatchObject({ provider: 'azure-openai', model: 'gpt-4o-2024-08-06' });
  });
});
