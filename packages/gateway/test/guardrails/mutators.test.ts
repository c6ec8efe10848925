/**
 * Rewriting hooks through the gateway, with the official openai SDK as the client and the fake OpenAI
 * (echoing the last user message) as the provider: input mutators change what the provider receives,
 * output mutators what the client receives; sequential hooks stop at the first failure; on_fail /
 * on_success feedback reaches hook_results and the log.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let upstream: FakeOpenAI;
let anthropic: FakeAnthropic;

beforeAll(async () => {
  [upstream, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await anthropic?.close();
});
beforeEach(() => {
  upstream.reset();
  anthropic.reset();
});

function client(config: object): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test-mutators-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
    defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, ...config }) },
  });
}

type Hooks = { before_request_hooks: Array<Record<string, any>>; after_request_hooks: Array<Record<string, any>> };
const hooksOf = (data: unknown) => (data as { hook_results: Hooks }).hook_results;
const lastUserMessage = () => upstream.requests.at(-1)!.body.messages.at(-1).content;

async function logDocument(trace: string | null) {
  return eventually(() => {
    const doc = readAllLogs(gw).trim().split('\n').map((l) => JSON.parse(l)).find((d) => d.trace_id === trace);
    if (!doc) throw new Error('no document yet');
    return doc;
  });
}

describe('input mutators', () => {
  it('input_mutators with default.regexReplace rewrite the request before the provider sees it', async () => {
    const { data, response } = await client({ input_mutators: [{ 'default.regexReplace': { rule: 'acct-\\d+', redactText: '[ACCOUNT]' } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'move acct-1234 to acct-99' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(lastUserMessage()).toBe('move [ACCOUNT] to [ACCOUNT]');
    expect(data.choices[0].message.content).toBe('Echo: move [ACCOUNT] to [ACCOUNT]');
    const [hook] = hooksOf(data).before_request_hooks;
    expect(hook).toMatchObject({ type: 'mutator', verdict: true, transformed: true, checks: [{ id: 'default.regexReplace', transformed: true, data: { matches: 2 } }] });
    // What was logged is what was sent: the account numbers are gone from the document too.
    const doc = await logDocument(response.headers.get('x-portkey-trace-id'));
    expect(JSON.stringify(doc)).not.toContain('acct-1234');
  });

  it('default.redact_pii in a mutator hook replaces email, phone, card, SSN and IP in the request', async () => {
    const text = 'mail jo@example.com, call (415) 555-0134, card 4111 1111 1111 1111, ssn 123-45-6789, host 10.1.2.3';
    const { data } = await client({ before_request_hooks: [{ type: 'mutator', id: 'pii', checks: [{ id: 'default.redact_pii' }] }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }).withResponse();
    expect(lastUserMessage()).toBe('mail [EMAIL_ADDRESS], call [PHONE_NUMBER], card [CREDIT_CARD], ssn [SSN], host [IP_ADDRESS]');
    expect(hooksOf(data).before_request_hooks[0].checks[0].data.found).toEqual({ email: 1, phone: 1, credit_card: 1, ssn: 1, ip_address: 1 });
    expect(JSON.stringify(data)).not.toContain('4111');
  });

  it('rewrites only the text parts of a multi-part message, and leaves the other messages alone', async () => {
    await client({ input_mutators: [{ 'default.redact_pii': { patterns: ['email'] } }] }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'support desk for ops@example.com' },
        { role: 'user', content: [{ type: 'text', text: 'I am ann@example.org' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
    });
    const sent = upstream.requests.at(-1)!.body.messages;
    expect(sent[0].content).toBe('support desk for ops@example.com');
    expect(sent[1].content).toEqual([{ type: 'text', text: 'I am [EMAIL_ADDRESS]' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }]);
  });

  it('default.addPrefix adds a system message, or a prefix to the first user message', async () => {
    await client({ input_mutators: [{ 'default.addPrefix': { prefix: 'Answer in French.', applyToRole: 'system' } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    expect(upstream.requests.at(-1)!.body.messages).toEqual([{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'hello' }]);
    await client({ input_mutators: [{ 'default.addPrefix': { prefix: 'Q: ' } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'second' }] });
    expect(upstream.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content)).toEqual(['Q: first', 'ok', 'second']);
    await client({ input_mutators: [{ 'default.addPrefix': { prefix: 'Be brief.', applyToRole: 'system', onlyIfEmpty: true } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be long.' }, { role: 'user', content: 'x' }] });
    expect(upstream.requests.at(-1)!.body.messages[0]).toEqual({ role: 'system', content: 'Be long.' });
  });

  it('a guardrail after a mutator sees the rewritten text; mutators run first', async () => {
    const { response } = await client({
      input_guardrails: [{ 'default.regexMatch': { rule: '\\d{3}-\\d{2}-\\d{4}', not: true }, deny: true }],
      input_mutators: [{ 'default.redact_pii': { patterns: ['ssn'] } }],
    }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ssn 123-45-6789' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(lastUserMessage()).toBe('ssn [SSN]');
  });

  it('a regexReplace with failOnDetection in a denying guardrail refuses the request and sends nothing', async () => {
    const err = await client({ input_guardrails: [{ 'default.regexReplace': { rule: 'secret', failOnDetection: true }, deny: true }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the secret' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(446);
    expect(upstream.requests).toHaveLength(0);
  });

  it('rewrites a streaming request too: input rewrites happen before anything is sent', async () => {
    const stream = await client({ input_mutators: [{ 'default.redact_pii': { patterns: ['ssn'] } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'ssn 123-45-6789' }] });
    let said = '';
    for await (const chunk of stream) said += chunk.choices[0]?.delta?.content ?? '';
    expect(lastUserMessage()).toBe('ssn [SSN]');
    expect(said).toBe('Echo: ssn [SSN]');
  });

  it('applies to the Responses API input too', async () => {
    await client({ input_mutators: [{ 'default.regexReplace': { rule: 'token-[a-z]+' } }] })
      .responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: [{ type: 'input_text', text: 'use token-abc' }] }] });
    expect(JSON.stringify(upstream.requests.at(-1)!.body.input)).toContain('use [REDACTED]');
  });
});

describe('output mutators', () => {
  it('output_mutators rewrite the answer before the client gets it', async () => {
    upstream.enqueue({ text: 'write to boss@corp.example or 555-867-5309' });
    const { data, response } = await client({ output_mutators: [{ 'default.redact_pii': {} }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'who?' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0].message.content).toBe('write to [EMAIL_ADDRESS] or [PHONE_NUMBER]');
    expect(hooksOf(data).after_request_hooks[0]).toMatchObject({ type: 'mutator', transformed: true });
  });

  it('refuses output rewriting on a stream, by name, before calling the provider', async () => {
    const err = await client({ output_mutators: [{ id: 'scrub', 'default.regexReplace': { rule: 'x' } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toMatch(/Output hook "scrub" rewrites the response .* send "stream": false/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a mutator that would be skipped or could not act: async, deny', async () => {
    for (const [hook, message] of [
      [{ type: 'mutator', async: true, checks: [{ id: 'default.regexReplace', parameters: { rule: 'x' } }] }, /\.async: a hook that rewrites .* must run before/],
      [{ type: 'mutator', deny: true, checks: [{ id: 'default.regexReplace', parameters: { rule: 'x' } }] }, /\.deny: a mutator rewrites and never denies/],
      [{ type: 'mutator', checks: [{ id: 'default.regexReplace', parameters: { rule: 'x', replacement: 'y' } }] }, /parameters\.replacement: is not a parameter of this check; it takes rule, redactText, failOnDetection/],
    ] as const) {
      const err = await client({ before_request_hooks: [hook] }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('mutators on Anthropic\'s shapes', () => {
  const config = {
    provider: 'anthropic', custom_host: 'ANTHROPIC',
    input_mutators: [{ 'default.redact_pii': { patterns: ['email'] } }],
    output_mutators: [{ 'default.regexReplace': { rule: 'fake Anthropic', redactText: 'the model' } }],
  };
  const withHost = () => JSON.stringify({ ...config, custom_host: anthropic.baseUrlV1 });

  it('rewrite a native /v1/messages request and its text blocks (Anthropic SDK)', async () => {
    const message = await new Anthropic({ apiKey: 'sk-ant-test-mutators-0123456789', baseURL: gw.url, maxRetries: 0, defaultHeaders: { 'x-portkey-config': withHost() } })
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: [{ type: 'text', text: 'I am bo@example.com' }] }] });
    expect((anthropic.requests.at(-1)!.body as { messages: Array<{ content: unknown }> }).messages[0].content).toEqual([{ type: 'text', text: 'I am [EMAIL_ADDRESS]' }]);
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from the model. You said: I am [EMAIL_ADDRESS]' });
  });

  it('rewrite a chat request translated to Anthropic, and the translated answer (openai SDK)', async () => {
    const completion = await new OpenAI({ apiKey: 'sk-test-mutators-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': withHost() } })
      .chat.completions.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'mail cy@example.net' }] });
    expect(JSON.stringify((anthropic.requests.at(-1)!.body as { messages: unknown }).messages)).toContain('mail [EMAIL_ADDRESS]');
    expect(completion.choices[0].message.content).toBe('Hello from the model. You said: mail [EMAIL_ADDRESS]');
  });
});

describe('sequential hooks and feedback', () => {
  const checks = [
    { id: 'default.contains', parameters: { words: ['alpha'], operator: 'any' } },
    { id: 'default.contains', parameters: { words: ['beta'], operator: 'any' } },
    { id: 'default.wordCount', parameters: { minWords: 1 } },
  ];

  it('sequential: true runs checks in order and stops at the first that fails; parallel runs them all', async () => {
    const seq = await client({ before_request_hooks: [{ id: 'seq', sequential: true, checks }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'beta only' }] }).withResponse();
    expect(seq.response.status).toBe(246);
    expect(hooksOf(seq.data).before_request_hooks[0].checks.map((c: { verdict: boolean }) => c.verdict)).toEqual([false]);
    const par = await client({ before_request_hooks: [{ id: 'par', checks }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'beta only' }] }).withResponse();
    expect(hooksOf(par.data).before_request_hooks[0].checks.map((c: { verdict: boolean }) => c.verdict)).toEqual([false, true, true]);
  });

  it('attaches on_fail / on_success feedback to hook_results and the log document', async () => {
    const hook = { id: 'rated', checks, on_fail: { feedback: { value: -3, weight: 0.5, metadata: { team: 'safety' } } }, on_success: { feedback: { value: 2, weight: 1 } } };
    const failed = await client({ before_request_hooks: [hook] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'alpha only' }] }).withResponse();
    expect(hooksOf(failed.data).before_request_hooks[0].feedback).toEqual({
      value: -3, weight: 0.5,
      metadata: { team: 'safety', successfulChecks: 'default.contains, default.wordCount', failedChecks: 'default.contains', erroredChecks: '' },
    });
    const doc = await logDocument(failed.response.headers.get('x-portkey-trace-id'));
    expect(doc.hook_results.before_request_hooks[0].feedback.value).toBe(-3);
    const passed = await client({ before_request_hooks: [hook] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'alpha beta' }] });
    expect(hooksOf(passed).before_request_hooks[0].feedback).toMatchObject({ value: 2, weight: 1, metadata: { failedChecks: '' } });
    const none = await client({ before_request_hooks: [{ checks }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'alpha beta' }] });
    expect(hooksOf(none).before_request_hooks[0].feedback).toBeNull();
  });

  it('refuses feedback outside Portkey\'s range, and unknown hook fields, by name', async () => {
    for (const [hook, message] of [
      [{ checks, on_fail: { feedback: { value: 50 } } }, /on_fail\.feedback\.value: must be an integer from -10 to 10/],
      [{ checks, on_success: { feedback: { value: 1, weight: 2 } } }, /on_success\.feedback\.weight: must be a number from 0 to 1/],
      [{ checks, on_failure: { feedback: { value: 1 } } }, /before_request_hooks\[0\]\.on_failure: is not a field of a hook/],
      [{ checks, sequential: 'yes' }, /\.sequential: must be true or false/],
    ] as const) {
      const err = await client({ before_request_hooks: [hook] }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((err as Error).message).toMatch(message);
    }
  });
});
