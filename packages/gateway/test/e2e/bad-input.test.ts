import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { validateOpenAI } from '../helpers/openai-schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** Every bad input gets a 4xx in OpenAI's error shape with a message that says what to fix. */
let gw: TestGateway;
let fake: FakeOpenAI;
const KEY = 'sk-secret-provider-key-abcdef123456';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ MAX_BODY_BYTES: '4096' });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

async function post(body: string, headers: Record<string, string> = {}, path = '/v1/chat/completions') {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl, ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text), headers: res.headers };
}

const good = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

function expectError(r: { status: number; json: any; text: string }, status: number, pattern: RegExp) {
  expect(r.status).toBe(status);
  expect(validateOpenAI('ErrorResponse', r.json)).toEqual([]);
  expect(r.json.error.message).toMatch(pattern);
  expect(r.text).not.toMatch(/at .*\.(ts|js):\d+/);
  expect(r.text).not.toContain(KEY);
}

describe('bad input', () => {
  it('malformed JSON → 400', async () => expectError(await post('{"model": "x", '), 400, /not valid JSON/));
  it('a JSON array body → 400', async () => expectError(await post('[1,2]'), 400, /JSON object/));
  it('missing messages → 400 naming the field', async () => {
    const r = await post(JSON.stringify({ model: 'gpt-4o-mini' }));
    expectError(r, 400, /messages/);
    expect(r.json.error.param).toBe('messages');
  });
  it('body over the limit → 413', async () => expectError(await post(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] })), 413, /MAX_BODY_BYTES/));
  it('unsupported content type → 415', async () => expectError(await post(good, { 'content-type': 'text/plain' }), 415, /application\/json/));
  it('unknown provider → 400 listing the known ones', async () => expectError(await post(good, { 'x-portkey-provider': 'nope-ai' }), 400, /Unknown provider "nope-ai".*openai/));
  it('no provider → 400', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: good });
    expectError({ status: res.status, ...(await res.text().then((t) => ({ text: t, json: JSON.parse(t) }))) }, 400, /x-portkey-provider/);
  });
  it('invalid config JSON → 400', async () => expectError(await post(good, { 'x-portkey-config': '{bad' }), 400, /x-portkey-config is not valid JSON/));
  it('invalid config mode → 400 naming the path', async () => {
    expectError(await post(good, { 'x-portkey-config': JSON.stringify({ strategy: { mode: 'roundrobin' }, targets: [{ provider: 'openai' }] }) }), 400, /config\.strategy\.mode/);
  });
  it('retry attempts above 5 → 400 naming the path', async () => {
    expectError(await post(good, { 'x-portkey-config': JSON.stringify({ retry: { attempts: 9 }, provider: 'openai' }) }), 400, /config\.retry\.attempts/);
  });
  it('conditional then naming no target → 400', async () => {
    const cfg = { strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.a': 'b' }, then: 'ghost' }] }, targets: [{ name: 'real', provider: 'openai' }] };
    expectError(await post(good, { 'x-portkey-config': JSON.stringify(cfg) }), 400, /no target is named "ghost"/);
  });
  it('unknown saved config id → 400', async () => expectError(await post(good, { 'x-portkey-config': 'pc-missing' }), 400, /saved config/));
  it('metadata that is not an object of strings → 400', async () => {
    expectError(await post(good, { 'x-portkey-metadata': '{"n": 1}' }), 400, /metadata\.n must be a string/);
    expectError(await post(good, { 'x-portkey-metadata': 'nope' }), 400, /JSON object/);
    expectError(await post(good, { 'x-portkey-metadata': JSON.stringify({ big: 'x'.repeat(5000) }) }), 400, /larger than/);
  });
  it('invalid request timeout and trace id → 400', async () => {
    expectError(await post(good, { 'x-portkey-request-timeout': 'soon' }), 400, /request-timeout/);
    expectError(await post(good, { 'x-portkey-trace-id': 'bad id with spaces' }), 400, /trace-id/);
  });
  it('wrong method on an inference route → 405', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`);
    expect(res.status).toBe(405);
  });
  it('unknown non-/v1 route → 404 in OpenAI shape', async () => {
    const res = await fetch(`${gw.url}/nothing-here`);
    expect(res.status).toBe(404);
    expect(validateOpenAI('ErrorResponse', await res.json())).toEqual([]);
  });
  it('a malformed HTTP request → 400, and the server keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(gw.url);
      const req = request({ host: u.hostname, port: u.port, method: 'POST', path: '/v1/chat/completions', headers: { 'content-length': 'abc' } }, (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.end();
    }).catch(() => 400);
    expect(status).toBe(400);
    expect((await post(good)).status).toBe(200);
  });
});

describe('custom_host egress policy', () => {
  for (const host of ['http://169.254.169.254/latest', 'http://169.254.170.2/v2/credentials', 'http://[fd00:ec2::254]/', 'http://10.1.2.3/v1', 'file:///etc/passwd', 'gopher://127.0.0.1/']) {
    it(`refuses ${host}`, async () => {
      const r = await post(good, { 'x-portkey-custom-host': host });
      expect(r.status).toBe(400);
      expect(r.json.error.message).toMatch(/custom_host/);
    });
  }
  it('refuses metadata addresses in a config target too', async () => {
    const r = await post(good, { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: 'http://169.254.169.254' }) });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/link-local/);
  });
  it('refuses a hostname that resolves to a forbidden address', async () => {
    const r = await post(good, { 'x-portkey-custom-host': 'http://169.254.169.254.nip.io.invalid/v1' });
    expect(r.status).toBe(400);
  });
  it('allows loopback for local model servers', async () => {
    expect((await post(good)).status).toBe(200);
  });
});
