import { describe, expect, it } from 'vitest';
import {
  createMistralStreamState,
  finishMistralStream,
  fromMistralChatResponse,
  fromMistralEmbeddingsResponse,
  fromMistralFimResponse,
  fromMistralStreamEvent,
  mapMistralError,
  mistralProvider,
  toMistralChatRequest,
  toMistralEmbeddingsRequest,
  toMistralFimRequest,
  toMistralToolCallId,
} from '../../../src/providers/mistral-ai/index.js';
import type { ChatChunk, ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { GatewayError } from '../../../src/errors.js';
import { assertOpenAI, validateOpenAI } from '../../helpers/openai-schema.js';
import { assertMistral, validateMistral } from './spec.js';

const target: ProviderTarget = { provider: 'mistral-ai', apiKey: 'mi-key', settings: {} };

describe('toMistralChatRequest', () => {
  const req: ChatRequest = {
    model: 'mistral-large-latest',
    messages: [
      { role: 'developer', content: 'Answer in French.' },
      { role: 'user', name: 'alice', content: [{ type: 'text', text: 'Que vois-tu ?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] },
      { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'call_abc123XYZ_long', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_abc123XYZ_long', content: '21C' },
    ],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
    tool_choice: 'required',
    seed: 12,
    max_completion_tokens: 300,
    temperature: 0.4,
    stop: ['\n\n'],
    n: 1,
    user: 'u-1',
    stream_options: { include_usage: true },
    logprobs: false,
    safe_prompt: true,
    parallel_tool_calls: false,
    response_format: { type: 'json_object' },
  };

  it('maps OpenAI fields to Mistral ones, drops the ones Mistral rejects, and the body is a valid ChatCompletionRequest', () => {
    const body = toMistralChatRequest(req, { stream: true });
    assertMistral('ChatCompletionRequest', body);
    const id = toMistralToolCallId('call_abc123XYZ_long');
    expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(body).toEqual({
      model: 'mistral-large-latest',
      stream: true,
      messages: [
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: [{ type: 'text', text: 'Que vois-tu ?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', content: '21C', tool_call_id: id, name: 'get_weather' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
      tool_choice: 'any',
      random_seed: 12,
      max_tokens: 300,
      temperature: 0.4,
      stop: ['\n\n'],
      n: 1,
      safe_prompt: true,
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
    });
  });

  it('the spec oracle would reject the unmapped OpenAI body (so the mapping matters)', () => {
    expect(validateMistral('ChatCompletionRequest', { ...req, stream: true }).length).toBeGreaterThan(0);
  });

  it('keeps valid Mistral tool ids, maps foreign ids deterministically, and passes unknown Mistral fields through', () => {
    expect(toMistralToolCallId('D681PevKs')).toBe('D681PevKs');
    expect(toMistralToolCallId('call_1')).toBe(toMistralToolCallId('call_1'));
    expect(toMistralToolCallId('call_1')).not.toBe(toMistralToolCallId('call_2'));
    const body = toMistralChatRequest({ model: 'magistral-medium-latest', messages: [{ role: 'user', content: 'hi' }], prompt_mode: 'reasoning', reasoning_effort: 'high' }, { stream: false });
    assertMistral('ChatCompletionRequest', body);
    expect(body).toMatchObject({ prompt_mode: 'reasoning', reasoning_effort: 'high', stream: false });
  });

  it('sends reasoning_content back as a thinking chunk and flattens prediction content', () => {
    const body = toMistralChatRequest(
      { model: 'magistral-small-latest', messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a', reasoning_content: 'because' }, { role: 'user', content: 'more' }], prediction: { type: 'content', content: [{ type: 'text', text: 'abc' }] } },
      { stream: false },
    );
    assertMistral('ChatCompletionRequest', body);
    expect((body.messages as unknown[])[1]).toEqual({ role: 'assistant', content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'because' }] }, { type: 'text', text: 'a' }] });
    expect(body.prediction).toEqual({ type: 'content', content: 'abc' });
  });

  it('builds the request on https://api.mistral.ai/v1 or the custom host, with Bearer auth', () => {
    const up = mistralProvider.chat!.toRequest({ model: 'mistral-small-latest', messages: [{ role: 'user', content: 'hi' }] }, target, { stream: false });
    expect(up.url).toBe('https://api.mistral.ai/v1/chat/completions');
    expect(up.headers.authorization).toBe('Bearer mi-key');
    expect(mistralProvider.chat!.toRequest({ model: 'm', messages: [] }, { ...target, customHost: 'http://127.0.0.1:1234/v1/' }, { stream: false }).url).toBe('http://127.0.0.1:1234/v1/chat/completions');
    expect(mistralProvider.passthrough!('/v1/fim/completions', { ...target, customHost: 'http://127.0.0.1:1234' })).toEqual({ url: 'http://127.0.0.1:1234/v1/fim/completions', headers: { authorization: 'Bearer mi-key', 'content-type': 'application/json' } });
  });
});

describe('fromMistralChatResponse', () => {
  // The example response from Mistral's published API document.
  const recorded = {
    id: 'cf79f7daaee244b1a0ae5c7b1444424a',
    object: 'chat.completion',
    model: 'mistral-medium-latest',
    usage: { prompt_tokens: 24, completion_tokens: 27, total_tokens: 51 },
    created: 1759500534,
    choices: [{ index: 0, message: { content: 'Arrr, the scallywag Claude Monet be the finest French painter.', tool_calls: null, prefix: false, role: 'assistant' }, finish_reason: 'stop' }],
  };

  it('maps to a valid OpenAI chat completion with usage', () => {
    assertMistral('ChatCompletionResponse', recorded);
    const out = fromMistralChatResponse(recorded, { model: 'x', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out).toMatchObject({ id: recorded.id, created: 1759500534, model: 'mistral-medium-latest', usage: { prompt_tokens: 24, completion_tokens: 27, total_tokens: 51 } });
    expect(out.choices[0].message).toEqual({ role: 'assistant', content: recorded.choices[0].message.content, refusal: null });
  });

  it('maps tool calls (object arguments too), thinking chunks and model_length', () => {
    const body = {
      ...recorded,
      choices: [{
        index: 0,
        message: { role: 'assistant', content: [{ type: 'thinking', thinking: [{ type: 'text', text: 'Hmm.' }] }, { type: 'text', text: '' }], tool_calls: [{ id: 'D681PevKs', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] },
        finish_reason: 'model_length',
      }],
    };
    assertMistral('ChatCompletionResponse', body);
    const out = fromMistralChatResponse(body, { model: 'x', messages: [] });
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0].finish_reason).toBe('length');
    expect(out.choices[0].message.reasoning_content).toBe('Hmm.');
    expect(out.choices[0].message.tool_calls).toEqual([{ id: 'D681PevKs', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }]);
  });

  it('finish_reason error is a 502', () => {
    expect(() => fromMistralChatResponse({ ...recorded, choices: [{ ...recorded.choices[0], finish_reason: 'error' }] }, { model: 'x', messages: [] })).toThrow(GatewayError);
  });
});

describe('Mistral stream mapping', () => {
  const base = { id: 'a1b2', object: 'chat.completion.chunk', created: 1759500534, model: 'mistral-small-latest' };
  const recorded = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { content: 'Bon' }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { content: 'jour' }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { tool_calls: [{ id: 'D681PevKs', function: { name: 'f', arguments: '{"x":1}' }, index: 0 }] }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } },
  ];
  const run = (includeUsage: boolean, frames = [...recorded.map((r) => JSON.stringify(r)), '[DONE]']) => {
    const s = createMistralStreamState({ model: 'mistral-small-latest', includeUsage });
    const out: ChatChunk[] = frames.flatMap((data) => fromMistralStreamEvent(s, { data }));
    out.push(...finishMistralStream(s));
    return out;
  };

  it('maps recorded CompletionChunks to valid OpenAI chunks, with a separate usage chunk when asked', () => {
    for (const r of recorded) assertMistral('CompletionChunk', r);
    const chunks = run(true);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Bonjour');
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])).toEqual([{ index: 0, id: 'D681PevKs', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }]);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-2)!.usage).toBeUndefined();
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } });
  });

  it('keeps usage on the last chunk when no usage chunk was asked for', () => {
    const chunks = run(false);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }], usage: { total_tokens: 13 } });
  });

  it('finish() throws when [DONE] never came; an error object mid-stream throws a 502', () => {
    expect(() => run(true, recorded.slice(0, 3).map((r) => JSON.stringify(r)))).toThrow(/before its data: \[DONE\]/);
    const s = createMistralStreamState({ model: 'm', includeUsage: true });
    try {
      fromMistralStreamEvent(s, { data: '{"object":"error","message":"Service unavailable","type":"internal_error","param":null,"code":"3000"}' });
      expect.unreachable();
    } catch (e) {
      expect((e as GatewayError).status).toBe(502);
      expect((e as GatewayError).message).toContain('Service unavailable');
    }
  });
});

describe('FIM (codestral) through /v1/completions', () => {
  it('maps an OpenAI completions request with prompt + suffix to a valid FIMCompletionRequest', () => {
    const body = toMistralFimRequest({ model: 'codestral-latest', prompt: 'def add(a, b):', suffix: 'print(add(1, 2))', max_tokens: 64, temperature: 0, seed: 3, stop: ['\n\n'], user: 'u', n: 1, echo: false, stream_options: { include_usage: true } }, { stream: true });
    assertMistral('FIMCompletionRequest', body);
    expect(body).toEqual({ model: 'codestral-latest', prompt: 'def add(a, b):', suffix: 'print(add(1, 2))', max_tokens: 64, temperature: 0, random_seed: 3, stop: ['\n\n'], stream: true });
    expect(toMistralFimRequest({ model: 'codestral-latest', prompt: ['only one'] }, { stream: false }).prompt).toBe('only one');
    expect(() => toMistralFimRequest({ model: 'codestral-latest', prompt: ['a', 'b'] }, { stream: false })).toThrow(/one prompt per request/);
    expect(() => toMistralFimRequest({ model: 'codestral-latest', prompt: 'a', n: 3 }, { stream: false })).toThrow(/one choice/);
  });

  it('maps the published FIM example response to an OpenAI text_completion', () => {
    const recorded = {
      id: '447e3e0d457e42e98248b5d2ef52a2a3',
      object: 'chat.completion',
      model: 'codestral-2508',
      usage: { prompt_tokens: 8, completion_tokens: 91, total_tokens: 99 },
      created: 1759496862,
      choices: [{ index: 0, message: { content: 'add_numbers(a: int, b: int) -> int:\n    return a + b\n', tool_calls: null, prefix: false, role: 'assistant' }, finish_reason: 'stop' }],
    };
    assertMistral('FIMCompletionResponse', recorded);
    const out = fromMistralFimResponse(recorded, { model: 'codestral-latest' });
    expect(validateOpenAI('CreateCompletionResponse', out)).toEqual([]);
    expect(out).toMatchObject({ object: 'text_completion', choices: [{ index: 0, text: recorded.choices[0].message.content, finish_reason: 'stop', logprobs: null }], usage: { total_tokens: 99 } });
    const up = mistralProvider.completions!.toRequest({ model: 'codestral-latest', prompt: 'x' }, target, { stream: false });
    expect(up.url).toBe('https://api.mistral.ai/v1/fim/completions');
  });
});

describe('Mistral embeddings', () => {
  it('maps the request (dimensions → output_dimension, user dropped) to a valid EmbeddingRequest', () => {
    const body = toMistralEmbeddingsRequest({ model: 'codestral-embed', input: ['a'], dimensions: 256, user: 'u', encoding_format: 'float' });
    assertMistral('EmbeddingRequest', body);
    expect(body).toEqual({ model: 'codestral-embed', input: ['a'], output_dimension: 256, encoding_format: 'float' });
  });

  it('maps a response without completion_tokens (spec bug relaxed) to a valid OpenAI embeddings response', () => {
    const recorded = { id: 'e1', object: 'list', model: 'mistral-embed', usage: { prompt_tokens: 6, total_tokens: 6 }, data: [{ object: 'embedding', embedding: [0.1, 0.2], index: 0 }] };
    assertMistral('EmbeddingResponse', recorded);
    const out = fromMistralEmbeddingsResponse(recorded, { model: 'mistral-embed', input: 'x' });
    assertOpenAI('CreateEmbeddingResponse', out);
    expect(out.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
  });
});

describe('mapMistralError', () => {
  it('reads {"object":"error"} bodies and keeps status, code and message', () => {
    const e = mapMistralError(400, '{"object":"error","message":"Invalid model: foo","type":"invalid_model","param":null,"code":"1500"}', {});
    expect(e).toMatchObject({ status: 400, code: '1500', provider: 'mistral-ai' });
    expect(e.message).toBe('mistral-ai error: Invalid model: foo');
  });

  it('describes 422 validation details, flat or nested in message', () => {
    const detail = { detail: [{ type: 'extra_forbidden', loc: ['body', 'user'], msg: 'Extra inputs are not permitted', input: 'u' }] };
    expect(mapMistralError(422, JSON.stringify(detail), {}).message).toContain('user: Extra inputs are not permitted');
    expect(mapMistralError(422, JSON.stringify({ object: 'error', message: detail, type: 'invalid_request_message_error' }), {}).message).toContain('user: Extra inputs are not permitted');
  });

  it('401 says to check the key; 429 keeps Retry-After; 5xx is an upstream_error', () => {
    expect(mapMistralError(401, '{"message":"Unauthorized","request_id":"r1"}', {}).message).toMatch(/Unauthorized.*Check the Mistral API key/);
    expect(mapMistralError(429, '{"message":"Requests rate limit exceeded"}', { 'retry-after': '1' }).headers).toEqual({ 'retry-after': '1' });
    expect(mapMistralError(503, 'no healthy upstream', {})).toMatchObject({ status: 503, type: 'upstream_error' });
  });
});
