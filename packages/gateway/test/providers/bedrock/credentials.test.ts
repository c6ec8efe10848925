/**
 * Credential resolution order against real local endpoints: a fake STS (SigV4-checked) for assume-role,
 * and a container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback, as the SDK allows)
 * for the default chain — the path an ECS task role takes.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { bedrockCredentialCacheKeys, clearBedrockCredentialCache, resolveBedrockCredentials } from '../../../src/providers/bedrock/index.js';
import type { ProviderTarget } from '../../../src/providers/types.js';
import { isolateAwsCredentialChain } from '../../helpers/aws-env.js';
import { startFakeSts, type FakeSts } from './fake-sts.js';
import type { FakeAwsCredential } from './sigv4-verify.js';

const REGION = 'us-west-2';
const CALLER: FakeAwsCredential = { accessKeyId: 'AKIACALLER0000000001', secretAccessKey: 'callerSecret/0000000000000000000000000' };
const TASK_ROLE: FakeAwsCredential = { accessKeyId: 'ASIATASKROLE00000001', secretAccessKey: 'taskRoleSecret/000000000000000000000', sessionToken: 'IQoJb3JpZ2luX2VjEFAKETASK' };
const ROLE = 'arn:aws:iam::123456789012:role/BedrockInvoker';
const ROLE_WITH_EXTERNAL_ID = 'arn:aws:iam::123456789012:role/PartnerBedrock';
const ANY_EXTERNAL_ID_ROLE = 'arn:aws:iam::123456789012:role/AnyExternalId';
const target = (settings: Record<string, string>): ProviderTarget => ({ provider: 'bedrock', settings: { aws_region: REGION, ...settings } });

let sts: FakeSts;
let container: http.Server;
let containerHits = 0;
let containerExpiresInMs = 2 * 60 * 60 * 1000;
let tmp: string;
const issued: FakeAwsCredential[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bedrock-creds-'));
  isolateAwsCredentialChain(tmp);

  sts = await startFakeSts({ region: REGION, callers: [CALLER, TASK_ROLE], roles: { [ROLE]: undefined, [ROLE_WITH_EXTERNAL_ID]: 'ext-42', [ANY_EXTERNAL_ID_ROLE]: '*' }, issued });
  process.env.AWS_ENDPOINT_URL_STS = sts.url;

  container = http.createServer((req, res) => {
    containerHits++;
    if (req.url !== '/v2/credentials/task' || req.headers.authorization !== 'container-token-1') {
      res.writeHead(403).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      RoleArn: 'arn:aws:iam::123456789012:role/ecsTaskRole',
      AccessKeyId: TASK_ROLE.accessKeyId,
      SecretAccessKey: TASK_ROLE.secretAccessKey,
      Token: TASK_ROLE.sessionToken,
      Expiration: new Date(Date.now() + containerExpiresInMs).toISOString(),
    }));
  });
  await new Promise<void>((r) => container.listen(0, '127.0.0.1', r));
  process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${(container.address() as AddressInfo).port}/v2/credentials/task`;
  process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-token-1';
});

afterAll(async () => {
  await sts.close();
  await new Promise<void>((r) => container.close(() => r()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  clearBedrockCredentialCache();
  containerHits = 0;
  containerExpiresInMs = 2 * 60 * 60 * 1000;
  sts.setLifetime(60 * 60 * 1000);
  sts.calls.length = 0;
});

async function failure(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected a GatewayError');
}

describe('resolveBedrockCredentials', () => {
  it('1. request keys (x-portkey-aws-*) win over the default chain', async () => {
    const r = await resolveBedrockCredentials(target({ aws_access_key_id: CALLER.accessKeyId, aws_secret_access_key: CALLER.secretAccessKey, aws_session_token: 'tok' }));
    expect(r).toEqual({ source: 'request', credentials: { accessKeyId: CALLER.accessKeyId, secretAccessKey: CALLER.secretAccessKey, sessionToken: 'tok' } });
    expect(containerHits).toBe(0);
  });

  it('rejects half a key pair, and a session token alone, without echoing secrets', async () => {
    const e1 = await failure(resolveBedrockCredentials(target({ aws_access_key_id: CALLER.accessKeyId })));
    expect([e1.status, e1.param]).toEqual([400, 'aws_secret_access_key']);
    const e2 = await failure(resolveBedrockCredentials(target({ aws_secret_access_key: 'very-secret-value' })));
    expect(e2.message).toMatch(/x-portkey-aws-access-key-id is missing/);
    expect(e2.message).not.toContain('very-secret-value');
    const e3 = await failure(resolveBedrockCredentials(target({ aws_session_token: 'tok' })));
    expect(e3.message).toMatch(/send all three or none/);
  });

  it('2. assume-role signs STS with the request keys, passes the external id, and caches until 5 minutes before expiry', async () => {
    const t = target({ aws_access_key_id: CALLER.accessKeyId, aws_secret_access_key: CALLER.secretAccessKey, aws_role_arn: ROLE_WITH_EXTERNAL_ID, aws_external_id: 'ext-42' });
    const a = await resolveBedrockCredentials(t);
    expect(a.source).toBe('assume-role');
    expect(a.credentials.accessKeyId).toMatch(/^ASIAFAKESTS/);
    expect(a.credentials.sessionToken).toBe(issued.find((c) => c.accessKeyId === a.credentials.accessKeyId)?.sessionToken);
    expect(a.credentials.expiration).toBeInstanceOf(Date);
    expect(sts.calls).toEqual([{ roleArn: ROLE_WITH_EXTERNAL_ID, externalId: 'ext-42', sessionName: 'portico-bedrock', callerKeyId: CALLER.accessKeyId, status: 200 }]);
    const [b, c] = await Promise.all([resolveBedrockCredentials(t), resolveBedrockCredentials(t)]);
    expect(b.credentials).toEqual(a.credentials);
    expect(c.credentials).toEqual(a.credentials);
    expect(sts.calls).toHaveLength(1);

    // Credentials that expire within the 5-minute margin are fetched again on the next request.
    clearBedrockCredentialCache();
    sts.setLifetime(4 * 60 * 1000);
    const d = await resolveBedrockCredentials(t);
    const e = await resolveBedrockCredentials(t);
    expect(e.credentials.accessKeyId).not.toBe(d.credentials.accessKeyId);
    expect(sts.calls).toHaveLength(3);
  });

  it('assume-role failures are 403s that name the role and never the secret', async () => {
    const e = await failure(resolveBedrockCredentials(target({ aws_access_key_id: CALLER.accessKeyId, aws_secret_access_key: CALLER.secretAccessKey, aws_role_arn: ROLE_WITH_EXTERNAL_ID, aws_external_id: 'wrong' })));
    expect(e.status).toBe(403);
    expect(e.message).toContain(ROLE_WITH_EXTERNAL_ID);
    expect(e.message).toMatch(/AccessDenied/);
    expect(e.message).not.toContain(CALLER.secretAccessKey);
    const bad = await failure(resolveBedrockCredentials(target({ aws_role_arn: 'BedrockInvoker' })));
    expect([bad.status, bad.param]).toEqual([400, 'aws_role_arn']);
    // A failure is not cached: the next good request goes to STS again.
    expect(bedrockCredentialCacheKeys()).toHaveLength(0);
  });

  it('3. the default chain reaches the container credentials endpoint (the ECS task role) and caches it', async () => {
    const a = await resolveBedrockCredentials(target({}));
    expect(a.source).toBe('default-chain');
    expect(a.credentials).toMatchObject({ accessKeyId: TASK_ROLE.accessKeyId, secretAccessKey: TASK_ROLE.secretAccessKey, sessionToken: TASK_ROLE.sessionToken });
    await resolveBedrockCredentials(target({}));
    expect(containerHits).toBe(1);

    clearBedrockCredentialCache();
    containerExpiresInMs = 3 * 60 * 1000; // inside the refresh margin
    await resolveBedrockCredentials(target({}));
    await resolveBedrockCredentials(target({}));
    expect(containerHits).toBe(3);
  });

  it('assume-role without request keys uses the default chain (task role) as the caller', async () => {
    const r = await resolveBedrockCredentials(target({ aws_role_arn: ROLE }));
    expect(r.source).toBe('assume-role');
    expect(sts.calls[0]).toMatchObject({ roleArn: ROLE, callerKeyId: TASK_ROLE.accessKeyId, status: 200 });
    expect(sts.calls[0]!.externalId).toBeUndefined();
  });

  it('keeps a bounded LRU cache keyed by digests, never by key material', async () => {
    const caller = { aws_access_key_id: CALLER.accessKeyId, aws_secret_access_key: CALLER.secretAccessKey, aws_role_arn: ANY_EXTERNAL_ID_ROLE };
    for (let i = 0; i < 300; i++) await resolveBedrockCredentials(target({ ...caller, aws_external_id: `x${i}` }));
    expect(sts.calls.filter((c) => c.status === 200)).toHaveLength(300);
    const keys = bedrockCredentialCacheKeys();
    expect(keys).toHaveLength(256);
    expect(keys.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
    const all = keys.join('\n');
    expect(all).not.toContain(CALLER.secretAccessKey);
    expect(all).not.toContain(CALLER.accessKeyId);
    // The newest entry is served from the cache; the oldest was evicted and goes back to STS.
    await resolveBedrockCredentials(target({ ...caller, aws_external_id: 'x299' }));
    expect(sts.calls).toHaveLength(300);
    await resolveBedrockCredentials(target({ ...caller, aws_external_id: 'x0' }));
    expect(sts.calls).toHaveLength(301);
  });

  it('with no credentials anywhere, answers 401 and says how to fix it', async () => {
    const saved = process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    delete process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
    try {
      const e = await failure(resolveBedrockCredentials(target({})));
      expect(e.status).toBe(401);
      expect(e.message).toMatch(/x-portkey-aws-access-key-id.*task role/);
    } finally {
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = saved;
    }
  });
});
