/**
 * default.jwt: real RS256/ES256 tokens signed with jose, verified against a JWKS served by a local HTTP
 * server, through the gateway with the official openai SDK. The JWKS client (guardrails/jwks.ts) is
 * also driven directly, with its clock in the test's hands, for its cache and refresh bounds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJwksFetcher, JWKS_MAX_BYTES, REFRESH_COOLDOWN_MS } from '../../src/guardrails/jwks.js';
import { createEgressPolicy } from '../../src/upstream/egress-policy.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let upstream: FakeOpenAI;
let jwksServer: Server;
let jwksBase: string;
/** Keys the server publishes, by path; how many times each path was fetched. */
const published = new Map<string, JWK[] | string>();
const fetches = new Map<string, number>();

interface SigningKey { kid: string; alg: string; privateKey: CryptoKey; publicJwk: JWK }
async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}
let k1: SigningKey;
let k2: SigningKey;
let stranger: SigningKey;
let ec: SigningKey;

function token(key: SigningKey, claims: { exp?: string | number; iat?: number } = {}): Promise<string> {
  const jwt = new SignJWT({ sub: 'user-1' }).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' });
  jwt.setIssuedAt(claims.iat);
  jwt.setExpirationTime(claims.exp ?? '10m');
  return jwt.sign(key.privateKey);
}

beforeAll(async () => {
  [k1, k2, stranger, ec] = await Promise.all([signingKey('k1'), signingKey('k2'), signingKey('stranger'), signingKey('ec1', 'ES256')]);
  jwksServer = createServer((req, res) => {
    const path = req.url ?? '/';
    fetches.set(path, (fetches.get(path) ?? 0) + 1);
    const keys = published.get(path);
    if (keys === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof keys === 'string' ? keys : JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksBase = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  upstream = await startFakeOpenAI();
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  jwksServer?.closeAllConnections();
  await new Promise((r) => jwksServer?.close(r));
});
beforeEach(() => upstream.reset());

function client(parameters: object, headerValue?: string): OpenAI {
  const config = { provider: 'openai', custom_host: upstream.baseUrl, input_guardrails: [{ id: 'jwt', 'default.jwt': parameters, deny: true }] };
  return new OpenAI({
    apiKey: 'sk-test-jwt-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
    defaultHeaders: { 'x-portkey-config': JSON.stringify(config), ...(headerValue ? { 'x-user-token': headerValue } : {}) },
  });
}

async function call(parameters: object, headerValue?: string) {
  try {
    const { data, response } = await client(parameters, headerValue).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    return { status: response.status, check: (data as unknown as { hook_results: { before_request_hooks: Array<{ checks: Array<{ verdict: boolean; data: Record<string, unknown> }> }> } }).hook_results.before_request_hooks[0].checks[0] };
  } catch (e) {
    const err = e as InstanceType<typeof OpenAI.APIError>;
    if (err.status !== 446) return { status: err.status, check: undefined, message: err.message };
    // The SDK keeps only the body's "error"; hook_results are read back from the log document.
    const trace = err.headers?.get('x-portkey-trace-id');
    const doc = await eventually(() => {
      const found = readAllLogs(gw).trim().split('\n').map((l) => JSON.parse(l)).find((d) => d.trace_id === trace);
      if (!found) throw new Error('no document yet');
      return found;
    });
    return { status: err.status, check: doc.hook_results.before_request_hooks[0].checks[0] as { verdict: boolean; data: Record<string, unknown> }, message: err.message, doc };
  }
}

describe('default.jwt through the gateway', () => {
  it('passes a valid token from the named header, and fetches the JWKS once for many requests', async () => {
    published.set('/a/jwks.json', [k1.publicJwk]);
    const params = { jwksUri: `${jwksBase}/a/jwks.json`, headerKey: 'x-user-token' };
    const first = await call(params, `Bearer ${await token(k1)}`);
    expect(first.status).toBe(200);
    expect(first.check).toMatchObject({ verdict: true, data: { explanation: 'the token is valid' } });
    for (let i = 0; i < 3; i++) expect((await call(params, await token(k1))).status).toBe(200);
    expect(fetches.get('/a/jwks.json')).toBe(1);
    expect(upstream.requests).toHaveLength(4);
  });

  it('denies an expired token, a token too old for maxTokenAge, a missing header, and a key not in the set', async () => {
    published.set('/b/jwks.json', [k1.publicJwk]);
    const params = { jwksUri: `${jwksBase}/b/jwks.json`, headerKey: 'x-user-token', clockTolerance: 0 };
    const now = Math.floor(Date.now() / 1000);
    const expired = await call(params, await token(k1, { iat: now - 120, exp: now - 60 }));
    expect(expired.status).toBe(446);
    expect(expired.check).toMatchObject({ verdict: false, data: { code: 'ERR_JWT_EXPIRED' } });
    const old = await call({ ...params, maxTokenAge: '1m' }, await token(k1, { iat: now - 3600, exp: now + 600 }));
    expect(old.status).toBe(446);
    expect(old.check?.data.explanation).toMatch(/not valid/);
    const missing = await call(params);
    expect(missing.status).toBe(446);
    expect(missing.check?.data.explanation).toBe('the request has no x-user-token header');
    const foreign = await call(params, await token(stranger));
    expect(foreign.status).toBe(446);
    expect(foreign.check).toMatchObject({ data: { code: 'ERR_JWKS_NO_MATCHING_KEY' } });
    // The tokens never reach the hook results or the log document.
    expect(JSON.stringify(foreign.doc)).not.toContain('eyJ');
    expect(upstream.requests).toHaveLength(0);
  });

  it('accepts only the algorithms listed: RS256 by default, ES256 when named', async () => {
    published.set('/c/jwks.json', [ec.publicJwk]);
    const params = { jwksUri: `${jwksBase}/c/jwks.json`, headerKey: 'x-user-token' };
    expect((await call(params, await token(ec))).status).toBe(446);
    expect((await call({ ...params, algorithms: ['ES256'] }, await token(ec))).status).toBe(200);
  });

  it('fetches the set again when a token names a rotated-in key, but not for every unknown key', async () => {
    published.set('/d/jwks.json', [k1.publicJwk]);
    const params = { jwksUri: `${jwksBase}/d/jwks.json`, headerKey: 'x-user-token' };
    expect((await call(params, await token(k1))).status).toBe(200);
    published.set('/d/jwks.json', [k1.publicJwk, k2.publicJwk]);
    expect((await call(params, await token(k2))).status).toBe(200);
    expect(fetches.get('/d/jwks.json')).toBe(2);
    // Made-up key ids within the cooldown: no more fetches.
    for (let i = 0; i < 3; i++) expect((await call(params, await token(stranger))).status).toBe(446);
    expect(fetches.get('/d/jwks.json')).toBe(2);
  });

  it('refuses bad parameters by name when the config is read', async () => {
    for (const [params, message] of [
      [{ headerKey: 'x' }, /parameters\.jwksUri: is required/],
      [{ jwksUri: `${jwksBase}/x`, algorithms: ['HS256'] }, /parameters\.algorithms: must be a non-empty array of RS256/],
      [{ jwksUri: `${jwksBase}/x`, maxTokenAge: 'forever' }, /parameters\.maxTokenAge: must be a number of seconds or a duration/],
      [{ jwksUri: `${jwksBase}/x`, audience: 'api' }, /parameters\.audience: is not a parameter of this check/],
      [{ jwksUri: 'ftp://example.com/jwks' }, /parameters\.jwksUri: .*http/],
      [{ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /parameters\.jwks: holds private or symmetric key material/],
    ] as const) {
      const r = await call(params, 'x');
      expect(r.status).toBe(400);
      expect(r.message).toMatch(message);
    }
  });

  it('verifies against an inline JWKS without fetching anything', async () => {
    const r = await call({ jwks: { keys: [k2.publicJwk] }, headerKey: 'x-user-token' }, await token(k2));
    expect(r.status).toBe(200);
  });
});

describe('the JWKS client', () => {
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());

  it('keeps a set for cacheMaxAge, refreshes at most once per cooldown, and refuses an oversized answer', async () => {
    let clock = 1_000_000;
    const fetcher = createJwksFetcher(dispatcher, createEgressPolicy(true, []), () => clock);
    published.set('/e/jwks.json', [k1.publicJwk]);
    const url = `${jwksBase}/e/jwks.json`;
    await fetcher(url, 60, false);
    await fetcher(url, 60, false);
    expect(fetches.get('/e/jwks.json')).toBe(1);
    clock += 61_000;
    await fetcher(url, 60, false);
    expect(fetches.get('/e/jwks.json')).toBe(2);
    await fetcher(url, 60, true);
    await fetcher(url, 60, true);
    expect(fetches.get('/e/jwks.json')).toBe(3);
    clock += REFRESH_COOLDOWN_MS;
    await fetcher(url, 3600, true);
    expect(fetches.get('/e/jwks.json')).toBe(4);

    published.set('/f/jwks.json', `{"keys":[${'"x",'.repeat(JWKS_MAX_BYTES / 4)}"x"]}`);
    await expect(fetcher(`${jwksBase}/f/jwks.json`, 60, false)).rejects.toThrow(/larger than/);
    await expect(fetcher(`${jwksBase}/missing`, 60, false)).rejects.toThrow(/HTTP 404/);
  });

  it('goes through the egress policy: loopback refused unless allowed, cloud metadata always', async () => {
    const strict = createJwksFetcher(dispatcher, createEgressPolicy(false, []));
    await expect(strict(`${jwksBase}/a/jwks.json`, 60, false)).rejects.toThrow(/jwksUri/);
    const open = createJwksFetcher(dispatcher, createEgressPolicy(true, []));
    await expect(open('http://169.254.169.254/latest/jwks', 60, false)).rejects.toThrow(/jwksUri/);
  });
});
