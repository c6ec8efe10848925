import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let anthropic: FakeAnthropic;
let openai: FakeOpenAI;
const ANTHROPIC_KEY = 'sk-ant-test-0123456789abcdef';

beforeAll(async () => {
  [anthropic, openai] = await Promise.all([startFakeAnthropic(), startFakeOpenAI()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([anthropic?.close(), openai?.close()]);
});
beforeEach(() => {
  anthropic.requests.length = 0;
  openai.reset();
});

function anthropicClient(headers: Record<string, string>): Anthropic {
  return new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: gw.url, maxRetries: 0, defaultHeaders: headers });
}
const toAnthropic = () => anthropicClient({ 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1 });
const toOpenAI = () => anthropicClient({ 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl, authorization: 'Bearer sk-openai-test' });

describe('@anthropic-ai/sdk → /v1/messages', () => {
  it('passes through natively to Anthropic, with the key as x-api-key', async () => {
    const msg = await toAnthropic().messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    expect((msg.content[0] as { text: string }).text).toContain('You said: Hello there');
    expect(anthropic.requests[0].headers['x-api-key']).toBe(ANTHROPIC_KEY);
  });

  it('streams natively, every event intact', async () => {
    const stream = toAnthropic().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Stream it' }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as { text: string }).text).toContain('You said: Stream it');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('relays a native stream whose events arrive apart, one read each', async () => {
    // Real Anthropic streams arrive event by event; the relay must not judge the stream before it ends.
    anthropic.enqueue({ eventDelayMs: 15 });
    const stream = toAnthropic().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Stream it slowly' }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as { text: string }).text).toContain('You said: Stream it slowly');
    expect(final.stop_reason).toBe('end_turn');
  });

  it('fails a natively relayed stream that is cut mid-way', async () => {
    anthropic.enqueue({ cutAfterEvents: 3, eventDelayMs: 30 });
    const stream = toAnthropic().messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'cut me please now' }] });
    await expect(stream.finalMessage()).rejects.toThrow();
  });

  it('is served by an OpenAI provider through translation, streaming included', async () => {
    const msg = await toOpenAI().messages.create({ model: 'gpt-4o-mini', max_tokens: 50, system: 'Be brief', messages: [{ role: 'user', content: 'translate me' }] });
    expect(msg.type).toBe('message');
    expect((msg.content[0] as { text: string }).text).toBe('Echo: translate me');
    expect(openai.requests[0].body.messages[0]).toEqual({ role: 'system', content: 'Be brief' });
    expect(msg.usage.input_tokens).toBe(9);

    const stream = toOpenAI().messages.stream({ model: 'gpt-4o-mini', max_tokens: 50, messages: [{ role: 'user', content: 'stream translate' }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as { text: string }).text).toBe('Echo: stream translate');
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(12);
  });

  it('translates tool use from an OpenAI provider', async () => {
    const msg = await toOpenAI().messages.create({
      model: 'gpt-4o-mini', max_tokens: 50,
      tools: [{ name: 'search', description: 'search', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'find owls' }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    const block = msg.content.find((b) => b.type === 'tool_use') as { name: string; input: unknown };
    expect(block.name).toBe('search');
    expect(block.input).toEqual({ query: 'find owls' });
  });

  it('answers errors in Anthropic shape', async () => {
    const err = await toAnthropic().messages.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] } as never).catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe('openai SDK → Anthropic through translation', () => {
  const client = () => new OpenAI({ apiKey: ANTHROPIC_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'anthropic', 'x-portkey-custom-host': anthropic.baseUrlV1 } });

  it('maps a chat completion both ways', async () => {
    const res = await client().chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'Hi Claude' }] });
    assertOpenAI('CreateChatCompletionResponse', res);
    expect(res.choices[0].message.content).toContain('You said: Hi Claude');
    const sent = anthropic.requests[0].body as { system: unknown; max_tokens: number };
    expect(sent.system).toBeDefined();
    expect(sent.max_tokens).toBeGreaterThan(0);
  });

  it('streams with usage and tool-call deltas', async () => {
    const stream = await client().chat.completions.create({
      model: 'claude-sonnet-4-5', stream: true, stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      messages: [{ role: 'user', content: 'weather?' }],
    });
    let args = '';
    let usage: unknown;
    let finish: string | null = null;
    for await (const chunk of stream) {
      assertOpenAI('CreateChatCompletionStreamResponse', chunk);
      args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toBe('tool_calls');
    expect(() => JSON.parse(args)).not.toThrow();
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });
  });

  it('ends a translated stream that dies mid-way with an error', async () => {
    anthropic.enqueue({ errorEventAfter: 3, errorType: 'overloaded_error', eventDelayMs: 30 });
    const stream = await client().chat.completions.create({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'long answer please' }] });
    await expect((async () => {
      for await (const _ of stream) { /* drain */ }
    })()).rejects.toThrow();
  });
});
