import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ollamaProvider } from '../../../src/providers/ollama/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama.js';
import { callOnce, callStream, collect } from './upstream-harness.js';
import { requireSpec } from '../../helpers/specs.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
let fake: FakeOllama;
let target: ProviderTarget;
const chat = ollamaProvider.chat!;
const mapError = ollamaProvider.mapError;

beforeAll(async () => {
  fake = await startFakeOllama();
  target = { provider: 'ollama', customHost: fake.url, settings: {} };
});
afterAll(() => fake.close());

const hello: ChatRequest = { model: 'llama3.2', messages: [{ role: 'user', content: 'Say hello' }] };

describe('ollama against the fake /api/chat', () => {
  it('non-streaming chat returns a valid OpenAI completion with usage', async () => {
    const out = await callOnce(chat, mapError, hello, target);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].message.content).toBe('Héllo from the fake Ollama 👋 How can I help?');
    expect(out.usage!.prompt_tokens).toBe(2);
    expect(out.usage!.completion_tokens).toBeGreaterThan(0);
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'llama3.2', stream: false });
  });

  it('streams NDJSON (split mid-line and mid-character) into chunks whose text and usage add up', async () => {
    const { chunks, error, contentType } = await callStream(chat, mapError, { ...hello, stream: true }, target);
    expect(error).toBeUndefined();
    expect(contentType).toBe('application/x-ndjson');
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const r = collect(chunks);
    expect(r.content).toBe('Héllo from the fake Ollama 👋 How can I help?');
    expect(r.finish).toBe('stop');
    expect(r.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 10, total_tokens: 12 });
  });

  it('a tool round trip: tool call, then the tool result answered with the tool name', async () => {
    const tools: ChatRequest['tools'] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }];
    const first = await callStream(chat, mapError, { model: 'qwen3', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools }, target);
    const call = collect(first.chunks);
    expect(call.finish).toBe('tool_calls');
    expect(call.tools).toEqual([{ id: expect.stringMatching(/^call_/), name: 'get_weather', arguments: '{"location":"Paris"}' }]);
    expect(call.usage).toBeDefined();
    const second = await callOnce(
      chat,
      mapError,
      {
        model: 'qwen3',
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: null, tool_calls: [{ id: call.tools[0].id!, type: 'function', function: { name: 'get_weather', arguments: call.tools[0].arguments } }] },
          { role: 'tool', tool_call_id: call.tools[0].id!, content: 'sunny, 21C' },
        ],
      },
      target,
    );
    expect(second.choices[0].message.content).toBe('The tool said: sunny, 21C');
    const sent = fake.requests.at(-1)!.body as { messages: Array<Record<string, unknown>> };
    expect(sent.messages[1]).toEqual({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { location: 'Paris' } } }] });
    expect(sent.messages[2]).toEqual({ role: 'tool', content: 'sunny, 21C', tool_name: 'get_weather' });
  });

  it('sends images as base64 and max_tokens as num_predict (finish_reason length)', async () => {
    const out = await callOnce(chat, mapError, { model: 'llava', max_tokens: 2, messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }] }, target);
    expect(out.choices[0].finish_reason).toBe('length');
    expect(out.choices[0].message.content).toBe('Héllo from');
    expect(fake.requests.at(-1)!.body).toMatchObject({ messages: [{ role: 'user', content: 'What is this?', images: [PNG] }], options: { num_predict: 2 } });
  });

  it('an {"error"} line mid-stream (HTTP 200) ends the stream with a 502 GatewayError', async () => {
    fake.fault({ kind: 'stream-error', afterLines: 2, error: 'an error was encountered while running the model' });
    const { chunks, error } = await callStream(chat, mapError, hello, target);
    expect(collect(chunks).content).toBe('Héllo from ');
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain('an error was encountered while running the model');
  });

  it('a stream cut before its done line is reported, never a clean finish', async () => {
    fake.fault({ kind: 'cut-stream', afterLines: 3 });
    const { chunks, error } = await callStream(chat, mapError, hello, target);
    expect(collect(chunks).finish).toBeNull();
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toMatch(/incomplete/);
  });

  it('an unknown model is a 404 telling to pull it', async () => {
    const err = await callOnce(chat, mapError, { ...hello, model: 'no-such-model' }, target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(404);
    expect((err as GatewayError).message).toMatch(/not found, try pulling it first.*ollama pull/);
  });

  it.each([429, 500])('a %i from upstream keeps its status', async (status) => {
    fake.fault({ kind: 'status', status, error: `boom ${status}` });
    const { error } = await callStream(chat, mapError, hello, target);
    expect((error as GatewayError).status).toBe(status);
    expect((error as GatewayError).message).toContain(`boom ${status}`);
  });

  it('the fake rejects a malformed body the way Ollama does (400 with {"error"})', async () => {
    requireSpec('ollama/openapi.yaml'); // the fake's checks come from the spec
    const up = chat.toRequest(hello, target, { stream: false });
    const res = await fetch(up.url, { method: 'POST', headers: up.headers, body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'robot', content: 'x' }] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: expect.stringContaining('invalid request') });
  });

  it('embeddings via /api/embed map to an OpenAI embeddings response with usage', async () => {
    const out = await callOnce(ollamaProvider.embeddings!, mapError, { model: 'embeddinggemma', input: ['one', 'two three'], dimensions: 4 }, target);
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.data).toHaveLength(2);
    expect(out.data[1].embedding).toHaveLength(4);
    expect(out.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });
});

describe('ollama with an API key', () => {
  it('sends the key as a bearer token when one is configured', async () => {
    const keyed = await startFakeOllama({ requireKey: 'ollama-secret' });
    try {
      const t: ProviderTarget = { provider: 'ollama', customHost: keyed.url, settings: {} };
      const denied = await callOnce(chat, mapError, hello, t).catch((e: unknown) => e);
      expect((denied as GatewayError).status).toBe(401);
      const ok = await callOnce(chat, mapError, hello, { ...t, apiKey: 'ollama-secret' });
      expect(ok.choices[0].message.content).toContain('fake Ollama');
    } finally {
      await keyed.close();
    }
  });
});
