/**
 * GATEWAY_CLOUD_IDENTITY: the gateway's own AWS identity (the default chain; on ECS, the task role) signs
 * Bedrock requests that carry no keys only for what the operator saved (a virtual key, the operator's
 * config), unless the operator lends it to every key holder (any) or to nobody (off). The default chain
 * is a real container credentials endpoint on loopback, as on ECS; the fake Bedrock records whose key
 * signed each call.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearBedrockCredentialCache } from '../../src/providers/bedrock/index.js';
import { startFakeCompat, type FakeCompat } from '../fakes/openai-compatible.js';
import { isolateAwsCredentialChain } from '../helpers/aws-env.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const TASK_KEY_ID = 'ASIATASKROLE00000042';
const CALLER_KEY_ID = 'AKIACALLER0000000042';
let container: http.Server;
let containerHits = 0;
let fake: FakeCompat;
let tmp: string;
const gateways: TestGateway[] = [];

const ENTITIES = `virtual_keys:
  - slug: bedrock-team
    provider: bedrock
    settings: { aws_region: us-east-1 }
`;

async function gateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const gw = await startTestGateway(env, { entities: ENTITIES, redirectTrustedTo: fake.origin });
  gateways.push(gw);
  return gw;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-identity-'));
  isolateAwsCredentialChain(tmp);
  container = http.createServer((req, res) => {
    containerHits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ AccessKeyId: TASK_KEY_ID, SecretAccessKey: 'taskSecret/0000000000000000000000000000', Token: 'TASKTOKEN', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
  });
  await new Promise<void>((r) => container.listen(0, '127.0.0.1', r));
  process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${(container.address() as AddressInfo).port}/v2/credentials/task`;
  fake = await startFakeCompat();
  fake.route('/converse', (req) => {
    const signer = /Credential=([A-Z0-9]+)\//.exec(String(req.headers.authorization))?.[1];
    if (!signer) return { status: 403, body: { message: 'Missing Authentication Token' } };
    return { status: 200, body: { output: { message: { role: 'assistant', content: [{ text: `signed by ${signer}` }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 3, totalTokens: 6 } } };
  });
}, 30_000);

afterAll(async () => {
  for (const gw of gateways) await gw.close();
  await fake?.close();
  await new Promise<void>((r) => container.close(() => r()));
  fs.rmSync(tmp, { recursive: true, force: true });
  delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
});

beforeEach(() => {
  clearBedrockCredentialCache();
  containerHits = 0;
});

const ask = (gw: TestGateway, headers: Record<string, string>) =>
  new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers })
    .chat.completions.create({ model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'hi' }] });

const byHeaders = { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-east-1' };

describe('GATEWAY_CLOUD_IDENTITY=saved (the default)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await gateway();
  });

  it('a request naming bedrock with no keys is refused, and the task role is never fetched', async () => {
    const err = await ask(gw, byHeaders).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error.code).toBe('gateway_identity_refused');
    expect(err.error.message).toContain('x-portkey-aws-access-key-id');
    expect(containerHits).toBe(0);
  });

  it("nor may a caller assume a role with the gateway's identity", async () => {
    const err = await ask(gw, { ...byHeaders, 'x-portkey-aws-role-arn': 'arn:aws:iam::123456789012:role/Admin' }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error.param).toBe('aws_role_arn');
    expect(containerHits).toBe(0);
  });

  it("the caller's own keys still work", async () => {
    const res = await ask(gw, { ...byHeaders, 'x-portkey-aws-access-key-id': CALLER_KEY_ID, 'x-portkey-aws-secret-access-key': 'callerSecret/000000000000000000000000000' });
    expect(res.choices[0].message.content).toBe(`signed by ${CALLER_KEY_ID}`);
  });

  it("a virtual key the operator saved without keys is signed with the gateway's identity", async () => {
    const res = await ask(gw, { 'x-portkey-virtual-key': 'bedrock-team' });
    expect(res.choices[0].message.content).toBe(`signed by ${TASK_KEY_ID}`);
    expect(containerHits).toBe(1);
  });
});

describe('GATEWAY_CLOUD_IDENTITY=any and off', () => {
  it("any: every key holder may use the gateway's identity (Portkey's behaviour)", async () => {
    const gw = await gateway({ GATEWAY_CLOUD_IDENTITY: 'any' });
    const res = await ask(gw, byHeaders);
    expect(res.choices[0].message.content).toBe(`signed by ${TASK_KEY_ID}`);
  });

  it('off: not even a saved virtual key', async () => {
    const gw = await gateway({ GATEWAY_CLOUD_IDENTITY: 'off' });
    const err = await ask(gw, { 'x-portkey-virtual-key': 'bedrock-team' }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error.code).toBe('gateway_identity_refused');
    expect(containerHits).toBe(0);
  });

  it('an unknown value is refused at start', async () => {
    await expect(startTestGateway({ GATEWAY_CLOUD_IDENTITY: 'sometimes' })).rejects.toThrow(/GATEWAY_CLOUD_IDENTITY/);
  });
});
