/**
 * Official clients through the whole gateway to the fake Bedrock: openai (chat, streaming, embeddings)
 * and @anthropic-ai/sdk (/v1/messages translated to Converse), credentials in x-portkey-aws-* headers,
 * the endpoint in x-portkey-custom-host. The fake checks every SigV4 signature with aws4.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_AWS_CREDENTIALS, startFakeBedrock, type FakeBedrock } from '../../fakes/bedrock.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const PROFILE = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
let gw: TestGateway;
let fake: FakeBedrock;

const headers = (extra: Record<string, string> = {}) => ({
  'x-portkey-provider': 'bedrock',
  'x-portkey-custom-host': fake.url,
  'x-portkey-aws-access-key-id': FAKE_AWS_CREDENTIALS.accessKeyId,
  'x-portkey-aws-secret-access-key': FAKE_AWS_CREDENTIALS.secretAccessKey,
  'x-portkey-aws-region': 'us-east-1',
  ...extra,
});
const openai = (extra?: Record<string, string>) => new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: headers(extra) });

beforeAll(async () => {
  fake = await startFakeBedrock();
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.reply({});
});

describe('openai SDK → gateway → Bedrock', () => {
  it('chat completion via Converse', async () => {
    fake.reply({ text: 'Hi from Bedrock.', usage: { inputTokens: 8, outputTokens: 4 } });
    const out = await openai().chat.completions.create({ model: PROFILE, messages: [{ role: 'user', content: 'Hello' }] });
    expect(out.choices[0]!.message.content).toBe('Hi from Bedrock.');
    expect(out.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 });
    expect(fake.requests.at(-1)).toMatchObject({ operation: 'converse', modelId: PROFILE, signature: 'valid' });
  });

  it('streaming with tool calls and usage in the stream', async () => {
    fake.reply({ text: 'Looking.', toolUse: { name: 'get_weather', input: { city: 'Lima' } }, usage: { inputTokens: 30, outputTokens: 12 } });
    const stream = await openai().chat.completions.create({
      model: PROFILE,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Weather in Lima?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    });
    let text = '';
    let args = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      args += c.choices[0]?.delta.tool_calls?.map((t) => t.function?.arguments ?? '').join('') ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect([text, JSON.parse(args), finish]).toEqual(['Looking.', { city: 'Lima' }, 'tool_calls']);
    expect(usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 12 });
    expect(fake.requests.at(-1)).toMatchObject({ operation: 'converse-stream', signature: 'valid' });
  });

  it('an exception mid-stream reaches the client as an error, not a clean end', async () => {
    fake.fault({ kind: 'stream-exception', afterEvents: 2, exceptionType: 'throttlingException', message: 'Too many tokens, please wait before trying again.' });
    // Before the gateway commits the response the error becomes the HTTP status; after, an error event.
    await expect((async () => {
      const stream = await openai().chat.completions.create({ model: PROFILE, stream: true, messages: [{ role: 'user', content: 'x' }] });
      for await (const _c of stream) { /* drain */ }
    })()).rejects.toThrow(/Too many tokens/);
  });

  it('after the first chunks, a mid-stream exception arrives as an error event with the chunks before it', async () => {
    fake.reply({ text: 'one two three four five six' });
    fake.fault({ kind: 'stream-exception', afterEvents: 4, delayMs: 40, exceptionType: 'modelStreamErrorException', message: 'The model stream failed.' });
    const stream = await openai().chat.completions.create({ model: PROFILE, stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('one two three f'); // messageStart + three 5-character deltas
    expect(String(err)).toMatch(/ModelStreamErrorException during the stream: The model stream failed/);
  });

  it('throttling before the answer is a 429 with AWS\'s error type', async () => {
    fake.fault({ kind: 'throttle' });
    const e = await openai().chat.completions.create({ model: PROFILE, messages: [{ role: 'user', content: 'x' }] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect((e as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
  });

  it('embeddings with Cohere on Bedrock', async () => {
    const out = await openai().embeddings.create({ model: 'cohere.embed-english-v3', input: ['a b', 'c'] });
    expect(out.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    // Cohere's body has no token count; InvokeModel's X-Amzn-Bedrock-Input-Token-Count header does.
    expect(out.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(fake.requests.at(-1)).toMatchObject({ operation: 'invoke', signature: 'valid' });
  });

  it('InvokeModel streaming when x-portkey-bedrock-api: invoke', async () => {
    fake.reply({ text: 'Invoked stream.' });
    const stream = await openai({ 'x-portkey-bedrock-api': 'invoke' }).chat.completions.create({ model: PROFILE, stream: true, stream_options: { include_usage: true }, max_tokens: 30, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    let sawUsage = false;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      sawUsage ||= Boolean(c.usage);
    }
    expect([text, sawUsage]).toEqual(['Invoked stream.', true]);
    expect(fake.requests.at(-1)).toMatchObject({ operation: 'invoke-with-response-stream', signature: 'valid' });
  });
});

describe('@anthropic-ai/sdk → /v1/messages → Bedrock Converse', () => {
  it('non-stream and stream', async () => {
    const client = new Anthropic({ apiKey: 'unused', baseURL: gw.url, maxRetries: 0, defaultHeaders: headers() });
    fake.reply({ text: 'Translated.', usage: { inputTokens: 5, outputTokens: 2 } });
    const msg = await client.messages.create({ model: PROFILE, max_tokens: 50, system: 'Brief.', messages: [{ role: 'user', content: 'Hi' }] });
    expect((msg.content[0] as { text: string }).text).toBe('Translated.');
    expect(msg.usage.input_tokens).toBe(5);
    const final = await client.messages.stream({ model: PROFILE, max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage();
    expect((final.content[0] as { text: string }).text).toBe('Translated.');
    expect(final.usage.output_tokens).toBe(2);
  });
});
