/** Guardrails in a routing config, through the official openai SDK: 446 denies, 246 flags, hook_results in bodies and logs. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let upstream: FakeOpenAI;
let backup: FakeOpenAI;
let anthropic: FakeAnthropic;

function client(config: object): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test-guardrails-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
    defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, ...config }) },
  });
}

/** The log document of a trace: documents are written off the request path, in batches, so wait for it. */
async function logDocument(trace: string | null) {
  const find = () => {
    try {
      return readAllLogs(gw).trim().split('\n').map((l) => JSON.parse(l)).find((d) => d.trace_id === trace);
    } catch {
      return undefined; // no log directory yet
    }
  };
  for (let i = 0; i < 100 && !find(); i++) await new Promise((r) => setTimeout(r, 50));
  return find();
}

const noSsn = { id: 'no-ssn', deny: true, checks: [{ id: 'default.regexMatch', parameters: { rule: '\\d{3}-\\d{2}-\\d{4}', not: true } }] };

beforeAll(async () => {
  [upstream, backup, anthropic] = await Promise.all([startFakeOpenAI(), startFakeOpenAI(), startFakeAnthropic()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await backup?.close();
  await anthropic?.close();
});
beforeEach(() => {
  upstream.reset();
  backup.reset();
});

describe('guardrails', () => {
  it('denies a request an input guardrail fails with 446 and hook_results, without calling the provider', async () => {
    const err = await client({ before_request_hooks: [noSsn] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'my ssn is 123-45-6789' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBe(446);
    expect(apiErr.message).toMatch(/guardrail checks defined in the config failed/);
    const raw = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, before_request_hooks: [noSsn] }) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ssn 123-45-6789' }] }),
    });
    expect(raw.status).toBe(446);
    const body = await raw.json();
    expect(body.error).toMatchObject({ type: 'hooks_failed', code: 'guardrails_denied', param: null });
    expect(body.hook_results.before_request_hooks[0]).toMatchObject({ id: 'no-ssn', verdict: false, deny: true, checks: [{ id: 'default.regexMatch', verdict: false, data: { matched: true, not: true } }] });
    expect(JSON.stringify(body)).not.toContain('123-45-6789');
    expect(upstream.requests).toHaveLength(0);
  });

  it('passes a clean request with status 200 and hook_results that say so', async () => {
    const { data, response } = await client({ before_request_hooks: [noSsn] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'what is a fractal?' }] }).withResponse();
    expect(response.status).toBe(200);
    assertOpenAI('CreateChatCompletionResponse', data);
    const hooks = (data as unknown as { hook_results: { before_request_hooks: Array<{ id: string; verdict: boolean; checks: Array<{ id: string; verdict: boolean }> }> } }).hook_results;
    expect(hooks.before_request_hooks).toMatchObject([{ id: 'no-ssn', verdict: true, checks: [{ id: 'default.regexMatch', verdict: true }] }]);
  });

  it('lets a request that fails a guardrail without deny through with 246, and logs the verdicts', async () => {
    const { data, response } = await client({ output_guardrails: [{ id: 'short', 'default.wordCount': { maxWords: 2 } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'tell me four words' }] }).withResponse();
    expect(response.status).toBe(246);
    expect(data.choices[0].message.content).toBe('Echo: tell me four words');
    const after = (data as unknown as { hook_results: { after_request_hooks: Array<{ verdict: boolean; checks: Array<{ data: { count: number } }> }> } }).hook_results.after_request_hooks;
    expect(after[0].verdict).toBe(false);
    expect(after[0].checks[0].data.count).toBe(5);
    const doc = await logDocument(response.headers.get('x-portkey-trace-id'));
    expect(doc.response.status).toBe(246);
    expect(doc.hook_results.after_request_hooks[0]).toMatchObject({ id: 'short', verdict: false, deny: false });
  });

  it('denies a response an output guardrail fails, after the call, and charges what the call used', async () => {
    const err = await client({ after_request_hooks: [{ deny: true, checks: [{ id: 'default.contains', parameters: { words: ['secret plan'], operator: 'none' } }] }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the secret plan' }] })
      .catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(446);
    expect(upstream.requests).toHaveLength(1);
  });

  it('falls back when an output guardrail denies the answer of a target, unless on_status_codes leaves 446 out', async () => {
    const guard = { output_guardrails: [{ id: 'no-forbidden', 'default.contains': { words: ['forbidden'], operator: 'none' }, deny: true }] };
    const targets = [{ provider: 'openai', custom_host: upstream.baseUrl }, { provider: 'openai', custom_host: backup.baseUrl }];
    upstream.enqueue({ text: 'a forbidden answer' });
    const { data, response } = await new OpenAI({
      apiKey: 'sk-test-0123456789abcdef', baseURL: `${gw.url}/v1`, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ ...guard, strategy: { mode: 'fallback' }, targets }) },
    }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    expect(data.choices[0].message.content).toBe('Echo: hello');
    expect(upstream.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);

    upstream.enqueue({ text: 'a forbidden answer' });
    const err = await new OpenAI({
      apiKey: 'sk-test-0123456789abcdef', baseURL: `${gw.url}/v1`, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ ...guard, strategy: { mode: 'fallback', on_status_codes: [500, 503] }, targets }) },
    }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(446);
    expect(backup.requests).toHaveLength(1);
  });

  it('streams with input guardrails (246 when flagged) and refuses a deny output guardrail on a stream', async () => {
    const flagged = await client({ input_guardrails: [{ 'default.contains': { words: ['please'], operator: 'none' } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream please' }], stream: true }).withResponse();
    expect(flagged.response.status).toBe(246);
    let text = '';
    for await (const c of flagged.data) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Echo: stream please');

    // A non-deny output guardrail runs on the finished stream; its verdict goes to the log.
    const logged = await client({ output_guardrails: [{ id: 'brief', 'default.wordCount': { maxWords: 2 } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a longer stream' }], stream: true }).withResponse();
    for await (const _ of logged.data) { /* drain */ }
    const doc = await logDocument(logged.response.headers.get('x-portkey-trace-id'));
    expect(doc.hook_results.after_request_hooks[0]).toMatchObject({ id: 'brief', verdict: false, checks: [{ data: { count: 4 } }] });

    const refused = await client({ output_guardrails: [{ 'default.contains': { words: ['x'], operator: 'none' }, deny: true }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .catch((e: unknown) => e);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((refused as Error).message).toMatch(/cannot hold back a stream/);
  });

  it('runs output guardrails on natively relayed streams too (completions, Anthropic messages), logging the verdicts', async () => {
    const completion = await client({ output_guardrails: [{ id: 'brief', 'default.wordCount': { maxWords: 2 } }] })
      .completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hello there', stream: true }).withResponse();
    let text = '';
    for await (const c of completion.data) text += c.choices[0]?.text ?? '';
    expect(text).toBe(' completion of hello there');
    const doc = await logDocument(completion.response.headers.get('x-portkey-trace-id'));
    expect(doc.hook_results.after_request_hooks[0]).toMatchObject({ id: 'brief', verdict: false, checks: [{ data: { count: 4 } }] });

    const messages = await new Anthropic({
      apiKey: 'sk-ant-test-guardrails-0123456789', baseURL: gw.url, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'anthropic', custom_host: anthropic.baseUrlV1, output_guardrails: [{ id: 'short', 'default.wordCount': { maxWords: 1 } }] }) },
    }).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'say a few words' }], stream: true }).withResponse();
    let said = '';
    for await (const ev of messages.data) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') said += ev.delta.text;
    const words = said.split(/\s+/).filter(Boolean).length;
    expect(words).toBeGreaterThan(1);
    const mdoc = await logDocument(messages.response.headers.get('x-portkey-trace-id'));
    expect(mdoc.hook_results.after_request_hooks[0]).toMatchObject({ id: 'short', verdict: false, checks: [{ data: { count: words } }] });
  });

  it('answers a bad guardrail config, or guardrails on an endpoint they cannot read, with a 400 that says what to fix', async () => {
    const bad = await client({ input_guardrails: [{ 'default.regexMatch': { rule: '(a+)(?!b)' }, deny: true }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect((bad as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((bad as Error).message).toMatch(/config\.input_guardrails\[0\]\["default\.regexMatch"\]\.parameters\.rule: is not a valid regular expression/);
    const embeddings = await client({ input_guardrails: [{ 'default.contains': { words: ['x'] } }] })
      .embeddings.create({ model: 'text-embedding-3-small', input: 'hi' })
      .catch((e: unknown) => e);
    expect((embeddings as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((embeddings as Error).message).toMatch(/Guardrails apply to \/v1\/chat\/completions, \/v1\/completions, \/v1\/messages and \/v1\/responses/);
  });

  it('guards Anthropic Messages too: 446 in the Anthropic error shape, 246 with hook_results on the message', async () => {
    const client = (config: object) => new Anthropic({
      apiKey: 'sk-ant-test-guardrails-0123456789', baseURL: gw.url, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'anthropic', custom_host: anthropic.baseUrlV1, ...config }) },
    });
    const denied = await client({ input_guardrails: [{ 'default.contains': { words: ['forbidden'], operator: 'none' }, deny: true }] })
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'a forbidden topic' }] })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(Anthropic.APIError);
    expect((denied as InstanceType<typeof Anthropic.APIError>).status).toBe(446);
    expect((denied as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' }, hook_results: { before_request_hooks: [{ verdict: false }] } });

    const flagged = await client({ output_guardrails: [{ 'default.wordCount': { maxWords: 1 } }] })
      .messages.create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'say a few words' }] }).withResponse();
    expect(flagged.response.status).toBe(246);
    expect((flagged.data as unknown as { hook_results: { after_request_hooks: Array<{ verdict: boolean }> } }).hook_results.after_request_hooks[0].verdict).toBe(false);
    expect(flagged.data.content[0].type).toBe('text');

    // Translated: /v1/messages served by an OpenAI-format provider keeps the Anthropic shape.
    const translated = await new Anthropic({
      apiKey: 'sk-test-guardrails-0123456789', baseURL: gw.url, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, output_guardrails: [{ 'default.wordCount': { maxWords: 1 } }] }) },
    }).messages.create({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'two words' }] }).withResponse();
    expect(translated.response.status).toBe(246);
    expect(translated.data).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Echo: two words' }] });
    expect((translated.data as unknown as { hook_results: { after_request_hooks: Array<{ checks: Array<{ data: { count: number } }> }> } }).hook_results.after_request_hooks[0].checks[0].data.count).toBe(3);
  });

  it('runs default.jsonSchema from a saved config, and refuses the same config inline', async () => {
    const config = {
      provider: 'openai', custom_host: upstream.baseUrl,
      output_guardrails: [{ id: 'person', deny: true, 'default.jsonSchema': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } }],
    };
    const saved = await startTestGateway({}, { entities: `configs:\n  - id: structured\n    config: ${JSON.stringify(config)}\n` });
    try {
      const viaSaved = new OpenAI({ apiKey: 'sk-test-0123456789abcdef', baseURL: `${saved.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': 'structured' } });
      const ok = await viaSaved.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '{"name":"Ada"}' }] }).withResponse();
      expect(ok.response.status).toBe(200);
      const bad = await viaSaved.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '{"age":3}' }] }).catch((e: unknown) => e);
      expect((bad as InstanceType<typeof OpenAI.APIError>).status).toBe(446);
      const inline = await new OpenAI({ apiKey: 'sk-test-0123456789abcdef', baseURL: `${saved.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config) } })
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: '{"name":"Ada"}' }] }).catch((e: unknown) => e);
      expect((inline as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
      expect((inline as Error).message).toMatch(/runs only in saved configs/);
    } finally {
      await saved.close();
    }
  });

  it('guards the Responses API, translated for a provider without one', async () => {
    const client = (config: object) => new OpenAI({
      apiKey: 'sk-ant-test-guardrails-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
      defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'anthropic', custom_host: anthropic.baseUrlV1, ...config }) },
    });
    const denied = await client({ input_guardrails: [{ 'default.contains': { words: ['forbidden'], operator: 'none' }, deny: true }] })
      .responses.create({ model: 'claude-sonnet-4-5', input: [{ role: 'user', content: [{ type: 'input_text', text: 'a forbidden topic' }] }] })
      .catch((e: unknown) => e);
    expect((denied as InstanceType<typeof OpenAI.APIError>).status).toBe(446);
    const flagged = await client({ output_guardrails: [{ 'default.wordCount': { maxWords: 1 } }] })
      .responses.create({ model: 'claude-sonnet-4-5', input: 'say a few words', max_output_tokens: 64 }).withResponse();
    expect(flagged.response.status).toBe(246);
    expect(flagged.data.output_text.length).toBeGreaterThan(0);
    const after = (flagged.data as unknown as { hook_results: { after_request_hooks: Array<{ verdict: boolean; checks: Array<{ data: { count: number } }> }> } }).hook_results.after_request_hooks[0];
    expect(after.verdict).toBe(false);
    expect(after.checks[0].data.count).toBe(flagged.data.output_text.split(/\s+/).filter(Boolean).length);
  });
});
