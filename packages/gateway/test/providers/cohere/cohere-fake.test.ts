import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohereProvider } from '../../../src/providers/cohere/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { startFakeCohere, type FakeCohere } from '../../fakes/cohere.js';
import { callOnce, callStream, collect, send } from '../ollama/upstream-harness.js';

let fake: FakeCohere;
let target: ProviderTarget;
const chat = cohereProvider.chat!;
const mapError = cohereProvider.mapError;
const hello: ChatRequest = { model: 'command-a-03-2025', messages: [{ role: 'system', content: 'Be nice.' }, { role: 'user', content: 'Say hello' }] };
const tools: ChatRequest['tools'] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }];

beforeAll(async () => {
  fake = await startFakeCohere();
  target = { provider: 'cohere', apiKey: 'co-test-key', customHost: fake.url, settings: {} };
});
afterAll(() => fake.close());

describe('cohere against the fake /v2/chat and /v2/embed', () => {
  it('non-streaming chat: valid OpenAI completion, billed usage, Bearer key sent', async () => {
    const out = await callOnce(chat, mapError, { ...hello, user: 'u1', stream_options: { include_usage: true } }, target);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].message.content).toBe('Hello from the fake Cohere. How can I help?');
    expect(out.usage).toEqual({ prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 });
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer co-test-key');
  });

  it('streams v2 events into chunks with text, finish reason and usage', async () => {
    const { chunks, error, contentType } = await callStream(chat, mapError, hello, target);
    expect(error).toBeUndefined();
    expect(contentType).toBe('text/event-stream');
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const r = collect(chunks);
    expect(r.content).toBe('Hello from the fake Cohere. How can I help?');
    expect(r.finish).toBe('stop');
    expect(r.usage).toEqual({ prompt_tokens: 4, completion_tokens: 9, total_tokens: 13 });
  });

  it('streams a tool call (plan, start, argument deltas) and completes the round trip with the tool result', async () => {
    const first = await callStream(chat, mapError, { model: 'command-r-plus', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools }, target);
    const call = collect(first.chunks);
    expect(first.error).toBeUndefined();
    expect(call.finish).toBe('tool_calls');
    expect(call.content).toBe('I will look that up.');
    expect(call.tools).toEqual([{ id: expect.any(String), name: 'get_weather', arguments: '{"location":"Paris"}' }]);
    expect(call.usage).toBeDefined();
    const second = await callOnce(
      chat,
      mapError,
      {
        model: 'command-r-plus',
        tools,
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: call.content, tool_calls: [{ id: call.tools[0].id!, type: 'function', function: { name: 'get_weather', arguments: call.tools[0].arguments } }] },
          { role: 'tool', tool_call_id: call.tools[0].id!, content: 'sunny' },
        ],
      },
      target,
    );
    expect(second.choices[0].message.content).toBe('The tool said: sunny');
  });

  it('max_tokens truncation maps to finish_reason length', async () => {
    const out = await callOnce(chat, mapError, { ...hello, max_tokens: 2 }, target);
    expect(out.choices[0].finish_reason).toBe('length');
    expect(out.choices[0].message.content).toBe('Hello from');
  });

  it('streams reasoning (thinking content) as reasoning_content', async () => {
    fake.reply({ thinking: 'Let me think.', text: 'Done.' });
    const r = collect((await callStream(chat, mapError, hello, target)).chunks);
    expect(r.reasoning).toBe('Let me think.');
    expect(r.content).toBe('Done.');
  });

  it('message-end with ERROR mid-stream becomes a 502 GatewayError', async () => {
    fake.fault({ kind: 'stream-error', message: 'model overloaded during generation' });
    const { error } = await callStream(chat, mapError, hello, target);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(502);
    expect((error as GatewayError).message).toContain('model overloaded during generation');
  });

  it('a stream cut before message-end is an error, never a clean finish', async () => {
    fake.fault({ kind: 'cut-stream', afterEvents: 4 });
    const { chunks, error } = await callStream(chat, mapError, hello, target);
    expect(chunks.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toMatch(/before its message-end event/);
  });

  it.each([429, 500])('HTTP %i is mapped with the status and Cohere message', async (status) => {
    fake.fault({ kind: 'status', status, message: `fake says ${status}`, headers: { 'retry-after': '2' } });
    const { error } = await callStream(chat, mapError, hello, target);
    expect((error as GatewayError).status).toBe(status);
    expect((error as GatewayError).message).toContain(`fake says ${status}`);
    expect((error as GatewayError).headers['retry-after']).toBe('2');
  });

  it('a bad key is 401 and an unknown model 404, as Cohere answers', async () => {
    const denied = await callOnce(chat, mapError, hello, { ...target, apiKey: 'bad-key' }).catch((e: unknown) => e);
    expect((denied as GatewayError).status).toBe(401);
    expect((denied as GatewayError).message).toContain('invalid api token');
    const missing = await callOnce(chat, mapError, { ...hello, model: 'gpt-4o' }, target).catch((e: unknown) => e);
    expect((missing as GatewayError).status).toBe(404);
  });

  it('the fake rejects an unknown field with 422, as Cohere does', async () => {
    const up = chat.toRequest(hello, target, { stream: false });
    const res = await send({ ...up, body: JSON.stringify({ ...JSON.parse(String(up.body)), user: 'x' }) });
    expect(res.status).toBe(422);
    expect(JSON.parse(await res.body.text())).toEqual({ message: expect.stringContaining('unknown field: parameter user is not a valid field') });
  });

  it('embed: OpenAI request → /v2/embed → OpenAI embeddings response with usage', async () => {
    const out = await callOnce(cohereProvider.embeddings!, mapError, { model: 'embed-v4.0', input: ['hello world', 'bye'], dimensions: 256 }, target);
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.data).toHaveLength(2);
    expect(out.data[0].embedding).toHaveLength(256);
    expect(out.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(fake.requests.at(-1)!.body).toMatchObject({ input_type: 'search_document', embedding_types: ['float'] });
  });
});
