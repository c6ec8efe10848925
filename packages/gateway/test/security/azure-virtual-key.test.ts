/**
 * A saved Azure credential stays with what was saved with it (issue #21 with #24's rule): a key holder
 * naming an azure-ai virtual key cannot point its api-key at another Foundry URL, nor switch a saved
 * Entra identity to the gateway's own managed or workload identity or to another scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type FakeCompat } from '../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const SECRET = 'azure-ai-saved-key-0123456789';
let gw: TestGateway;
let fake: FakeCompat;

beforeAll(async () => {
  process.env.SEC_AZURE_AI_KEY = SECRET;
  fake = await startFakeCompat();
  gw = await startTestGateway({}, {
    entities: `virtual_keys:
  - slug: foundry-team
    provider: azure-ai
    api_key: \${SEC_AZURE_AI_KEY}
    settings: { azure_foundry_url: "https://team-a.services.ai.azure.com/models" }
  - slug: foundry-entra
    provider: azure-ai
    settings: { azure_foundry_url: "https://team-a.services.ai.azure.com/models", azure_auth_mode: entra, azure_entra_tenant_id: contoso.onmicrosoft.com, azure_entra_client_id: c0ffee00-1111-2222-3333-444455556666, azure_entra_client_secret: s }
`,
    redirectTrustedTo: fake.origin,
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const chat = (headers: Record<string, string>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { param?: string; code?: string } } }));

describe('azure virtual keys keep their saved routing and identity', () => {
  it('the saved foundry URL is used', async () => {
    const r = await chat({ 'x-portkey-virtual-key': 'foundry-team' });
    expect(r.status).toBe(200);
    expect(fake.requests.at(-1)!.url).toBe('https://team-a.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview');
    expect(fake.requests.at(-1)!.headers['api-key']).toBe(SECRET);
  });

  it.each([
    ['foundry-team', { 'x-portkey-azure-foundry-url': 'https://attacker.services.ai.azure.com/models' }, 'azure_foundry_url'],
    ['foundry-entra', { 'x-portkey-azure-auth-mode': 'managed' }, 'azure_auth_mode'],
    ['foundry-entra', { 'x-portkey-azure-entra-scope': 'https://management.azure.com/.default' }, 'azure_entra_scope'],
    ['foundry-team', { 'x-portkey-azure-managed-client-id': '5a5a5a5a-2222-4222-8222-000000000001' }, 'azure_managed_client_id'],
  ])('%s with %j is a 400 naming %s; nothing sent', async (vk, headers, param) => {
    const before = fake.requests.length;
    const r = await chat({ 'x-portkey-virtual-key': vk, ...headers });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param, code: 'virtual_key_override_forbidden' });
    expect(fake.requests.length).toBe(before);
  });
});
