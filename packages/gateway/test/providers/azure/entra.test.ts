import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearEntraTokenCache } from '../../../src/providers/azure-openai/entra.js';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startFakeEntra, type FakeEntra } from '../../fakes/entra.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { checkAzureBearer } from './azure-front.js';

/**
 * Entra client credentials for azure-openai and azure-ai: a fake Entra v2.0 token endpoint checks the
 * client-credentials form as Microsoft documents it and issues a signed token; the fake Azure checks
 * that token (signature, issuer, audience, expiry) and that no api-key came with it. Tokens are
 * cached: one exchange for several requests.
 */
const CLIENT_ID = 'c0ffee00-1111-2222-3333-444455556666';
const SECRET = 'entra~secret.value';

let gw: TestGateway;
let fake: FakeCompat;
let entra: FakeEntra;
let front: { appids: string[] };
let previousAuthority: string | undefined;

beforeAll(async () => {
  entra = await startFakeEntra();
  entra.addSecretApp(CLIENT_ID, SECRET);
  previousAuthority = process.env.AZURE_AUTHORITY_HOST;
  process.env.AZURE_AUTHORITY_HOST = entra.authority;
  fake = await startFakeCompat();
  front = checkAzureBearer(fake, entra);
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  if (previousAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = previousAuthority;
  await gw?.close();
  await fake?.close();
  await entra?.close();
});
beforeEach(() => clearEntraTokenCache());

const entraHeaders = (secret = SECRET) => ({
  'x-portkey-azure-auth-mode': 'entra', 'x-portkey-azure-entra-tenant-id': entra.tenant, 'x-portkey-azure-entra-client-id': CLIENT_ID, 'x-portkey-azure-entra-client-secret': secret,
});
const client = (provider: string, headers: Record<string, string>) =>
  new OpenAI({ apiKey: 'unused-key', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers } });
const chat = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

describe('Entra client credentials', () => {
  it('azure-openai: the signed token is the bearer Azure accepts, no api-key, and one exchange serves several requests', async () => {
    const before = entra.tokenRequests.length;
    const c = client('azure-openai', { ...entraHeaders(), 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'gpt4o' });
    await chat(c);
    await chat(c);
    expect(entra.tokenRequests.length - before).toBe(1);
    const form = entra.tokenRequests.at(-1)!.form;
    expect(form.get('scope')).toBe('https://cognitiveservices.azure.com/.default');
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://myres.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
    expect(entra.verifyAccessToken(String(up.headers.authorization))).toMatchObject({ ok: true, appid: CLIENT_ID });
    expect(front.appids.at(-1)).toBe(CLIENT_ID);
    expect(up.headers['api-key']).toBeUndefined();
  });

  it('azure-ai: the same, with the scope from x-portkey-azure-entra-scope (the token is for that audience)', async () => {
    await chat(client('azure-ai', { ...entraHeaders(), 'x-portkey-azure-resource-name': 'found', 'x-portkey-azure-entra-scope': 'https://ml.azure.com/.default' })).catch(() => undefined);
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://found.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview');
    expect(entra.verifyAccessToken(String(up.headers.authorization), 'https://ml.azure.com')).toMatchObject({ ok: true, appid: CLIENT_ID });
    expect(up.headers['api-key']).toBeUndefined();
  });

  it("a wrong secret is a 401 with Entra's reason, the secret nowhere in it, and nothing sent upstream", async () => {
    const before = fake.requests.length;
    const err = await chat(client('azure-openai', { ...entraHeaders('wrong-secret-123'), 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd' })).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.error.message).toContain('AADSTS7000215');
    expect(err.error.code).toBe('entra_token_refused');
    expect(JSON.stringify(err.error)).not.toContain('wrong-secret-123');
    expect(fake.requests.length).toBe(before);
  });

  it('a partial set of credentials is a 400 naming the missing header', async () => {
    const { 'x-portkey-azure-entra-client-id': _drop, ...partial } = entraHeaders();
    const err = await chat(client('azure-openai', { ...partial, 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd' })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('x-portkey-azure-entra-client-id');
  });

  it('an unknown auth mode is a 400 naming the header', async () => {
    const err = await chat(client('azure-openai', { 'x-portkey-azure-auth-mode': 'kerberos', 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd' })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('x-portkey-azure-auth-mode');
  });
});
