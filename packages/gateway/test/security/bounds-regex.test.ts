import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chat, timed } from './bounds-helpers.js';

/**
 * Attack catalogue, item 2 of issue 24: regular expressions a client supplies in an inline config run
 * on a linear-time engine, so no pattern can hold the event loop that every tenant shares.
 * The texts are short enough that the backtracking engine they replaced took seconds, not hours.
 */
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // A saved config (written by an operator) may use default.jsonSchema, whose patterns are regexes too.
  gw = await startTestGateway({}, { entities: `configs:
  - id: schema-check
    config:
      output_guardrails:
        - id: shape
          deny: true
          default.jsonSchema:
            schema: { type: object, properties: { name: { type: string, pattern: "^((a)+)+$" } } }
` });
  // The first call through a fresh gateway sets up connections and loads code: not what is measured.
  await (await chat(gw.url, fake.baseUrl)).arrayBuffer();
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('attack: a guardrail default.regexMatch of ^((a)+)+$ against a message of 27 a\'s and a b', () => {
  it('is answered at once: the pattern runs in linear time', async () => {
    const config = { input_guardrails: [{ id: 'evil', deny: true, 'default.regexMatch': { rule: '^((a)+)+$' } }] };
    const { ms, value: res } = await timed(() => chat(gw.url, fake.baseUrl, { config, content: `${'a'.repeat(27)}b` }));
    // No match, so the deny hook fails: 446, as Portkey answers a denied request.
    expect(res.status).toBe(446);
    await res.text();
    expect(ms).toBeLessThan(2000);
  });
});

describe('attack: a conditional $regex of ^(\\w|\\w)*$ against a 27-character metadata value', () => {
  it('routes at once: the pattern runs in linear time', async () => {
    const config = {
      strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.tag': { $regex: '^(\\w|\\w)*$' } }, then: 'a' }], default: 'a' },
      targets: [{ name: 'a', provider: 'openai', custom_host: fake.baseUrl, api_key: 'sk-upstream-test' }],
    };
    const { ms, value: res } = await timed(() => chat(gw.url, fake.baseUrl, { config, headers: { 'x-portkey-metadata': JSON.stringify({ tag: `${'a'.repeat(26)}!` }) } }));
    expect(res.status).toBe(200);
    await res.json();
    expect(ms).toBeLessThan(2000);
  });
});

describe('attack: a saved config\'s default.jsonSchema pattern ^((a)+)+$ against an answer holding 27 a\'s and a b', () => {
  it('is checked at once: schema patterns run on the same linear-time engine', async () => {
    const content = JSON.stringify({ name: `${'a'.repeat(27)}b` });
    const { ms, value: res } = await timed(() => chat(gw.url, fake.baseUrl, { headers: { 'x-portkey-config': 'schema-check' }, content }));
    // The fake echoes the JSON back; its name does not match the pattern, so the deny hook refuses the answer.
    expect(res.status).toBe(446);
    const body = await res.json();
    expect(body.hook_results.after_request_hooks[0].checks[0].data.errors[0]).toMatch(/\/name must match pattern/);
    expect(ms).toBeLessThan(2000);
  });
});

describe('attack: a pattern that compiles to a huge program, ((x{1000}){1000})', () => {
  it('is refused with a 400 that names the parameter', async () => {
    const config = { input_guardrails: [{ 'default.regexMatch': { rule: '(x{1000}){1000}' } }] };
    const res = await chat(gw.url, fake.baseUrl, { config });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.message).toMatch(/parameters\.rule: is not a valid regular expression \(.*invalid repeat count/);
  });
  it('one just under the repeat limit, but large, reads only a bounded text: a longer one fails the check instead of stalling', async () => {
    const config = { input_guardrails: [{ id: 'big', deny: true, 'default.regexMatch': { rule: '([a-z]{100}[0-9]{100}){5}' } }] };
    const { ms, value: res } = await timed(() => chat(gw.url, fake.baseUrl, { config, content: 'a'.repeat(200_000) }));
    expect(res.status).toBe(446);
    const body = await res.json();
    expect(JSON.stringify(body)).toMatch(/this pattern reads at most \d+/);
    expect(ms).toBeLessThan(2000);
  });
});

describe('attack: a pattern in a syntax only a backtracking engine supports', () => {
  it('is refused with a 400 saying so, as any invalid pattern is', async () => {
    for (const rule of ['(a)\\1', '(?=a)a', '(']) {
      const res = await chat(gw.url, fake.baseUrl, { config: { input_guardrails: [{ 'default.regexMatch': { rule } }] } });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'x-portkey-config', code: 'invalid_config' });
      expect(body.error.message).toMatch(/parameters\.rule: is not a valid regular expression/);
    }
  });
});

describe('ordinary patterns keep working', () => {
  it('a guardrail that matches passes, one that does not is denied', async () => {
    const ok = await chat(gw.url, fake.baseUrl, { config: { input_guardrails: [{ deny: true, 'default.regexMatch': { rule: '^hello\\b' } }] }, content: 'hello there' });
    expect(ok.status).toBe(200);
    await ok.json();
    const no = await chat(gw.url, fake.baseUrl, { config: { input_guardrails: [{ deny: true, 'default.regexMatch': { rule: '\\d{3}-\\d{4}' } }] }, content: 'hello there' });
    expect(no.status).toBe(446);
    await no.text();
    // JavaScript's escapes, as configs written for Portkey use them.
    const js = await chat(gw.url, fake.baseUrl, { config: { input_guardrails: [{ deny: true, 'default.regexMatch': { rule: 'caf\\u00e9[^]*\\/' } }] }, content: 'café au lait /' });
    expect(js.status).toBe(200);
    await js.json();
  });
});
