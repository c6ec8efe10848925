import { describe, expect, it } from 'vitest';
import {
  createOllamaStreamState,
  finishOllamaStream,
  fromOllamaChatResponse,
  fromOllamaEmbedResponse,
  fromOllamaStreamEvent,
  mapOllamaError,
  ollamaProvider,
  toOllamaChatRequest,
  toOllamaEmbedRequest,
} from '../../../src/providers/ollama/index.js';
import type { ChatChunk, ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { assertOllama, validateOllama } from './spec.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const target: ProviderTarget = { provider: 'ollama', settings: {} };

describe('toOllamaChatRequest', () => {
  const req: ChatRequest = {
    model: 'llama3.2',
    messages: [
      { role: 'developer', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is here?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
    temperature: 0.2,
    top_p: 0.9,
    max_tokens: 64,
    stop: 'END',
    seed: 7,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
    reasoning_effort: 'high',
    user: 'u-1',
  };

  it('maps messages, images, tools, options, format and think, and the body is a valid Ollama ChatRequest', () => {
    const body = toOllamaChatRequest(req, { stream: true });
    assertOllama('ChatRequest', body);
    expect(body).toEqual({
      model: 'llama3.2',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is here?', images: [PNG] },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
        { role: 'tool', content: '{"temp":21}', tool_name: 'get_weather' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      format: { type: 'object', properties: { a: { type: 'string' } } },
      options: { temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ['END'], seed: 7 },
      think: 'high',
    });
  });

  it('maps json_object to format "json", drops tools for tool_choice none, and stream:false is explicit', () => {
    const body = toOllamaChatRequest({ model: 'qwen3', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' }, tools: req.tools, tool_choice: 'none', max_completion_tokens: 5 }, { stream: false });
    assertOllama('ChatRequest', body);
    expect(body.format).toBe('json');
    expect(body.tools).toBeUndefined();
    expect(body.stream).toBe(false);
    expect(body.options).toEqual({ num_predict: 5 });
  });

  it('rejects image links (Ollama takes base64 only) and non-JSON tool arguments with a 400', () => {
    const link = () => toOllamaChatRequest({ model: 'llava', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }] }, { stream: false });
    expect(link).toThrow(/base64 data URL/);
    const badArgs = () => toOllamaChatRequest({ model: 'llava', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 'not json' } }] }] }, { stream: false });
    expect(badArgs).toThrow(GatewayError);
    try {
      badArgs();
    } catch (e) {
      expect((e as GatewayError).status).toBe(400);
      expect((e as GatewayError).param).toBe('messages[0].tool_calls[0].function.arguments');
    }
  });

  it('builds the upstream request on the custom host, with a bearer key only when one is given', () => {
    const up = ollamaProvider.chat!.toRequest({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] }, { ...target, customHost: 'http://10.0.0.5:11434/' }, { stream: true });
    expect(up.url).toBe('http://10.0.0.5:11434/api/chat');
    expect(up.headers.authorization).toBeUndefined();
    const keyed = ollamaProvider.chat!.toRequest({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] }, { ...target, apiKey: 'sk-ollama' }, { stream: false });
    expect(keyed.url).toBe('http://127.0.0.1:11434/api/chat');
    expect(keyed.headers.authorization).toBe('Bearer sk-ollama');
    expect(JSON.parse(String(keyed.body)).stream).toBe(false);
  });

  it('passthrough forwards native and OpenAI-compatible paths to the Ollama host', () => {
    expect(ollamaProvider.passthrough!('/api/tags', { ...target, customHost: 'http://gpu-box:11434/api' }).url).toBe('http://gpu-box:11434/api/tags');
    expect(ollamaProvider.passthrough!('/v1/models', target)).toEqual({ url: 'http://127.0.0.1:11434/v1/models', headers: { 'content-type': 'application/json' } });
  });
});

describe('fromOllamaChatResponse', () => {
  // The example response from Ollama's published API document.
  const recorded = {
    model: 'gemma4',
    created_at: '2025-10-17T23:14:07.414671Z',
    message: { role: 'assistant', content: 'Hello! How can I help you today?' },
    done: true,
    done_reason: 'stop',
    total_duration: 174560334,
    load_duration: 101397084,
    prompt_eval_count: 11,
    prompt_eval_duration: 13074791,
    eval_count: 18,
    eval_duration: 52479709,
  };

  it('maps text, finish reason, created time and usage to a valid OpenAI chat completion', () => {
    assertOllama('ChatResponse', recorded);
    const out = fromOllamaChatResponse(recorded, { model: 'gemma4', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Hello! How can I help you today?' }, finish_reason: 'stop' });
    expect(out.usage).toEqual({ prompt_tokens: 11, completion_tokens: 18, total_tokens: 29 });
    expect(out.created).toBe(Math.floor(Date.parse('2025-10-17T23:14:07.414671Z') / 1000));
  });

  it('turns tool calls (arguments as objects) into OpenAI tool calls with JSON strings and distinct ids', () => {
    const body = {
      model: 'qwen3',
      created_at: '2025-10-17T23:14:07Z',
      message: { role: 'assistant', content: '', thinking: 'Need weather.', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }, { function: { name: 'get_time', arguments: {} } }] },
      done: true,
      done_reason: 'stop',
      prompt_eval_count: 20,
      eval_count: 9,
    };
    assertOllama('ChatResponse', body);
    const out = fromOllamaChatResponse(body, { model: 'qwen3', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    const msg = out.choices[0].message;
    expect(out.choices[0].finish_reason).toBe('tool_calls');
    expect(msg.content).toBeNull();
    expect(msg.reasoning_content).toBe('Need weather.');
    expect(msg.tool_calls!.map((t) => t.function)).toEqual([{ name: 'get_weather', arguments: '{"city":"Paris"}' }, { name: 'get_time', arguments: '{}' }]);
    expect(msg.tool_calls![0].id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(msg.tool_calls![0].id).not.toBe(msg.tool_calls![1].id);
  });

  it('maps done_reason length to finish_reason length', () => {
    const out = fromOllamaChatResponse({ ...recorded, done_reason: 'length' }, { model: 'gemma4', messages: [] });
    expect(out.choices[0].finish_reason).toBe('length');
  });
});

describe('Ollama stream mapping', () => {
  const recorded = [
    { model: 'gemma4', created_at: '2025-10-26T17:15:24.097767Z', message: { role: 'assistant', content: '', thinking: 'Hmm.' }, done: false },
    { model: 'gemma4', created_at: '2025-10-26T17:15:24.097767Z', message: { role: 'assistant', content: 'That' }, done: false },
    { model: 'gemma4', created_at: '2025-10-26T17:15:24.109172Z', message: { role: 'assistant', content: "'s it" }, done: false },
    { model: 'gemma4', created_at: '2025-10-26T17:15:24.166576Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 12, eval_count: 3 },
  ];
  const run = (lines: unknown[], includeUsage: boolean) => {
    const s = createOllamaStreamState({ model: 'gemma4', includeUsage });
    const chunks: ChatChunk[] = lines.flatMap((l) => fromOllamaStreamEvent(s, { data: JSON.stringify(l) }));
    chunks.push(...finishOllamaStream(s));
    return chunks;
  };

  it('maps NDJSON lines to valid OpenAI chunks and ends with a usage chunk when usage was asked for', () => {
    for (const l of recorded) assertOllama('ChatStreamEvent', l);
    const chunks = run(recorded, true);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', reasoning_content: 'Hmm.' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe("That's it");
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('puts usage on the finish chunk when the client did not ask for a usage chunk', () => {
    const chunks = run(recorded, false);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(chunks.filter((c) => c.choices.length === 0)).toHaveLength(0);
  });

  it('streams tool calls with an index, an id and JSON-string arguments, and finishes with tool_calls', () => {
    const lines = [
      { model: 'qwen3', created_at: '2025-10-26T17:15:24Z', message: { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris' } } }] }, done: false },
      { model: 'qwen3', created_at: '2025-10-26T17:15:25Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 1, eval_count: 1 },
    ];
    const chunks = run(lines, true);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const tc = chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? []));
    expect(tc).toEqual([{ index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)!.choices[0].finish_reason).toBe('tool_calls');
  });

  it('throws a 502 GatewayError for an {"error"} line that arrives mid-stream with status 200', () => {
    const s = createOllamaStreamState({ model: 'gemma4', includeUsage: true });
    fromOllamaStreamEvent(s, { data: JSON.stringify(recorded[1]) });
    try {
      fromOllamaStreamEvent(s, { data: '{"error":"an error was encountered while running the model"}' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(GatewayError);
      expect((e as GatewayError).status).toBe(502);
      expect((e as GatewayError).message).toContain('an error was encountered while running the model');
    }
  });

  it('finish() throws when the stream ended without a done:true line', () => {
    const s = createOllamaStreamState({ model: 'gemma4', includeUsage: true });
    fromOllamaStreamEvent(s, { data: JSON.stringify(recorded[1]) });
    expect(() => finishOllamaStream(s)).toThrow(/before its final "done": true line/);
  });

  it('throws on a line that is not JSON', () => {
    const s = createOllamaStreamState({ model: 'gemma4', includeUsage: true });
    expect(() => fromOllamaStreamEvent(s, { data: '<html>' })).toThrow(/not JSON/);
  });
});

describe('Ollama embeddings', () => {
  it('maps the request to a valid EmbedRequest and rejects token-id input', () => {
    const body = toOllamaEmbedRequest({ model: 'embeddinggemma', input: ['a', 'b'], dimensions: 128 });
    assertOllama('EmbedRequest', body);
    expect(body).toEqual({ model: 'embeddinggemma', input: ['a', 'b'], dimensions: 128 });
    expect(() => toOllamaEmbedRequest({ model: 'm', input: [1, 2, 3] })).toThrow(/text only/);
  });

  it('maps the published example response to a valid OpenAI embeddings response, and to base64 on request', () => {
    const recorded = { model: 'embeddinggemma', embeddings: [[0.010071029, -0.0017594862, 0.05007221]], total_duration: 14143917, load_duration: 1019500, prompt_eval_count: 8 };
    assertOllama('EmbedResponse', recorded);
    const out = fromOllamaEmbedResponse(recorded, { model: 'embeddinggemma', input: 'x' });
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
    const b64 = fromOllamaEmbedResponse(recorded, { model: 'embeddinggemma', input: 'x', encoding_format: 'base64' });
    const floats = new Float32Array(Uint8Array.from(Buffer.from(b64.data[0].embedding as string, "base64")).buffer);
    expect(Array.from(floats)).toEqual(Array.from(new Float32Array(recorded.embeddings[0])));
  });
});

describe('mapOllamaError', () => {
  it('404 model not found keeps the status and tells to pull the model', () => {
    const e = mapOllamaError(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}', {});
    expect(e.status).toBe(404);
    expect(e.provider).toBe('ollama');
    expect(e.message).toContain('model "llama9" not found');
    expect(e.message).toContain('ollama pull');
  });

  it.each([
    [400, '{"error":"invalid character looking for beginning of value"}', 'invalid character'],
    [500, '{"error":"the model failed to generate a response"}', 'failed to generate'],
    [502, 'Bad Gateway', 'Bad Gateway'],
  ])('%i keeps status and message', (status, body, text) => {
    const e = mapOllamaError(status, body, {});
    expect(e.status).toBe(status);
    expect(e.message).toContain(text);
    expect(e.type).toBe(status >= 500 ? 'upstream_error' : 'invalid_request_error');
  });

  it('429 keeps Retry-After', () => {
    const e = mapOllamaError(429, '{"error":"too many requests"}', { 'retry-after': '3' });
    expect(e.status).toBe(429);
    expect(e.headers).toEqual({ 'retry-after': '3' });
  });

  it('the spec oracle rejects a ChatRequest without messages', () => {
    expect(validateOllama('ChatRequest', { model: 'x' }).length).toBeGreaterThan(0);
  });
});
