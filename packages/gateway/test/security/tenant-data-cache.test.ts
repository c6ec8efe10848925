/**
 * Attacks on the response cache and kept responses (issue #24 items 9, 10 and 12). Expected outcomes:
 * - another credential, deployment or forwarded header never gets a cached answer (a MISS, the
 *   upstream is called with the caller's own credential);
 * - a gateway key whose id equals a workspace name shares nothing with that workspace;
 * - a body nested 5,000 deep is a 400 at parse time, and a body with 850,000 keys costs the cache key
 *   no more than its own parse.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, simpleCacheKey } from '../../src/cache/keys.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';

const ALICE = 'pk-cache-alice-0123';
const KEY_NAMED_LIKE_WS = 'pk-cache-wsA-id-0123';
let gw: TestGateway;
let upstream: RecordingUpstream;

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  Object.assign(process.env, { SEC_CACHE_ALICE: ALICE, SEC_CACHE_WSA: KEY_NAMED_LIKE_WS });
  gw = await startTestGateway({}, {
    entities: `keys:
  - { id: alice, key_env: SEC_CACHE_ALICE, workspace: wsA }
  - { id: wsA, key_env: SEC_CACHE_WSA }
`,
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const CACHED = JSON.stringify({ cache: { mode: 'simple' } });

async function post(path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; cache: string | null; body: any }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, cache: res.headers.get('x-portkey-cache-status'), body: await res.json() };
}

const azure = (deployment: string, apiKey: string, extra: Record<string, string> = {}) => ({
  'x-portkey-api-key': ALICE, 'x-portkey-config': CACHED, 'x-portkey-provider': 'azure-openai', 'x-portkey-custom-host': `${upstream.url}/openai`,
  'x-portkey-azure-deployment-id': deployment, 'api-key': apiKey, ...extra,
});
const question = (text: string) => ({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });

describe('attack: the same question with another Azure deployment and an invalid key', () => {
  it('is a MISS that reaches the upstream with the caller\'s own key, not a HIT', async () => {
    const first = await post('/v1/chat/completions', azure('dep-a', 'azure-good-key-0123456789'), question('deployment probe'));
    expect(first).toMatchObject({ status: 200, cache: 'MISS' });
    const other = await post('/v1/chat/completions', azure('dep-b', 'invalid-key'), question('deployment probe'));
    expect(other.cache).toBe('MISS');
    expect(upstream.requests.map((r) => [r.url.split('?')[0], r.headers['api-key']])).toEqual([
      ['/openai/deployments/dep-a/chat/completions', 'azure-good-key-0123456789'],
      ['/openai/deployments/dep-b/chat/completions', 'invalid-key'],
    ]);
  });
});

describe('attack: the same question and deployment with a stolen cache entry but no valid credential', () => {
  it('another credential is a MISS; the same credential is a HIT (control)', async () => {
    await post('/v1/chat/completions', azure('dep-a', 'azure-good-key-0123456789'), question('credential probe'));
    const stranger = await post('/v1/chat/completions', azure('dep-a', 'someone-else'), question('credential probe'));
    expect(stranger.cache).toBe('MISS');
    const owner = await post('/v1/chat/completions', azure('dep-a', 'azure-good-key-0123456789'), question('credential probe'));
    expect(owner.cache).toBe('HIT');
  });

  it('a forwarded header that changes the answer is part of the key', async () => {
    const base = { ...azure('dep-a', 'azure-good-key-0123456789'), 'x-portkey-forward-headers': 'x-tenant-region' };
    await post('/v1/chat/completions', { ...base, 'x-tenant-region': 'eu' }, question('forwarded probe'));
    const us = await post('/v1/chat/completions', { ...base, 'x-tenant-region': 'us' }, question('forwarded probe'));
    expect(us.cache).toBe('MISS');
  });
});

describe('attack: a gateway key whose id is a workspace name ("wsA")', () => {
  const openai = (key: string) => ({ 'x-portkey-api-key': key, 'x-portkey-config': CACHED, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.baseUrl, authorization: 'Bearer sk-shared-provider-key-0123456789' });

  it('does not read workspace wsA\'s cache entries', async () => {
    expect((await post('/v1/chat/completions', openai(ALICE), question('workspace secret question'))).cache).toBe('MISS');
    expect((await post('/v1/chat/completions', openai(ALICE), question('workspace secret question'))).cache).toBe('HIT');
    expect((await post('/v1/chat/completions', openai(KEY_NAMED_LIKE_WS), question('workspace secret question'))).cache).toBe('MISS');
  });

  it('does not read workspace wsA\'s kept responses', async () => {
    const headers = (key: string) => ({ 'x-portkey-api-key': key, 'x-portkey-provider': 'together-ai', 'x-portkey-custom-host': upstream.baseUrl, authorization: 'Bearer sk-shared-provider-key-0123456789' });
    const created = await post('/v1/responses', headers(ALICE), { model: 'meta-llama/Llama-3-8b', input: 'remember this for wsA' });
    expect(created.status).toBe(200);
    const id = created.body.id as string;
    const own = await fetch(`${gw.url}/v1/responses/${id}`, { headers: headers(ALICE) });
    expect(own.status).toBe(200);
    const other = await fetch(`${gw.url}/v1/responses/${id}`, { headers: headers(KEY_NAMED_LIKE_WS) });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain('remember this');
  });
});

describe('attack: a body nested 5,000 levels deep with the cache on', () => {
  it('is a 400 naming the bound, not a 500 from a stack overflow', async () => {
    const deep = `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const r = await post('/v1/chat/completions', { 'x-portkey-config': CACHED, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.baseUrl, authorization: 'Bearer sk-x-0123456789abcdef', 'x-portkey-api-key': ALICE }, deep);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('body_too_deep');
    expect(r.body.error.message).toContain('MAX_BODY_DEPTH');
    expect(upstream.requests).toEqual([]);
  });

  it('canonicalisation is iterative: 100,000 levels are written without recursion', () => {
    let v: unknown = 1;
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(canonicalJson(v, 200_001)).toBe(`${'['.repeat(100_000)}1${']'.repeat(100_000)}`);
  });
});

describe('attack: a 10 MB body with 850,000 keys, when the cache is on', () => {
  it('the cache key costs less than parsing the body: past the bound, the raw bytes are hashed', () => {
    const keys: string[] = [];
    for (let i = 0; i < 850_000; i++) keys.push(`"k${(i * 7919) % 850_000}":${i % 10}`);
    const raw = Buffer.from(`{"model":"gpt-4o","messages":[],${keys.join(',')}}`);
    let started = performance.now();
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    const parseMs = performance.now() - started;
    started = performance.now();
    const key = simpleCacheKey({ tenant: 'ws:a', op: 'chat', route: ['openai'], body, rawBody: raw });
    const keyMs = performance.now() - started;
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(keyMs).toBeLessThan(parseMs);
    // Still a key: the same bytes give the same entry.
    expect(simpleCacheKey({ tenant: 'ws:a', op: 'chat', route: ['openai'], body, rawBody: raw })).toBe(key);
  });
});
