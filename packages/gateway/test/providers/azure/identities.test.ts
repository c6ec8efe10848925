import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearEntraTokenCache } from '../../../src/providers/azure-openai/entra.js';
import { closeMetadataTokenClient } from '../../../src/upstream/metadata-token-client.js';
import { startFakeCompat, type FakeCompat } from '../../fakes/openai-compatible.js';
import { createFederatedIssuer, startFakeEntra, type FakeEntra } from '../../fakes/entra.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { checkAzureBearer } from './azure-front.js';

/**
 * The gateway's own Azure identities, for azure-openai and azure-ai:
 * - workload identity (AKS): the projected service account token in AZURE_FEDERATED_TOKEN_FILE is the
 *   client_assertion of a client-credentials grant; the fake Entra verifies it against the app's
 *   federated credential and issues a signed token;
 * - managed identity: a GET to the metadata service's token endpoint (AZURE_IMDS_TOKEN_URL points at a
 *   fake IMDS here) with Metadata: true; user-assigned identities by x-portkey-azure-managed-client-id.
 * The fake Azure front door checks every token it is sent.
 */
const WORKLOAD_APP = '0a0a0a0a-1111-4111-8111-000000000001';
const OTHER_WORKLOAD_APP = '0a0a0a0a-1111-4111-8111-000000000002';
const SYSTEM_MI = '5a5a5a5a-2222-4222-8222-000000000000';
const USER_MI = '5a5a5a5a-2222-4222-8222-000000000001';
const SUBJECT = 'system:serviceaccount:portico:gateway';
const ENV = ['AZURE_AUTHORITY_HOST', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_IMDS_TOKEN_URL'] as const;

let gw: TestGateway;
let fake: FakeCompat;
let entra: FakeEntra;
let front: { appids: string[] };
let dir: string;
const saved: Record<string, string | undefined> = {};
const issuer = createFederatedIssuer('https://oidc.prod-aks.azure.test/tenant/cluster/');

beforeAll(async () => {
  for (const k of ENV) saved[k] = process.env[k];
  entra = await startFakeEntra();
  entra.addFederatedApp(WORKLOAD_APP, issuer, SUBJECT);
  entra.addFederatedApp(OTHER_WORKLOAD_APP, issuer, SUBJECT);
  entra.setManagedIdentities(SYSTEM_MI, [USER_MI]);
  dir = mkdtempSync(join(tmpdir(), 'portico-wi-'));
  writeFileSync(join(dir, 'token'), issuer.token(SUBJECT));
  Object.assign(process.env, {
    AZURE_AUTHORITY_HOST: entra.authority, AZURE_TENANT_ID: entra.tenant, AZURE_CLIENT_ID: WORKLOAD_APP,
    AZURE_FEDERATED_TOKEN_FILE: join(dir, 'token'), AZURE_IMDS_TOKEN_URL: entra.imdsTokenUrl,
  });
  fake = await startFakeCompat();
  front = checkAzureBearer(fake, entra);
  // Requests name the identity in headers here: the gateway lends its own to every key holder.
  gw = await startTestGateway({ GATEWAY_CLOUD_IDENTITY: 'any' }, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  for (const k of ENV) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
  await gw?.close();
  await fake?.close();
  await entra?.close();
  await closeMetadataTokenClient();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => clearEntraTokenCache());

const client = (provider: string, headers: Record<string, string>) =>
  new OpenAI({ apiKey: 'no-key-needed', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers } });
const chat = (c: OpenAI) => c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
const azureOpenAI = { 'x-portkey-azure-resource-name': 'myres', 'x-portkey-azure-deployment-id': 'gpt4o' };

describe('workload identity', () => {
  it('exchanges the federated token (client_assertion) for a token Azure accepts; one exchange for several requests', async () => {
    const before = entra.tokenRequests.length;
    const c = client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'workload' });
    await chat(c);
    await chat(c);
    expect(entra.tokenRequests.length - before).toBe(1);
    const { path, form } = entra.tokenRequests.at(-1)!;
    expect(path).toBe(`/${entra.tenant}/oauth2/v2.0/token`);
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_id')).toBe(WORKLOAD_APP);
    expect(form.has('client_secret')).toBe(false);
    const up = fake.requests.at(-1)!;
    expect(entra.verifyAccessToken(String(up.headers.authorization))).toMatchObject({ ok: true, appid: WORKLOAD_APP });
    expect(up.headers['api-key']).toBeUndefined();
    expect(front.appids.at(-1)).toBe(WORKLOAD_APP);
  });

  it('x-portkey-azure-workload-client-id picks another federated app; azure-ai too', async () => {
    await chat(client('azure-ai', { 'x-portkey-azure-resource-name': 'found', 'x-portkey-azure-auth-mode': 'workload', 'x-portkey-azure-workload-client-id': OTHER_WORKLOAD_APP }));
    expect(fake.requests.at(-1)!.url).toBe('https://found.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview');
    expect(front.appids.at(-1)).toBe(OTHER_WORKLOAD_APP);
  });

  it('reads the token file again on the next exchange (the kubelet rotates it): a stale one is refused by Entra, a 401', async () => {
    const file = process.env.AZURE_FEDERATED_TOKEN_FILE!;
    writeFileSync(file, createFederatedIssuer('https://evil.example/').token(SUBJECT));
    try {
      const err = await chat(client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'workload' })).catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.error.message).toContain('AADSTS700027');
    } finally {
      writeFileSync(file, issuer.token(SUBJECT));
    }
  });

  it('without the platform variables it is a 400 saying which are missing', async () => {
    const tenant = process.env.AZURE_TENANT_ID;
    delete process.env.AZURE_TENANT_ID;
    try {
      const err = await chat(client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'workload' })).catch((e) => e);
      expect(err.status).toBe(400);
      expect(err.error.message).toContain('AZURE_TENANT_ID');
    } finally {
      process.env.AZURE_TENANT_ID = tenant;
    }
  });
});

describe('managed identity', () => {
  it('system-assigned: a GET to the metadata token endpoint with Metadata: true; the token is the bearer', async () => {
    const before = entra.imdsRequests.length;
    const c = client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'managed' });
    await chat(c);
    await chat(c);
    expect(entra.imdsRequests.length - before).toBe(1);
    const imds = entra.imdsRequests.at(-1)!;
    expect(imds.headers.metadata).toBe('true');
    expect(imds.query.get('api-version')).toBe('2018-02-01');
    expect(imds.query.get('resource')).toBe('https://cognitiveservices.azure.com');
    expect(imds.query.has('client_id')).toBe(false);
    expect(front.appids.at(-1)).toBe(SYSTEM_MI);
    expect(fake.requests.at(-1)!.headers['api-key']).toBeUndefined();
  });

  it('user-assigned by x-portkey-azure-managed-client-id, for azure-ai', async () => {
    await chat(client('azure-ai', { 'x-portkey-azure-resource-name': 'found', 'x-portkey-azure-auth-mode': 'managed', 'x-portkey-azure-managed-client-id': USER_MI }));
    expect(entra.imdsRequests.at(-1)!.query.get('client_id')).toBe(USER_MI);
    expect(front.appids.at(-1)).toBe(USER_MI);
  });

  it('an identity the instance does not have is a 401 naming IMDS\'s reason, nothing sent upstream', async () => {
    const before = fake.requests.length;
    const err = await chat(client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'managed', 'x-portkey-azure-managed-client-id': '00000000-0000-4000-8000-000000000000' })).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.error.message).toContain('Identity not found');
    expect(fake.requests.length).toBe(before);
  });

  it.each([
    [{ 'x-portkey-azure-managed-client-id': 'x&resource=https://management.azure.com' }, 'x-portkey-azure-managed-client-id'],
    [{ 'x-portkey-azure-entra-scope': 'https://management.azure.com/.default' }, 'x-portkey-azure-entra-scope'],
  ])('the gateway\'s identity is not for any host or scope: %j → 400 naming %s, no token fetched', async (extra, param) => {
    const before = entra.imdsRequests.length;
    const err = await chat(client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'managed', ...extra })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe(param);
    expect(entra.imdsRequests.length).toBe(before);
  });

  it('never goes to a custom_host, even one the egress policy allows: the token is the gateway\'s, not the caller\'s', async () => {
    const before = { imds: entra.imdsRequests.length, up: fake.requests.length };
    const err = await chat(client('azure-openai', { ...azureOpenAI, 'x-portkey-azure-auth-mode': 'managed', 'x-portkey-custom-host': `${fake.origin}/openai` })).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('custom_host');
    expect(err.error.message).toContain('managed identity');
    expect(entra.imdsRequests.length).toBe(before.imds);
    expect(fake.requests.length).toBe(before.up);
  });
});

describe('GATEWAY_CLOUD_IDENTITY (default saved): the gateway lends its Azure identity to saved credentials only', () => {
  let saved: TestGateway;
  beforeAll(async () => {
    saved = await startTestGateway({}, {
      entities: `virtual_keys:
  - slug: azure-managed
    provider: azure-openai
    settings: { resource_name: myres, deployment_id: gpt4o, azure_auth_mode: managed }
`,
      redirectTrustedTo: fake.origin,
    });
  }, 30_000);
  afterAll(() => saved?.close());

  it('a request naming managed identity in its headers is a 403 before any token is fetched', async () => {
    const before = entra.imdsRequests.length;
    const c = new OpenAI({ apiKey: 'x', baseURL: `${saved.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'azure-openai', ...azureOpenAI, 'x-portkey-azure-auth-mode': 'managed' } });
    const err = await chat(c).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error.code).toBe('gateway_identity_refused');
    expect(entra.imdsRequests.length).toBe(before);
  });

  it("the operator's virtual key with managed identity is served with the host's token", async () => {
    const c = new OpenAI({ apiKey: 'x', baseURL: `${saved.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-virtual-key': 'azure-managed' } });
    await chat(c);
    expect(front.appids.at(-1)).toBe(SYSTEM_MI);
  });
});
