import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearEntraTokenCache } from '../../../src/providers/azure-openai/entra.js';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { redirectingDispatcher } from '../../helpers/redirect-dispatcher.js';

/**
 * Entra client credentials for azure-openai and azure-ai: a fake Entra v2.0 token endpoint checks the
 * client-credentials form as Microsoft documents it and issues a token; the upstream fake must see that
 * token as the bearer and no api-key. Tokens are cached: one exchange for several requests.
 */
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT_ID = 'c0ffee00-1111-2222-3333-444455556666';
const SECRET = 'entra~secret.value';

let gw: TestGateway;
let fake: FakeCompat;
let redirect: ReturnType<typeof redirectingDispatcher>;
let entra: Server;
const tokenRequests: Array<{ path: string; form: URLSearchParams }> = [];
let previousAuthority: string | undefined;

beforeAll(async () => {
  entra = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    tokenRequests.push({ path: req.url ?? '', form });
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url !== `/${TENANT}/oauth2/v2.0/token` || req.headers['content-type'] !== 'application/x-www-form-urlencoded') return reply(400, { error: 'invalid_request', error_description: 'AADSTS900144: bad request shape' });
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== CLIENT_ID || !form.get('scope')?.endsWith('/.default')) return reply(400, { error: 'invalid_request', error_description: 'AADSTS90014: missing field' });
    if (form.get('client_secret') !== SECRET) return reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x' });
    reply(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: `eyJ.token-for-${form.get('scope')}` });
  });
  await new Promise<void>((r) => entra.listen(0, '127.0.0.1', r));
  previousAuthority = process.env.AZURE_AUTHORITY_HOST;
  process.env.AZURE_AUTHORITY_HOST = `http://127.0.0.1:${(entra.address() as AddressInfo).port}`;
  fake = await startFakeCompat();
  gw = await startTestGateway();
  redirect = redirectingDispatcher(fake.origin);
  gw.gateway.deps.clients.trusted = redirect.dispatcher;
}, 30_000);
afterAll(async () => {
  if (previousAuthority === undefined) delete process.env.AZURE_AUTHORITY_HOST;
  else process.env.AZURE_AUTHORITY_HOST = previousAuthority;
  await gw?.close();
  await redirect?.close();
  await fake?.close();
  await new Promise<void>((r) => (entra ? entra.close(() => r()) : r()));
});
beforeEach(() => clearEntraTokenCache());

const entraHeaders = (secret = SECRET) => ({
  'x-portkey-azure-auth-mode': 'entra', 'x-portkey-azure-entra-tenant-id': TENANT, 'x-portkey-azure-entra-client-id': CLIENT_ID, 'x-portkey-azure-entra-client-secret': secret,
});
const client = (provider: string, headers: Record<string, string>) =>
  new OpenAI({ apiKey: 'unused-key', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers } });
const chat = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });

describe('Entra client credentials', () => {
  it('azure-openai: the token is the bearer, no api-key, and one exchange serves several requests', async () => {
    const before = tokenRequests.length;
    const c = client('azure-openai', { ...entraHeaders(), 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'gpt4o' });
    await chat(c);
    await chat(c);
    expect(tokenRequests.length - before).toBe(1);
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://myres.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
    expect(up.headers.authorization).toBe('Bearer eyJ.token-for-https://cognitiveservices.azure.com/.default');
    expect(up.headers['api-key']).toBeUndefined();
  });

  it('azure-ai: the same, with the scope from x-portkey-azure-entra-scope', async () => {
    await chat(client('azure-ai', { ...entraHeaders(), 'x-portkey-azure-resource-name': 'found', 'x-portkey-azure-entra-scope': 'https://ml.azure.com/.default' }));
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://found.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview');
    expect(up.headers.authorization).toBe('Bearer eyJ.token-for-https://ml.azure.com/.default');
    expect(up.headers['api-key']).toBeUndefined();
  });

  it("a wrong secret is a 401 with Entra's reason, the secret nowhere in it, and nothing sent upstream", async () => {
    const before = fake.requests.length;
    const err = await chat(client('azure-openai', { ...entraHeaders('wrong-secret-123'), 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd' })).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.error.message).toContain('AADSTS7000215');
    expect(JSON.stringify(err.error)).not.toContain('wrong-secret-123');
    expect(fake.requests.length).toBe(before);
  });

  it('a partial set of credentials is a 400 naming the missing header', async () => {
    const { 'x-portkey-azure-entra-client-id': _drop, ...partial } = entraHeaders();
    const err = await chat(client('azure-openai', { ...partial, 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd' })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('x-portkey-azure-entra-client-id');
  });
});
