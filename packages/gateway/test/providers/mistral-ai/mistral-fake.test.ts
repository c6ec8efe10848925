import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mistralProvider } from '../../../src/providers/mistral-ai/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI, validateOpenAI } from '../../helpers/openai-schema.js';
import { startFakeMistral, type FakeMistral } from '../../fakes/mistral.js';
import { callOnce, callStream, collect, send } from '../ollama/upstream-harness.js';
import { requireSpec } from '../../helpers/specs.js';

let fake: FakeMistral;
let target: ProviderTarget;
const chat = mistralProvider.chat!;
const mapError = mistralProvider.mapError;
const hello: ChatRequest = { model: 'mistral-small-latest', messages: [{ role: 'user', content: 'Say hello' }], user: 'u-9', seed: 5, stream_options: { include_usage: true } };
const tools: ChatRequest['tools'] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }];

beforeAll(async () => {
  fake = await startFakeMistral();
  target = { provider: 'mistral-ai', apiKey: 'mi-test', customHost: fake.url, settings: {} };
});
afterAll(() => fake.close());

describe('mistral-ai against the fake API', () => {
  it('non-streaming chat (OpenAI-only fields mapped away) returns a valid completion with usage', async () => {
    const out = await callOnce(chat, mapError, hello, target);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].message.content).toBe('Bonjour from the fake Mistral. How can I help?');
    expect(out.usage).toEqual({ prompt_tokens: 2, completion_tokens: 9, total_tokens: 11 });
    expect(fake.requests.at(-1)!.body).toMatchObject({ random_seed: 5, stream: false });
  });

  it('streams data: chunks to [DONE], with usage from the last chunk', async () => {
    const { chunks, error } = await callStream(chat, mapError, hello, target);
    expect(error).toBeUndefined();
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const r = collect(chunks);
    expect(r.content).toBe('Bonjour from the fake Mistral. How can I help?');
    expect(r.finish).toBe('stop');
    expect(r.usage).toEqual({ prompt_tokens: 2, completion_tokens: 9, total_tokens: 11 });
  });

  it('a tool round trip works with OpenAI-style tool call ids (remapped to Mistral ids) and tool_choice required', async () => {
    const first = collect((await callStream(chat, mapError, { model: 'mistral-large-latest', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'required' }, target)).chunks);
    expect(first.finish).toBe('tool_calls');
    expect(first.tools).toEqual([{ id: expect.stringMatching(/^[a-zA-Z0-9]{9}$/), name: 'get_weather', arguments: '{"location": "Paris"}' }]);
    expect(first.usage).toBeDefined();
    expect(fake.requests.at(-1)!.body).toMatchObject({ tool_choice: 'any' });
    // A conversation that started on another provider carries OpenAI-style ids; Mistral would reject them.
    const out = await callOnce(
      chat,
      mapError,
      {
        model: 'mistral-large-latest',
        tools,
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_9f8e7d6c5b4a', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
          { role: 'tool', tool_call_id: 'call_9f8e7d6c5b4a', content: 'sunny' },
        ],
      },
      target,
    );
    expect(out.choices[0].message.content).toBe('The tool said: sunny');
  });

  it('streams reasoning from magistral thinking chunks', async () => {
    fake.reply({ thinking: 'Let me think', text: 'Voilà.' });
    const r = collect((await callStream(chat, mapError, { ...hello, model: 'magistral-medium-latest' }, target)).chunks);
    expect(r.reasoning).toBe('Let me think');
    expect(r.content).toBe('Voilà.');
  });

  it('FIM via /v1/completions: prompt + suffix → /v1/fim/completions → text_completion', async () => {
    const comp = mistralProvider.completions!;
    const out = await callOnce(comp, mapError, { model: 'codestral-latest', prompt: 'def add(a, b):\n    ', suffix: '\nprint(add(1, 2))', max_tokens: 32, seed: 1 }, target);
    expect(validateOpenAI('CreateCompletionResponse', out)).toEqual([]);
    expect(out).toMatchObject({ object: 'text_completion', choices: [{ text: 'return a + b', finish_reason: 'stop' }] });
    expect(fake.requests.at(-1)).toMatchObject({ path: '/v1/fim/completions', body: { prompt: 'def add(a, b):\n    ', suffix: '\nprint(add(1, 2))', random_seed: 1 } });
    const streamed = await callStream(comp, mapError, { model: 'codestral-latest', prompt: 'def f():', suffix: 'f()' }, target);
    expect(streamed.error).toBeUndefined();
    expect(collect(streamed.chunks)).toMatchObject({ content: 'return a + b', finish: 'stop', usage: { total_tokens: expect.any(Number) } });
  });

  it('passthrough of /v1/fim/completions reaches the native endpoint with auth', async () => {
    const p = mistralProvider.passthrough!('/v1/fim/completions', target);
    const res = await send({ method: 'POST', url: p.url, headers: { ...p.headers, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'codestral-latest', prompt: 'x = ', suffix: '' }) });
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.body.text())).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: expect.any(String) } }] });
  });

  it('a stream cut before [DONE] is an error', async () => {
    fake.fault({ kind: 'cut-stream', afterChunks: 3 });
    const { chunks, error } = await callStream(chat, mapError, hello, target);
    expect(chunks.length).toBeGreaterThan(0);
    expect((error as GatewayError).message).toMatch(/before its data: \[DONE\]/);
  });

  it.each([429, 500])('HTTP %i is mapped with its status and message', async (status) => {
    fake.fault({ kind: 'status', status, body: { object: 'error', message: `fake ${status}`, type: 'x', param: null, code: '42' }, headers: { 'retry-after': '4' } });
    const { error } = await callStream(chat, mapError, hello, target);
    expect(error).toMatchObject({ status, code: '42', headers: { 'retry-after': '4' } });
    expect((error as GatewayError).message).toContain(`fake ${status}`);
  });

  it('the fake answers like Mistral: 401 without a valid key, 422 for unknown fields, 400 for a bad tool id or model', async () => {
    requireSpec('mistral/openapi-public-doc.yaml'); // the fake's checks come from the spec
    const denied = await callOnce(chat, mapError, hello, { ...target, apiKey: 'bad-key' }).catch((e: unknown) => e);
    expect((denied as GatewayError).status).toBe(401);
    const up = chat.toRequest(hello, target, { stream: false });
    const extra = await send({ ...up, body: JSON.stringify({ ...JSON.parse(String(up.body)), user: 'x' }) });
    expect(extra.status).toBe(422);
    expect(mapError(422, await extra.body.text(), {}).message).toMatch(/user/);
    const badId = await send({ ...up, body: JSON.stringify({ model: 'mistral-small-latest', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', function: { name: 'f', arguments: '{}' } }] }] }) });
    expect(badId.status).toBe(400);
    expect(mapError(400, await badId.body.text(), {}).message).toContain('must be a-z, A-Z, 0-9, with a length of 9');
    const badModel = await callOnce(chat, mapError, { ...hello, model: 'gpt-4o' }, target).catch((e: unknown) => e);
    expect((badModel as GatewayError).message).toContain('Invalid model: gpt-4o');
  });

  it('embeddings map to a valid OpenAI response with usage', async () => {
    const out = await callOnce(mistralProvider.embeddings!, mapError, { model: 'mistral-embed', input: ['a b', 'c'], user: 'u' }, target);
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.data).toHaveLength(2);
    expect(out.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });
});
