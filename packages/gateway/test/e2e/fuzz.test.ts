import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * Malformed input of every kind, generated from a seeded PRNG so failures reproduce: every answer is a
 * well-formed HTTP response (never a crash, never a stack trace) and the gateway stays healthy.
 */
let gw: TestGateway;
let fake: FakeOpenAI;
let anthropic: FakeAnthropic;

beforeAll(async () => {
  [fake, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  gw = await startTestGateway({ MAX_BODY_BYTES: String(256 * 1024) });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
  await anthropic?.close();
});

function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const valid = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }], stream: false });

function mutate(rand: () => number): { body: string; headers: Record<string, string> } {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: 'Bearer sk-fuzz', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl };
  const kind = Math.floor(rand() * 12);
  switch (kind) {
    case 0: return { body: valid.slice(0, Math.floor(rand() * valid.length)), headers };
    case 1: return { body: Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))).toString('latin1'), headers };
    case 2: return { body: '['.repeat(5000) + ']'.repeat(5000), headers };
    case 3: return { body: JSON.stringify({ model: pick([1, null, [], {}, '']), messages: pick(['x', 1, null, [null], [{}], [{ role: 5 }]]) }), headers };
    case 4: return { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: pick(['yes', 1, null, {}]) }), headers };
    case 5: return { body: valid, headers: { ...headers, 'x-portkey-config': pick(['{', '[]', 'null', '{"strategy":{"mode":1}}', '{"targets":[]}', '{"retry":{"attempts":-1}}', '{"cache":{"mode":"simple","max_age":-5}}']) } };
    case 6: return { body: valid, headers: { ...headers, 'x-portkey-metadata': pick(['{', '[]', '{"a":{}}', '"str"', '{"a":' + '1'.repeat(5000) + '}']) } };
    case 7: return { body: valid, headers: { ...headers, 'x-portkey-custom-host': pick(['javascript:alert(1)', 'http://[::1', 'http://0x7f.1/v1', 'http://169.254.169.254:80', 'http://[fd00:ec2::254]:80/', 'https://user:pw@host/']) } };
    case 8: return { body: valid, headers: { ...headers, 'x-portkey-provider': pick(['', 'OPENAI', '../etc', 'x'.repeat(300), 'anthropic\u0000']) .replace(/\u0000/g, '') } };
    case 9: return { body: valid, headers: { ...headers, 'x-portkey-request-timeout': pick(['-1', '0', '1e9', 'abc', '99999999999']) } };
    case 10: return { body: valid, headers: { ...headers, 'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) } };
    default: return { body: JSON.stringify({ model: 'm', messages: Array.from({ length: 50 }, () => ({ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:' } }] })) }), headers };
  }
}

describe('fuzzed requests', () => {
  it('answers 300 malformed requests with well-formed responses and stays healthy', async () => {
    const rand = prng(20261128);
    for (let i = 0; i < 300; i++) {
      const { body, headers } = mutate(rand);
      let res: Response;
      try {
        res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body });
      } catch (e) {
        // undici refuses to send some header values itself; that is the client's side, not ours.
        if (/header|ByteString|Invalid/i.test(String((e as Error).message) + String((e as { cause?: Error }).cause?.message))) continue;
        throw e;
      }
      await expectWellFormed(res, i);
    }
    const health = await fetch(`${gw.url}/v1/health`);
    expect(health.status).toBe(200);
  });
});

/** A well-formed answer: under 500 unless the upstream failed, no stack trace, an error message that says something. */
async function expectWellFormed(res: Response, i: number): Promise<void> {
  const text = await res.text();
  // A custom_host that is allowed but has nothing listening is an upstream failure (502), not bad input.
  const unreachable = res.status === 502 && text.includes('upstream_unreachable');
  if (!unreachable) expect(res.status, `request ${i}: ${text.slice(0, 200)}`).toBeLessThan(500);
  expect(text).not.toMatch(/at [\w.<>]+ \(.*:\d+:\d+\)/);
  if (res.status >= 400) expect(JSON.parse(text).error.message.length).toBeGreaterThan(10);
}

describe('fuzzed Responses API requests and uploads', () => {
  it('answers malformed /v1/responses bodies (translated, with stored state) with well-formed responses', async () => {
    const rand = prng(20261129);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-ant-fuzz', 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1 };
    const first = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers, body: JSON.stringify({ model: 'claude-sonnet-4-5', input: 'seed' }) });
    const known = (await first.json()).id as string;
    for (let i = 0; i < 150; i++) {
      const body: Record<string, unknown> = { model: pick(['claude-sonnet-4-5', '', 7, null]), input: pick(['hi', '', [], [null], [{ type: 'nope' }], [{ role: 'user', content: [{ type: 'input_text' }] }], [{ type: 'function_call_output' }], [{ type: 'function_call', call_id: 'c', name: 'n', arguments: 1 }], 5]) };
      const field = pick(['previous_response_id', 'store', 'tools', 'tool_choice', 'text', 'reasoning', 'max_output_tokens', 'instructions']);
      body[field] = pick([known, 'resp_missing', 12, null, true, 'x', [], {}, [{ type: 'function' }], { format: { type: 'json_schema' } }, -1]);
      await expectWellFormed(await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers, body: JSON.stringify(body) }), i);
    }
    // Reading kept responses back: odd ids, encodings, methods and paging.
    for (let i = 0; i < 80; i++) {
      const id = pick([known, 'resp_missing', '%E0%A4%A', '%00', '..%2F..%2Fetc', 'x'.repeat(600), encodeURIComponent(known)]);
      const tail = pick(['', '/input_items', '/input_items?limit=0', '/input_items?limit=1000', '/input_items?order=sideways', '/input_items?after=zzz', '/input_items?limit=1&after=' + id, '?stream=true', '?include=a&include=b', '/cancel', '/x/y']);
      const method = pick(['GET', 'DELETE', 'POST', 'PUT']);
      await expectWellFormed(await fetch(`${gw.url}/v1/responses/${id}${tail}`, { method, headers }), 150 + i);
    }
    expect((await fetch(`${gw.url}/v1/health`)).status).toBe(200);
  });

  it('answers odd uploads on other /v1 paths (content types, lengths, bytes) with well-formed responses', async () => {
    const rand = prng(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    for (let i = 0; i < 60; i++) {
      const size = pick([0, 1, 1000, 256 * 1024 + 1, 600 * 1024]);
      const bytes = Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
      const res = await fetch(`${gw.url}${pick(['/v1/files', '/v1/audio/transcriptions', '/v1/uploads/x/parts', '/v1/images/edits'])}`, {
        method: 'POST',
        headers: { 'content-type': pick(['multipart/form-data; boundary=zz', 'application/octet-stream', 'audio/mpeg', 'multipart/form-data', 'text/plain']), authorization: 'Bearer sk-fuzz', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl },
        body: bytes,
      });
      await expectWellFormed(res, i);
    }
    expect((await fetch(`${gw.url}/v1/health`)).status).toBe(200);
  });
});
