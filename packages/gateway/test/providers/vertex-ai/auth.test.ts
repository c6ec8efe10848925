import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authorizeVertex, clearVertexTokenCache, getVertexAccessToken, parseServiceAccountJson, signServiceAccountAssertion } from '../../../src/providers/vertex-ai/index.js';
import type { ProviderTarget, UpstreamRequest } from '../../../src/providers/types.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini.js';
import { generateKeyPairSync } from 'node:crypto';

let fake: FakeGemini;
beforeAll(async () => { fake = await startFakeGemini(); });
afterAll(() => fake.close());
beforeEach(() => clearVertexTokenCache());

const up: UpstreamRequest = { method: 'POST', url: 'http://x/', headers: { 'content-type': 'application/json' }, body: '{}' };
const target = (): ProviderTarget => ({ provider: 'vertex-ai', settings: { vertex_project_id: 'fake-project', vertex_service_account_json: fake.serviceAccountJson } });

describe('vertex-ai service account token exchange', () => {
  it('one token exchange serves many calls, concurrent ones included', async () => {
    const before = fake.tokenExchanges;
    const signed = await Promise.all(Array.from({ length: 10 }, () => authorizeVertex(up, target(), fake.authorizeContext)));
    for (let i = 0; i < 5; i++) signed.push(await authorizeVertex(up, target(), fake.authorizeContext));
    expect(fake.tokenExchanges - before).toBe(1);
    const tokens = new Set(signed.map((s) => s.headers.authorization));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^Bearer ya29\.fake-/);
    expect(signed[0].headers['content-type']).toBe('application/json');
  });

  it('refreshes shortly before expiry, not after', async () => {
    // A token that lives 4 s is refreshed after half its life (the margin is min(300 s, ttl/2)).
    const short = await startFakeGemini({ tokenExpiresIn: 4 });
    try {
      const sa = parseServiceAccountJson(short.serviceAccountJson);
      const a = await getVertexAccessToken(sa, short.authorizeContext);
      expect(await getVertexAccessToken(sa, short.authorizeContext)).toBe(a);
      expect(short.tokenExchanges).toBe(1);
      await new Promise((r) => setTimeout(r, 2100));
      const b = await getVertexAccessToken(sa, short.authorizeContext);
      expect(b).not.toBe(a);
      expect(short.tokenExchanges).toBe(2);
      expect(await getVertexAccessToken(sa, short.authorizeContext)).toBe(b);
    } finally {
      await short.close();
    }
  });

  it('a key the token endpoint does not know is refused with a 401 that names the account, not the key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const sa = { ...JSON.parse(fake.serviceAccountJson), private_key: other };
    const err = await authorizeVertex(up, { ...target(), settings: { vertex_project_id: 'p', vertex_service_account_json: JSON.stringify(sa) } }, fake.authorizeContext).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, provider: 'vertex-ai' });
    // The standard OAuth error code, not the endpoint's own description.
    expect((err as Error).message).toMatch(/\(invalid_grant\)/);
    expect((err as Error).message).not.toContain('Invalid JWT Signature');
    expect((err as Error).message).toContain('portico-test@fake-project');
    expect((err as Error).message).not.toContain('PRIVATE KEY');
  });

  it('the assertion is an RS256 JWT for the cloud-platform scope, audience = token_uri', () => {
    const sa = parseServiceAccountJson(fake.serviceAccountJson);
    const [h, c] = signServiceAccountAssertion(sa, 1_700_000_000).split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'fake-key-1' });
    expect(JSON.parse(Buffer.from(c, 'base64url').toString())).toMatchObject({ iss: sa.client_email, aud: `${fake.url}/token`, scope: 'https://www.googleapis.com/auth/cloud-platform', iat: 1_700_000_000, exp: 1_700_003_600 });
  });

  it('token_uri must be https (plain http only to loopback), even when the operator allows it', async () => {
    const uri = 'http://192.0.2.1/token';
    const sa = { ...JSON.parse(fake.serviceAccountJson), token_uri: uri };
    await expect(getVertexAccessToken(parseServiceAccountJson(JSON.stringify(sa)), { ...fake.authorizeContext, tokenUris: [uri] })).rejects.toThrow(/must use https/);
  });

  it('a token_uri other than Google\'s is refused unless the operator allows it', async () => {
    await expect(getVertexAccessToken(parseServiceAccountJson(fake.serviceAccountJson))).rejects.toThrow(/not allowed: only https:\/\/oauth2.googleapis.com\/token is/);
  });

  it('a plain bearer token in apiKey is used when no service account is set; neither is a 401', async () => {
    const s = await authorizeVertex(up, { provider: 'vertex-ai', apiKey: 'Bearer ya29.abc', settings: {} });
    expect(s.headers.authorization).toBe('Bearer ya29.abc');
    await expect(authorizeVertex(up, { provider: 'vertex-ai', settings: {} })).rejects.toMatchObject({ status: 401 });
  });
});
