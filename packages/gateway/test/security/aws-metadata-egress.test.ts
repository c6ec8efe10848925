/**
 * The gateway's own AWS identity comes from the metadata services through one private, route-pinned
 * client (aws-metadata-client.ts), never through the AWS SDK's own node:http requests, and nothing a
 * key holder sends reaches those addresses. A fake metadata server on loopback plays both the ECS
 * container credentials endpoint and EC2's IMDSv2 (session token, role list, role credentials), as AWS
 * documents them; it also serves paths the client must never read (user data, other metadata), and
 * counts every request, so "refused" means it saw nothing.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearBedrockCredentialCache } from '../../src/providers/bedrock/index.js';
import { awsMetadataDispatcher, awsMetadataEndpoints, closeAwsMetadataClient, ECS_CONTAINER_ORIGIN, IMDS_IPV6_ORIGIN, IMDS_ORIGIN } from '../../src/upstream/aws-metadata-client.js';
import { gatewayAwsCredentials } from '../../src/upstream/aws-identity.js';
import { checkChosenAddress, createEgressPolicy } from '../../src/upstream/egress-policy.js';
import { startFakeCompat, type FakeCompat } from '../fakes/openai-compatible.js';
import { isolateAwsCredentialChain } from '../helpers/aws-env.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const TASK_KEY_ID = 'ASIATASKROLE00000077';
const INSTANCE_KEY_ID = 'ASIAINSTANCE00000077';
const CONTAINER_TOKEN = 'container-auth-token-77';
const ROLE = 'portico-instance-role';
const SESSION = 'imds-session-token-77';

interface Hit { method: string; url: string; headers: http.IncomingHttpHeaders }
let meta: http.Server;
let metaOrigin: string;
const hits: Hit[] = [];
let tmp: string;

const creds = (id: string) => ({ Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: id, SecretAccessKey: `${id}/secret0000000000000000000000`, Token: `${id}-TOKEN`, Expiration: new Date(Date.now() + 3_600_000).toISOString() });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aws-metadata-'));
  isolateAwsCredentialChain(tmp);
  meta = http.createServer((req, res) => {
    hits.push({ method: req.method!, url: req.url!, headers: req.headers });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    // ECS: GET of the task's relative URI, with the authorization token when the environment names one.
    if (req.method === 'GET' && req.url === '/v2/credentials/task-77') {
      return req.headers.authorization === CONTAINER_TOKEN ? json(200, creds(TASK_KEY_ID)) : json(401, { message: 'unauthorized' });
    }
    // IMDSv2: a session token by PUT, then every GET carries it.
    if (req.url === '/latest/api/token') {
      if (req.method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return json(400, 'bad token request');
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(SESSION);
    }
    if (req.method === 'GET' && req.url!.startsWith('/latest/')) {
      if (req.headers['x-aws-ec2-metadata-token'] !== SESSION) return json(401, 'missing session token');
      if (req.url === '/latest/meta-data/iam/security-credentials/') return json(200, ROLE);
      if (req.url === `/latest/meta-data/iam/security-credentials/${ROLE}`) return json(200, creds(INSTANCE_KEY_ID));
      return json(200, 'secret user data #!/bin/bash export DB_PASSWORD=hunter2');
    }
    json(404, 'not found');
  });
  await new Promise<void>((r) => meta.listen(0, '127.0.0.1', r));
  metaOrigin = `http://127.0.0.1:${(meta.address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  await closeAwsMetadataClient();
  await new Promise<void>((r) => meta.close(() => r()));
  fs.rmSync(tmp, { recursive: true, force: true });
  delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  delete process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
});
beforeEach(() => {
  hits.length = 0;
  clearBedrockCredentialCache();
});

const isolated = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, 'none'), AWS_CONFIG_FILE: path.join(tmp, 'none'), AWS_EC2_METADATA_DISABLED: 'true', ...extra,
});

describe('where the gateway may look for its own AWS identity (the operator\'s environment only)', () => {
  it('ECS relative URI → 169.254.170.2; full URIs only over https, or http to the ECS / EKS address or loopback', () => {
    expect(awsMetadataEndpoints({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' }).container?.url.href).toBe(`${ECS_CONTAINER_ORIGIN}/v2/credentials/abc`);
    expect(() => awsMetadataEndpoints({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '//evil.example/x' })).toThrow(/RELATIVE_URI/);
    for (const ok of ['http://169.254.170.23/v1/credentials', 'http://[fd00:ec2::23]/v1/credentials', 'http://127.0.0.1:9/x', 'https://creds.internal.example/x']) {
      expect(awsMetadataEndpoints({ AWS_CONTAINER_CREDENTIALS_FULL_URI: ok }).container?.url.href).toBe(new URL(ok).href);
    }
    for (const bad of ['http://evil.example/creds', 'http://10.0.0.5/creds', 'https://user:pw@creds.example/x', 'file:///etc/passwd', 'not a url']) {
      expect(() => awsMetadataEndpoints({ AWS_CONTAINER_CREDENTIALS_FULL_URI: bad }), bad).toThrow(/FULL_URI/);
    }
    expect(awsMetadataEndpoints({}).imds?.origin).toBe(IMDS_ORIGIN);
    expect(awsMetadataEndpoints({ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6' }).imds?.origin).toBe(IMDS_IPV6_ORIGIN);
    expect(awsMetadataEndpoints({ AWS_EC2_METADATA_DISABLED: 'true' }).imds).toBeUndefined();
    expect(() => awsMetadataEndpoints({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://169.254.169.254/latest/user-data' })).toThrow(/METADATA_SERVICE_ENDPOINT/);
  });

  it('reads the container endpoint with its authorization token', async () => {
    const c = await gatewayAwsCredentials(isolated({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${metaOrigin}/v2/credentials/task-77`, AWS_CONTAINER_AUTHORIZATION_TOKEN: CONTAINER_TOKEN }));
    expect(c).toMatchObject({ accessKeyId: TASK_KEY_ID, sessionToken: `${TASK_KEY_ID}-TOKEN` });
    expect(c.expiration).toBeInstanceOf(Date);
    expect(hits.map((h) => `${h.method} ${h.url}`)).toEqual(['GET /v2/credentials/task-77']);
  });

  it('reads the instance profile from IMDS with a v2 session token, and nothing else there', async () => {
    const c = await gatewayAwsCredentials(isolated({ AWS_EC2_METADATA_DISABLED: 'false', AWS_EC2_METADATA_SERVICE_ENDPOINT: metaOrigin }));
    expect(c.accessKeyId).toBe(INSTANCE_KEY_ID);
    expect(hits.map((h) => `${h.method} ${h.url}`)).toEqual(['PUT /latest/api/token', 'GET /latest/meta-data/iam/security-credentials/', `GET /latest/meta-data/iam/security-credentials/${ROLE}`]);
  });

  it('says every source it tried when none has an identity', async () => {
    await expect(gatewayAwsCredentials(isolated({}))).rejects.toThrow(/no AWS identity found \(shared config files: /);
  });

  it('its dispatcher refuses every other path, method and origin before a byte is sent', async () => {
    const e = awsMetadataEndpoints({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${metaOrigin}/v2/credentials/task-77`, AWS_EC2_METADATA_SERVICE_ENDPOINT: metaOrigin });
    const d = awsMetadataDispatcher(e);
    for (const [url, method] of [
      [`${metaOrigin}/latest/user-data`, 'GET'],
      [`${metaOrigin}/latest/meta-data/`, 'GET'],
      [`${metaOrigin}/latest/meta-data/iam/security-credentials/${ROLE}/../../../user-data`, 'GET'],
      [`${metaOrigin}/latest/meta-data/iam/security-credentials/${ROLE}?x=1`, 'GET'],
      [`${metaOrigin}/v2/credentials/task-77`, 'POST'],
      [`${metaOrigin}/v2/credentials/other`, 'GET'],
      [`http://127.0.0.2:${new URL(metaOrigin).port}/latest/api/token`, 'PUT'],
    ] as const) {
      await expect(request(url, { method, dispatcher: d }), `${method} ${url}`).rejects.toThrow(/reaches only the container credentials and instance credentials endpoints/);
    }
    expect(hits).toHaveLength(0);
  });
});

describe('through the gateway', () => {
  let gw: TestGateway;
  let fake: FakeCompat;
  beforeAll(async () => {
    process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `${metaOrigin}/v2/credentials/task-77`;
    process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = CONTAINER_TOKEN;
    fake = await startFakeCompat();
    fake.route('/converse', (req) => {
      const signer = /Credential=([A-Z0-9]+)\//.exec(String(req.headers.authorization))?.[1];
      return { status: 200, body: { output: { message: { role: 'assistant', content: [{ text: `signed by ${signer}` }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 3, totalTokens: 6 } } };
    });
    // Loopback is forbidden to every destination a caller names, as 169.254.0.0/16 always is.
    gw = await startTestGateway({ CUSTOM_HOST_ALLOW_LOOPBACK: 'false', GATEWAY_CLOUD_IDENTITY: 'any' }, { redirectTrustedTo: fake.origin });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.close();
  });

  const chat = (headers: Record<string, string>) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers },
      body: JSON.stringify({ model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { param?: string }; choices?: Array<{ message: { content: string } }> } }));

  it("the operator's identity is fetched from the container endpoint and signs the call", async () => {
    const res = await new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-east-1' } })
      .chat.completions.create({ model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toBe(`signed by ${TASK_KEY_ID}`);
    expect(hits.map((h) => `${h.method} ${h.url}`)).toEqual(['GET /v2/credentials/task-77']);
  });

  it.each([
    ['custom_host at the credentials endpoint', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': '{meta}/v2/credentials/task-77' }],
    ['custom_host at IMDS through the same server', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': '{meta}/latest/meta-data/iam/security-credentials/' }],
    ['custom_host at 169.254.170.2', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': 'http://169.254.170.2/v2/credentials/task-77' }],
    ['custom_host at EKS Pod Identity (169.254.170.23)', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': 'http://169.254.170.23/v1/credentials' }],
    ['custom_host at EKS Pod Identity over IPv6', { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': 'http://[fd00:ec2::23]/v1/credentials' }],
    ['bedrock custom_host at IMDS', { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-east-1', 'x-portkey-custom-host': 'http://169.254.169.254/latest/meta-data/' }],
  ])('%s is refused with a 400, and nothing reaches the metadata server', async (_what, headers) => {
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('{meta}', metaOrigin)]));
    const res = await chat(h);
    expect(res.status).toBe(400);
    expect(res.body.error?.param).toBe('custom_host');
    expect(hits).toHaveLength(0);
  });

  it('the ECS and EKS credential addresses are never reachable, whatever CIDRs the operator allows', () => {
    const open = createEgressPolicy(true, ['0.0.0.0/0', '::/0', 'fd00::/8']);
    for (const address of ['169.254.170.2', '169.254.170.23', '169.254.169.254', 'fd00:ec2::23', 'fd00:ec2::254', '::ffff:169.254.170.2']) {
      expect(checkChosenAddress(address, open), address).toBeDefined();
    }
    expect(checkChosenAddress('fd00:ec2::24', open)).toBeUndefined();
  });
});
