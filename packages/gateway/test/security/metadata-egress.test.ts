/**
 * The one exception to the egress policy (issue #21, Azure managed identity): the metadata service's
 * token endpoint is reachable by the managed identity code path, and by nothing a key holder controls.
 * A fake IMDS stands at AZURE_IMDS_TOKEN_URL (an operator's variable, never a request field) on
 * loopback, while the gateway's policy forbids loopback (CUSTOM_HOST_ALLOW_LOOPBACK=false), exactly as
 * it forbids 169.254.169.254: managed identity still gets its token there, and every attempt to reach
 * the same address through custom_host, a provider's URL settings, a Vertex token_uri or the
 * metadata client itself for another path fails without the fake seeing a request.
 */
import { generateKeyPairSync } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearEntraTokenCache } from '../../src/providers/azure-openai/entra.js';
import { clearVertexTokenCache } from '../../src/providers/vertex-ai/index.js';
import { checkChosenAddress, createEgressPolicy } from '../../src/upstream/egress-policy.js';
import { closeMetadataTokenClient, DEFAULT_IMDS_TOKEN_URL, metadataDispatcher, metadataTokenUrl } from '../../src/upstream/metadata-token-client.js';
import { startFakeCompat, type FakeCompat } from '../fakes/openai-compatible.js';
import { startFakeEntra, type FakeEntra } from '../fakes/entra.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const MI = '5a5a5a5a-2222-4222-8222-000000000000';
let gw: TestGateway;
let fake: FakeCompat;
let entra: FakeEntra;
let savedImds: string | undefined;

beforeAll(async () => {
  entra = await startFakeEntra();
  entra.setManagedIdentities(MI, []);
  savedImds = process.env.AZURE_IMDS_TOKEN_URL;
  process.env.AZURE_IMDS_TOKEN_URL = entra.imdsTokenUrl;
  fake = await startFakeCompat();
  gw = await startTestGateway({ CUSTOM_HOST_ALLOW_LOOPBACK: 'false', VERTEX_TOKEN_URIS: entra.imdsTokenUrl, GATEWAY_CLOUD_IDENTITY: 'any' }, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  if (savedImds === undefined) delete process.env.AZURE_IMDS_TOKEN_URL;
  else process.env.AZURE_IMDS_TOKEN_URL = savedImds;
  await gw?.close();
  await fake?.close();
  await entra?.close();
  await closeMetadataTokenClient();
});
beforeEach(() => {
  clearEntraTokenCache();
  clearVertexTokenCache();
  entra.imdsRequests.length = 0;
});

const chat = (headers: Record<string, string>) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { param?: string; code?: string; message?: string } } }));

describe('the metadata token endpoint is reachable by managed identity alone', () => {
  it('managed identity reaches it (loopback here, though the policy forbids loopback to everything else)', async () => {
    const res = await chat({ 'x-portkey-provider': 'azure-openai', 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'd', 'x-portkey-azure-auth-mode': 'managed' });
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(entra.imdsRequests).toHaveLength(1);
    expect(entra.verifyAccessToken(String(fake.requests.at(-1)!.headers.authorization))).toMatchObject({ ok: true, appid: MI });
  });

  it.each([
    ['custom_host at its origin', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': '{imds}' }, 'custom_host'],
    ['custom_host at its token path', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': '{imds}/metadata/identity/oauth2/token?x=' }, 'custom_host'],
    ['custom_host at 169.254.169.254', { 'x-portkey-provider': 'azure-openai', 'x-portkey-custom-host': 'http://169.254.169.254/metadata/identity/oauth2/token', 'x-portkey-azure-deployment-id': 'd' }, 'custom_host'],
    ['azure-ai foundry URL at 169.254.169.254', { 'x-portkey-provider': 'azure-ai', 'x-portkey-azure-foundry-url': 'http://169.254.169.254/metadata/identity/oauth2/token' }, 'x-portkey-azure-foundry-url'],
    ['azure-ai foundry URL at the fake IMDS', { 'x-portkey-provider': 'azure-ai', 'x-portkey-azure-foundry-url': '{imds}/metadata' }, 'x-portkey-azure-foundry-url'],
    ['a resource name that is an address', { 'x-portkey-provider': 'azure-openai', 'x-portkey-azure-resource-name': '169.254.169.254', 'x-portkey-azure-deployment-id': 'd' }, 'resource_name'],
  ])('%s is refused with a 400 naming the field, and nothing reaches the metadata service', async (_what, headers, param) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('{imds}', entra.imdsOrigin)]));
    const res = await chat(h);
    expect(res.status).toBe(400);
    expect(res.body.error?.param).toBe(param);
    expect(entra.imdsRequests).toHaveLength(0);
  });

  it('a Vertex key file whose token_uri is the metadata endpoint (even one the operator listed) is refused by the egress policy', async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const sa = JSON.stringify({ type: 'service_account', project_id: 'p', private_key_id: 'k', private_key: privateKey, client_email: 'a@p.iam.gserviceaccount.com', token_uri: entra.imdsTokenUrl });
    const res = await chat({ 'x-portkey-provider': 'vertex-ai', 'x-portkey-vertex-project-id': 'p', 'x-portkey-vertex-region': 'us-central1', 'x-portkey-vertex-service-account-json': sa });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('custom_host_forbidden');
    expect(entra.imdsRequests).toHaveLength(0);
  });

  it("the metadata client itself reaches nothing but a GET of the token path on the operator's origin", async () => {
    const d = metadataDispatcher();
    for (const [url, method] of [
      [`${entra.imdsOrigin}/metadata/instance?api-version=2021-02-01`, 'GET'],
      [`${entra.imdsOrigin}/metadata/identity/oauth2/token`, 'POST'],
      [`${fake.origin}/metadata/identity/oauth2/token`, 'GET'],
    ] as const) {
      await expect(request(url, { method, dispatcher: d, headers: { metadata: 'true' } })).rejects.toThrow(/only the managed identity token endpoint/);
    }
    expect(entra.imdsRequests).toHaveLength(0);
  });

  it('by default it is IMDS at 169.254.169.254, which the policy refuses to every other connection', () => {
    expect(metadataTokenUrl({}).href).toBe(DEFAULT_IMDS_TOKEN_URL);
    expect(DEFAULT_IMDS_TOKEN_URL).toBe('http://169.254.169.254/metadata/identity/oauth2/token');
    expect(checkChosenAddress('169.254.169.254', createEgressPolicy(true, ['0.0.0.0/0']))).toMatch(/link-local/);
    expect(() => metadataTokenUrl({ AZURE_IMDS_TOKEN_URL: 'http://169.254.169.254/metadata/instance' })).toThrow(/AZURE_IMDS_TOKEN_URL/);
  });
});
