import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { FAKE_AWS_CREDENTIALS, startFakeBedrock, type FakeBedrock } from '../fakes/bedrock.js';
import { startFakeCohere, type FakeCohere } from '../fakes/cohere.js';
import { startFakeGemini, type FakeGemini } from '../fakes/gemini.js';
import { startFakeMistral, type FakeMistral } from '../fakes/mistral.js';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startSlicingProxy, type SlicingProxy } from '../helpers/slicing-proxy.js';

/**
 * The official openai and @anthropic-ai/sdk clients, inbound, against every provider's fake upstream,
 * streaming included. Usage must be present in every provider's stream.
 */
let gw: TestGateway;
let fakes: { openai: FakeOpenAI; anthropic: FakeAnthropic; bedrock: FakeBedrock; gemini: FakeGemini; cohere: FakeCohere; mistral: FakeMistral; ollama: FakeOllama };

interface Case {
  provider: string;
  model: string;
  headers: () => Record<string, string>;
}

const cases: Case[] = [
  { provider: 'openai', model: 'gpt-4o-mini', headers: () => ({ 'x-portkey-custom-host': fakes.openai.baseUrl, authorization: 'Bearer sk-openai' }) },
  { provider: 'groq', model: 'llama-3.3-70b-versatile', headers: () => ({ 'x-portkey-custom-host': fakes.openai.baseUrl, authorization: 'Bearer gsk-groq' }) },
  {
    provider: 'azure-openai', model: 'gpt-4o',
    headers: () => ({ 'x-portkey-custom-host': `${fakes.openai.url}/openai`, authorization: 'Bearer az-key', 'x-portkey-azure-deployment-id': 'gpt4o', 'x-portkey-azure-api-version': '2024-10-21' }),
  },
  { provider: 'anthropic', model: 'claude-sonnet-4-5', headers: () => ({ 'x-portkey-custom-host': fakes.anthropic.baseUrlV1, authorization: 'Bearer sk-ant' }) },
  {
    provider: 'bedrock', model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    headers: () => ({
      'x-portkey-custom-host': fakes.bedrock.url, 'x-portkey-aws-region': 'us-east-1',
      'x-portkey-aws-access-key-id': FAKE_AWS_CREDENTIALS.accessKeyId, 'x-portkey-aws-secret-access-key': FAKE_AWS_CREDENTIALS.secretAccessKey,
    }),
  },
  { provider: 'google', model: 'gemini-2.0-flash', headers: () => ({ 'x-portkey-custom-host': fakes.gemini.geminiBase, authorization: `Bearer ${fakes.gemini.apiKey}` }) },
  {
    provider: 'vertex-ai', model: 'gemini-2.0-flash',
    headers: () => ({ 'x-portkey-custom-host': fakes.gemini.vertexBase, 'x-portkey-vertex-region': 'us-central1', 'x-portkey-vertex-project-id': 'fake-project', 'x-portkey-vertex-service-account-json': fakes.gemini.serviceAccountJson }),
  },
  { provider: 'cohere', model: 'command-r-plus', headers: () => ({ 'x-portkey-custom-host': fakes.cohere.url, authorization: 'Bearer co-key' }) },
  { provider: 'mistral-ai', model: 'mistral-large-latest', headers: () => ({ 'x-portkey-custom-host': fakes.mistral.url, authorization: 'Bearer mi-key' }) },
  { provider: 'ollama', model: 'llama3.1', headers: () => ({ 'x-portkey-custom-host': fakes.ollama.url }) },
];

const slicers = new Map<string, Promise<SlicingProxy>>();

/** The same headers with x-portkey-custom-host pointed at a slicing proxy in front of that fake. */
async function throughSlicer(headers: Record<string, string>): Promise<Record<string, string>> {
  const url = new URL(headers['x-portkey-custom-host']);
  if (!slicers.has(url.port)) slicers.set(url.port, startSlicingProxy(Number(url.port)));
  url.port = String((await slicers.get(url.port)!).port);
  return { ...headers, 'x-portkey-custom-host': url.toString().replace(/\/$/, '') };
}

beforeAll(async () => {
  const [openai, anthropic, bedrock, gemini, cohere, mistral, ollama] = await Promise.all([
    startFakeOpenAI(), startFakeAnthropic(), startFakeBedrock(), startFakeGemini(), startFakeCohere(), startFakeMistral(), startFakeOllama(),
  ]);
  fakes = { openai, anthropic, bedrock, gemini, cohere, mistral, ollama };
  gw = await startTestGateway({ VERTEX_TOKEN_URIS: gemini.tokenUri });
}, 60_000);
afterAll(async () => {
  await Promise.all([...slicers.values()].map(async (s) => (await s).close()));
  await gw?.close();
  await Promise.all(Object.values(fakes ?? {}).map((f) => f.close()));
});

describe.each(cases)('$provider', ({ provider, model, headers }) => {
  const openai = () => new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers() } });
  const anthropic = () => new Anthropic({ apiKey: 'unused', baseURL: gw.url, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': provider, ...headers() } });

  it('openai SDK: chat completion', async () => {
    const res = await openai().chat.completions.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello gateway' }] });
    assertOpenAI('CreateChatCompletionResponse', res);
    expect(res.choices[0].message.content?.length).toBeGreaterThan(0);
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('openai SDK: stream with usage', () => expectOpenAIStream(openai(), model));

  it('anthropic SDK: message', async () => {
    const msg = await anthropic().messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello from Anthropic SDK' }] });
    expect(msg.type).toBe('message');
    expect((msg.content.find((b) => b.type === 'text') as { text: string } | undefined)?.text.length).toBeGreaterThan(0);
    expect(msg.usage.output_tokens).toBeGreaterThan(0);
  });

  it('anthropic SDK: stream', () => expectAnthropicStream(anthropic(), model));
});

describe.each(cases)('$provider, upstream bytes arriving a few at a time', ({ provider, model, headers }) => {
  const sliced = async () => ({ 'x-portkey-provider': provider, ...(await throughSlicer(headers())) });

  it('openai SDK: stream with usage', async () => {
    await expectOpenAIStream(new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: await sliced() }), model);
  });

  it('anthropic SDK: stream', async () => {
    await expectAnthropicStream(new Anthropic({ apiKey: 'unused', baseURL: gw.url, maxRetries: 0, defaultHeaders: await sliced() }), model);
  });
});

async function expectOpenAIStream(client: OpenAI, model: string): Promise<void> {
  const stream = await client.chat.completions.create({ model, max_tokens: 64, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello stream' }] });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  let finish: string | null = null;
  for await (const chunk of stream) {
    assertOpenAI('CreateChatCompletionStreamResponse', chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
    if (chunk.usage) usage = chunk.usage;
  }
  expect(text.length).toBeGreaterThan(0);
  expect(finish).toBe('stop');
  expect(usage?.completion_tokens).toBeGreaterThan(0);
}

async function expectAnthropicStream(client: Anthropic, model: string): Promise<void> {
  const final = await client.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Stream from Anthropic SDK' }] }).finalMessage();
  expect((final.content.find((b) => b.type === 'text') as { text: string } | undefined)?.text.length).toBeGreaterThan(0);
  expect(final.usage.output_tokens).toBeGreaterThan(0);
  expect(final.stop_reason).toBe('end_turn');
}

describe('bedrock Titan embeddings, one upstream call per input', () => {
  it('fans out and combines in input order', async () => {
    const c = cases.find((x) => x.provider === 'bedrock')!;
    const client = new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'bedrock', ...c.headers() } });
    const before = fakes.bedrock.requests.length;
    const res = await client.embeddings.create({ model: 'amazon.titan-embed-text-v2:0', input: ['one', 'two', 'three'] });
    assertOpenAI('CreateEmbeddingResponse', res);
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(fakes.bedrock.requests.length - before).toBe(3);
  });
});
