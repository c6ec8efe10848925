import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { describe, expect, it } from 'vitest';
import { NodeSha256 } from '../../../src/upstream/aws-sigv4.js';
import { authorizeBedrock } from '../../../src/providers/bedrock/index.js';
import type { ProviderTarget } from '../../../src/providers/types.js';
import { verifySigV4 } from './sigv4-verify.js';

const CRED = { accessKeyId: 'AKIAAUTHTEST00000001', secretAccessKey: 'authTestSecret/00000000000000000000000' };

async function digest(Ctor: new (secret?: string | Uint8Array) => { update(d: string | Uint8Array): void; digest(): Promise<Uint8Array> }, data: Array<string | Uint8Array>, secret?: string | Uint8Array) {
  const h = new Ctor(secret);
  for (const d of data) h.update(d);
  return Buffer.from(await h.digest()).toString('hex');
}

describe('NodeSha256 (node:crypto) matches @aws-crypto/sha256-js', () => {
  const big = new Uint8Array(300_000).map((_, i) => i % 251);
  const view = big.subarray(17, 100_017); // a view with an offset into a larger buffer
  it.each<[string, Array<string | Uint8Array>, (string | Uint8Array)?]>([
    ['empty', []],
    ['a string', ['héllo wörld']],
    ['several updates incl. an offset view', ['a', view, 'z']],
    ['HMAC with a string key', ['AWS4-HMAC-SHA256\n20261128T000000Z'], 'AWS4secret'],
    ['HMAC with a byte key', [view], new Uint8Array([1, 2, 3, 4])],
  ])('%s', async (_name, data, secret) => {
    expect(await digest(NodeSha256, data, secret)).toBe(await digest(Sha256, data, secret));
  });
});

describe('authorizeBedrock', () => {
  const target: ProviderTarget = { provider: 'bedrock', customHost: 'http://127.0.0.1:4566', settings: { aws_access_key_id: CRED.accessKeyId, aws_secret_access_key: CRED.secretAccessKey, aws_region: 'ap-southeast-2' } };

  it('signs a large body with the payload hash, replaces stale signing headers, and leaves Host to the HTTP client', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'a').toString();
    const signed = await authorizeBedrock(
      { method: 'POST', url: 'http://127.0.0.1:4566/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke', headers: { 'Content-Type': 'application/json', authorization: 'stale', 'X-Amz-Date': '19990101T000000Z' }, body },
      target,
    );
    expect(signed.headers.host).toBeUndefined();
    expect(signed.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(signed.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAAUTHTEST00000001\/\d{8}\/ap-southeast-2\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
    const verdict = verifySigV4(
      { method: 'POST', rawPath: '/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke', headers: { ...signed.headers, host: '127.0.0.1:4566' }, body: Buffer.from(body) },
      { service: 'bedrock', region: 'ap-southeast-2', credentials: [CRED] },
    );
    expect(verdict).toEqual({ ok: true, accessKeyId: CRED.accessKeyId, region: 'ap-southeast-2' });
    // The same signature does not fit another path: the model id is part of what is signed.
    const other = verifySigV4(
      { method: 'POST', rawPath: '/model/anthropic.claude-3-haiku-20240307-v1%3A1/invoke', headers: { ...signed.headers, host: '127.0.0.1:4566' }, body: Buffer.from(body) },
      { service: 'bedrock', region: 'ap-southeast-2', credentials: [CRED] },
    );
    expect(other.ok).toBe(false);
  });
});
