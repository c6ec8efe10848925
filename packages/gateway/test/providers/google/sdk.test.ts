/** The official openai and @anthropic-ai/sdk clients → the gateway → google / vertex-ai → the fake. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearVertexTokenCache } from '../../../src/providers/vertex-ai/index.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

let gw: TestGateway;
let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini();
  gw = await startTestGateway({ VERTEX_TOKEN_URIS: fake.tokenUri });
  clearVertexTokenCache();
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const google = () => new OpenAI({ apiKey: fake.apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'google', 'x-portkey-custom-host': fake.geminiBase } });
const vertex = () => new OpenAI({
  apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0,
  defaultHeaders: {
    'x-portkey-provider': 'vertex-ai', 'x-portkey-custom-host': fake.vertexBase, 'x-portkey-vertex-region': 'us-east5',
    'x-portkey-vertex-project-id': 'fake-project', 'x-portkey-vertex-service-account-json': fake.serviceAccountJson,
  },
});
const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('openai SDK through the gateway to Gemini', () => {
  it('chat, streamed with usage, and tools', async () => {
    const r = await google().chat.completions.create({ model: 'gemini-2.0-flash', messages });
    assertOpenAI('CreateChatCompletionResponse', r);
    expect(r.choices[0].message.content).toBe('Hello from fake Gemini.');

    const stream = await google().chat.completions.create({ model: 'gemini-2.0-flash', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      assertOpenAI('CreateChatCompletionStreamResponse', c);
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('Hello from fake Gemini.');
    expect(usage?.completion_tokens).toBe(4);

    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const t = await google().chat.completions.create({ model: 'gemini-2.0-flash', messages, tools, tool_choice: 'required' });
    expect(t.choices[0].finish_reason).toBe('tool_calls');
    expect(t.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
  });

  it('upstream errors reach the SDK with their status', async () => {
    fake.enqueue({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' });
    await expect(google().chat.completions.create({ model: 'gemini-2.0-flash', messages })).rejects.toMatchObject({ status: 429 });
  });

  it('embeddings', async () => {
    const e = await google().embeddings.create({ model: 'text-embedding-004', input: ['a', 'b'], encoding_format: 'float' });
    assertOpenAI('CreateEmbeddingResponse', e);
    expect(e.data).toHaveLength(2);
  });
});

describe('openai SDK through the gateway to Vertex AI', () => {
  it('Gemini and Claude models, streamed with usage, one token exchange', async () => {
    const before = fake.tokenExchanges;
    for (const model of ['gemini-2.5-flash', 'claude-sonnet-4@20250514']) {
      const stream = await vertex().chat.completions.create({ model, messages, max_tokens: 50, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined | null;
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      expect(text).toMatch(/^Hello from (fake Gemini|Claude on fake Vertex)\.$/);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    }
    const r = await vertex().chat.completions.create({ model: 'claude-sonnet-4@20250514', messages, max_tokens: 50 });
    expect(r.choices[0].message.content).toBe('Hello from Claude on fake Vertex.');
    expect(fake.tokenExchanges - before).toBe(1);
  });
});

describe('@anthropic-ai/sdk /v1/messages through the gateway to Gemini', () => {
  it('non-streamed and streamed', async () => {
    const client = new Anthropic({ apiKey: 'unused', baseURL: gw.url, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'google', 'x-portkey-custom-host': fake.geminiBase, authorization: `Bearer ${fake.apiKey}` } });
    const msg = await client.messages.create({ model: 'gemini-2.0-flash', max_tokens: 64, messages });
    expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hello from fake Gemini.' });
    expect(msg.usage.output_tokens).toBe(4);
    const stream = client.messages.stream({ model: 'gemini-2.0-flash', max_tokens: 64, messages });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'Hello from fake Gemini.' });
    expect(final.stop_reason).toBe('end_turn');
  });
});
