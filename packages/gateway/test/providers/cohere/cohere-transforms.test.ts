import { describe, expect, it } from 'vitest';
import {
  cohereProvider,
  createCohereStreamState,
  finishCohereStream,
  fromCohereChatResponse,
  fromCohereEmbedResponse,
  fromCohereStreamEvent,
  mapCohereError,
  toCohereChatRequest,
  toCohereEmbedRequest,
} from '../../../src/providers/cohere/index.js';
import type { ChatChunk, ChatRequest } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { assertCohere, validateCohere } from './cohere-schema.js';

const tools: ChatRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];

describe('toCohereChatRequest', () => {
  it('maps roles, images, tool calls, tool results and parameters into a valid v2 chat body', () => {
    const body = toCohereChatRequest(
      {
        model: 'command-a-03-2025',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
          { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        ],
        tools,
        tool_choice: 'required',
        max_tokens: 100,
        stop: ['END'],
        temperature: 0.3,
        top_p: 0.9,
        seed: 42,
        frequency_penalty: 0.1,
        response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' } } },
        user: 'dropped',
        stream_options: { include_usage: true },
        parallel_tool_calls: true,
        safety_mode: 'STRICT',
      },
      { stream: true },
    );
    assertCohere('ChatRequest', body);
    expect(body).toEqual({
      model: 'command-a-03-2025',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } }] },
        { role: 'assistant', tool_plan: 'Let me check.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: 'REQUIRED',
      max_tokens: 100,
      stop_sequences: ['END'],
      temperature: 0.3,
      p: 0.9,
      seed: 42,
      frequency_penalty: 0.1,
      response_format: { type: 'json_object', json_schema: { type: 'object' } },
      safety_mode: 'STRICT',
    });
  });

  it('forces a named tool by offering only that tool with tool_choice REQUIRED', () => {
    const body = toCohereChatRequest({ model: 'command-r', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: { type: 'function', function: { name: 'get_time' } } }, { stream: false });
    assertCohere('ChatRequest', body);
    expect(body.tools!.map((t) => t.function.name)).toEqual(['get_time']);
    expect(body.tool_choice).toBe('REQUIRED');
    expect(() => toCohereChatRequest({ model: 'command-r', messages: [{ role: 'user', content: 'hi' }], tools, tool_choice: { type: 'function', function: { name: 'nope' } } }, { stream: false })).toThrow(/not in tools/);
  });

  it('rejects what Cohere cannot take with a 400 naming the field', () => {
    const n = () => toCohereChatRequest({ model: 'command-r', messages: [{ role: 'user', content: 'hi' }], n: 2 }, { stream: false });
    expect(n).toThrow(GatewayError);
    const noId = () => toCohereChatRequest({ model: 'command-r', messages: [{ role: 'tool', content: 'x' }] }, { stream: false });
    expect(noId).toThrow(/tool_call_id is required/);
  });

  it('the schema oracle catches an unmapped OpenAI field (so the mapping test can fail)', () => {
    expect(validateCohere('ChatRequest', { model: 'command-r', messages: [{ role: 'user', content: 'hi' }], user: 'x' }).join()).toMatch(/additionalProperty/);
  });

  it('builds the upstream request with Bearer auth on the base URL or custom host', () => {
    const up = cohereProvider.chat!.toRequest({ model: 'command-r', messages: [{ role: 'user', content: 'hi' }] }, { provider: 'cohere', apiKey: 'co-key', settings: {} }, { stream: true });
    expect(up.url).toBe('https://api.cohere.com/v2/chat');
    expect(up.headers).toMatchObject({ authorization: 'Bearer co-key', accept: 'text/event-stream' });
    const custom = cohereProvider.embeddings!.toRequest({ model: 'embed-v4.0', input: 'x' }, { provider: 'cohere', apiKey: 'k', customHost: 'http://127.0.0.1:9/v2/', settings: {} }, { stream: false });
    expect(custom.url).toBe('http://127.0.0.1:9/v2/embed');
    expect(cohereProvider.passthrough!('/v2/rerank', { provider: 'cohere', apiKey: 'k', settings: {} })).toEqual({ url: 'https://api.cohere.com/v2/rerank', headers: { 'content-type': 'application/json', authorization: 'Bearer k' } });
  });
});

describe('fromCohereChatResponse', () => {
  // Shaped like the example response in Cohere's v2 chat reference.
  const recorded = {
    id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4',
    finish_reason: 'COMPLETE',
    message: { role: 'assistant', content: [{ type: 'text', text: 'LLMs are neural networks trained on text.' }] },
    usage: { billed_units: { input_tokens: 5, output_tokens: 418 }, tokens: { input_tokens: 71, output_tokens: 418 } },
  };

  it('maps text, finish reason and billed usage into a valid OpenAI completion', () => {
    assertCohere('ChatResponse', recorded);
    const out = fromCohereChatResponse(recorded, { model: 'command-a-03-2025', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.id).toBe(recorded.id);
    expect(out.choices[0]).toMatchObject({ message: { content: 'LLMs are neural networks trained on text.' }, finish_reason: 'stop' });
    expect(out.usage).toEqual({ prompt_tokens: 5, completion_tokens: 418, total_tokens: 423 });
  });

  it('maps tool calls with the tool plan as content, and thinking as reasoning_content', () => {
    const body = {
      id: 'x',
      finish_reason: 'TOOL_CALL',
      message: {
        role: 'assistant',
        tool_plan: 'I will check the weather.',
        tool_calls: [{ id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        content: [{ type: 'thinking', thinking: 'User wants weather.' }],
      },
      usage: { tokens: { input_tokens: 30, output_tokens: 12 } },
    };
    assertCohere('ChatResponse', body);
    const out = fromCohereChatResponse(body, { model: 'command-a', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].finish_reason).toBe('tool_calls');
    expect(out.choices[0].message).toMatchObject({ content: 'I will check the weather.', reasoning_content: 'User wants weather.', tool_calls: [{ id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
    expect(out.usage).toEqual({ prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 });
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['STOP_SEQUENCE', 'stop'],
    ['COMPLETE', 'stop'],
  ])('finish_reason %s → %s', (cohere, openai) => {
    expect(fromCohereChatResponse({ ...recorded, finish_reason: cohere }, { model: 'm', messages: [] }).choices[0].finish_reason).toBe(openai);
  });

  it('finish_reason ERROR is a 502, not a normal finish', () => {
    expect(() => fromCohereChatResponse({ ...recorded, finish_reason: 'ERROR' }, { model: 'm', messages: [] })).toThrow(/finish_reason ERROR/);
  });
});

describe('Cohere stream mapping', () => {
  // A v2 stream as Cohere sends it: text, then a tool plan and one tool call, then message-end.
  const events: Array<Record<string, unknown>> = [
    { type: 'message-start', id: 'msg-1', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } },
    { type: 'content-start', index: 0, delta: { message: { content: { type: 'thinking', thinking: '' } } } },
    { type: 'content-delta', index: 0, delta: { message: { content: { thinking: 'Think.' } } } },
    { type: 'content-end', index: 0 },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will ' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'check.' } } },
    { type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: 'get_weather_abc', type: 'function', function: { name: 'get_weather', arguments: '' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '{"city":' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '"Paris"}' } } } } },
    { type: 'tool-call-end', index: 0 },
    { type: 'tool-call-start', index: 1, delta: { message: { tool_calls: { id: 'get_time_def', type: 'function', function: { name: 'get_time', arguments: '{}' } } } } },
    { type: 'tool-call-end', index: 1 },
    { type: 'citation-start', index: 0, delta: { message: { citations: { start: 0, end: 3, text: 'x', sources: [] } } } },
    { type: 'citation-end', index: 0 },
    { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: { billed_units: { input_tokens: 10, output_tokens: 20 }, tokens: { input_tokens: 60, output_tokens: 20 } } } },
  ];
  const run = (evs: Array<Record<string, unknown>>, includeUsage: boolean) => {
    const s = createCohereStreamState({ model: 'command-a', includeUsage });
    const out: ChatChunk[] = evs.flatMap((e) => fromCohereStreamEvent(s, { event: String(e.type), data: JSON.stringify(e) }));
    out.push(...finishCohereStream(s));
    return out;
  };

  it('maps every event type into valid OpenAI chunks with tool calls, reasoning and a usage chunk', () => {
    for (const e of events) assertCohere('StreamEvent', e);
    const chunks = run(events, true);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.every((c) => c.id === 'msg-1')).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('I will check.');
    expect(chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? '').join('')).toBe('Think.');
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([
      { index: 0, id: 'get_weather_abc', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
      { index: 1, id: 'get_time_def', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 } });
  });

  it('without include_usage the usage rides on the finish chunk', () => {
    const chunks = run(events, false);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }], usage: { total_tokens: 30 } });
  });

  it('message-end with finish_reason ERROR throws a 502 GatewayError carrying the upstream message', () => {
    const s = createCohereStreamState({ model: 'command-a', includeUsage: true });
    fromCohereStreamEvent(s, { event: 'message-start', data: JSON.stringify(events[0]) });
    const end = { type: 'message-end', delta: { finish_reason: 'ERROR', error: 'internal generation failure' } };
    assertCohere('StreamEvent', end);
    try {
      fromCohereStreamEvent(s, { event: 'message-end', data: JSON.stringify(end) });
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).status).toBe(502);
      expect((e as GatewayError).message).toContain('internal generation failure');
    }
  });

  it('finish() throws when message-end never came', () => {
    const s = createCohereStreamState({ model: 'command-a', includeUsage: true });
    for (const e of events.slice(0, 5)) fromCohereStreamEvent(s, { event: String(e.type), data: JSON.stringify(e) });
    expect(() => finishCohereStream(s)).toThrow(/before its message-end event/);
  });
});

describe('Cohere embed', () => {
  it('maps to a valid v2 embed body with search_document as the default input_type', () => {
    const body = toCohereEmbedRequest({ model: 'embed-v4.0', input: 'hello', dimensions: 256 });
    assertCohere('EmbedRequest', body);
    expect(body).toEqual({ model: 'embed-v4.0', texts: ['hello'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 256 });
    expect(toCohereEmbedRequest({ model: 'embed-v4.0', input: ['a'], input_type: 'search_query' }).input_type).toBe('search_query');
    expect(() => toCohereEmbedRequest({ model: 'embed-v4.0', input: ['a'], input_type: 'bogus' })).toThrow(/input_type must be one of/);
    expect(() => toCohereEmbedRequest({ model: 'embed-v4.0', input: [[1, 2]] })).toThrow(/text only/);
  });

  it('maps embeddings_by_type to a valid OpenAI embeddings response', () => {
    const recorded = {
      id: 'da6e531f-54c6-4a73-bf92-f60566d8d753',
      embeddings: { float: [[0.016296387, -0.008354187, -0.04699707], [0.1, 0.2, 0.3]] },
      texts: ['hello', 'goodbye'],
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: 2 } },
      response_type: 'embeddings_by_type',
    };
    assertCohere('EmbedResponse', recorded);
    const out = fromCohereEmbedResponse(recorded, { model: 'embed-v4.0', input: ['hello', 'goodbye'] });
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.data.map((d) => d.index)).toEqual([0, 1]);
    expect(out.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
  });
});

describe('mapCohereError', () => {
  it.each([
    [400, 'invalid request: messages must not be empty', 'invalid_request_error'],
    [401, 'invalid api token', 'authentication_error'],
    [402, 'Please add or update your payment method', 'invalid_request_error'],
    [404, "model 'x' not found", 'not_found_error'],
    [429, 'You are using a Trial key, which is limited to 10 API calls / minute.', 'rate_limit_error'],
    [499, 'request cancelled', 'invalid_request_error'],
    [500, 'internal server error, this has been reported to our developers', 'upstream_error'],
  ])('%i keeps the status and Cohere message', (status, message, type) => {
    const e = mapCohereError(status, JSON.stringify({ id: 'abc', message }), { 'retry-after': '7' });
    expect(e.status).toBe(status);
    expect(e.type).toBe(type);
    expect(e.message).toContain(message);
    expect(e.message.startsWith('cohere error: ')).toBe(true);
    expect(e.headers).toEqual({ 'retry-after': '7' });
  });

  it('a non-JSON body still yields a useful message', () => {
    expect(mapCohereError(503, 'upstream connect error', {}).message).toContain('upstream connect error');
  });
});
