/**
 * Hooks on targets, as Portkey inherits them: a target's own input and output hooks run around each
 * attempt on it, after those of the targets above it; the root's run around the whole request. Through
 * the gateway with the official openai SDK, against two fake OpenAI providers.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let primary: FakeOpenAI;
let backup: FakeOpenAI;

beforeAll(async () => {
  [primary, backup] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await primary?.close();
  await backup?.close();
});
beforeEach(() => {
  primary.reset();
  backup.reset();
});

function client(config: object): OpenAI {
  return new OpenAI({ apiKey: 'sk-test-target-hooks-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config) } });
}

const ask = (c: OpenAI, content: string) => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }).withResponse();
type Hooks = { before_request_hooks: Array<{ id: string; verdict: boolean }>; after_request_hooks: Array<{ id: string; verdict: boolean }> };
const hooksOf = (data: unknown) => (data as { hook_results: Hooks }).hook_results;

describe('hooks on targets', () => {
  it('a target\'s input guardrail denies its attempt only: the fallback target answers', async () => {
    const config = {
      strategy: { mode: 'fallback' },
      targets: [
        { provider: 'openai', custom_host: primary.baseUrl, input_guardrails: [{ id: 'no-internal', 'default.contains': { words: ['internal'], operator: 'none' }, deny: true }] },
        { provider: 'openai', custom_host: backup.baseUrl },
      ],
    };
    const { data, response } = await ask(client(config), 'an internal question');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    expect(primary.requests).toHaveLength(0);
    expect(backup.requests).toHaveLength(1);
    // The answer is the attempt that answered, which ran no hooks: the denying target's are not in it.
    expect((data as unknown as { hook_results?: unknown }).hook_results).toBeUndefined();

    // A request the guardrail passes goes to the first target.
    const ok = await ask(client(config), 'a public question');
    expect(ok.response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[0]');
    expect(hooksOf(ok.data).before_request_hooks).toMatchObject([{ id: 'no-internal', verdict: true }]);
  });

  it('nested targets inherit their parents\' hooks, outer first, and a target\'s rewrite goes to its own attempt only', async () => {
    const config = {
      strategy: { mode: 'fallback' },
      targets: [
        {
          strategy: { mode: 'single' },
          input_mutators: [{ id: 'outer', 'default.regexReplace': { rule: 'alpha', redactText: 'beta' } }],
          targets: [{ provider: 'openai', custom_host: primary.baseUrl, input_mutators: [{ id: 'inner', 'default.regexReplace': { rule: 'beta', redactText: 'gamma' } }] }],
        },
        { provider: 'openai', custom_host: backup.baseUrl },
      ],
    };
    const { data } = await ask(client(config), 'alpha beta');
    // Outer then inner: alpha→beta, then every beta→gamma. Inner first would have left "beta gamma".
    expect(primary.requests[0].body.messages[0].content).toBe('gamma gamma');
    expect(hooksOf(data).before_request_hooks.map((h) => h.id)).toEqual(['outer', 'inner']);

    // When that attempt fails, the fallback target gets the request as the client sent it.
    primary.enqueue({ status: 500 });
    await ask(client(config), 'alpha beta');
    expect(backup.requests[0].body.messages[0].content).toBe('alpha beta');
  });

  it('root hooks run once around the request, target hooks per attempt, and a target\'s output guardrail can send the request on', async () => {
    const config = {
      input_guardrails: [{ id: 'root-in', 'default.wordCount': { minWords: 1 } }],
      strategy: { mode: 'fallback' },
      targets: [
        { provider: 'openai', custom_host: primary.baseUrl, output_guardrails: [{ id: 'no-forbidden', 'default.contains': { words: ['forbidden'], operator: 'none' }, deny: true }] },
        { provider: 'openai', custom_host: backup.baseUrl },
      ],
    };
    primary.enqueue({ text: 'a forbidden answer' });
    const { data, response } = await ask(client(config), 'hello');
    expect(response.status).toBe(200);
    expect(data.choices[0].message.content).toBe('Echo: hello');
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
    expect(hooksOf(data).before_request_hooks.map((h) => h.id)).toEqual(['root-in']);
    expect(hooksOf(data).after_request_hooks).toEqual([]);
  });

  it('leaves requests to targets without hooks alone, even on routes guardrails do not cover', async () => {
    const config = {
      strategy: { mode: 'conditional', conditions: [{ query: { 'url.pathname': '/v1/embeddings' }, then: 'embed' }], default: 'chat' },
      targets: [
        { name: 'embed', provider: 'openai', custom_host: backup.baseUrl },
        { name: 'chat', provider: 'openai', custom_host: primary.baseUrl, input_guardrails: [{ 'default.wordCount': { minWords: 1 } }] },
      ],
    };
    const res = await client(config).embeddings.create({ model: 'text-embedding-3-small', input: 'hello' }).withResponse();
    expect(res.response.status).toBe(200);
    expect((res.data as unknown as { hook_results?: unknown }).hook_results).toBeUndefined();
    expect(backup.requests.map((r) => r.path)).toEqual(['/v1/embeddings']);
  });

  it('refuses a target hook it cannot honour at once, without trying another target', async () => {
    const config = {
      strategy: { mode: 'fallback' },
      targets: [
        { provider: 'openai', custom_host: primary.baseUrl, output_mutators: [{ id: 'scrub', 'default.redact_pii': {} }] },
        { provider: 'openai', custom_host: backup.baseUrl },
      ],
    };
    const err = await client(config).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toMatch(/Output hook "scrub" rewrites the response/);
    expect(primary.requests).toHaveLength(0);
    expect(backup.requests).toHaveLength(0);
  });
});
