import { describe, expect, it } from 'vitest';
import { toGeminiRequest, googleProvider } from '../../../src/providers/google/index.js';
import type { ChatRequest } from '../../../src/providers/types.js';
import { validateGemini } from './gemini-spec.js';

function map(req: Partial<ChatRequest>) {
  const out = toGeminiRequest({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }], ...req } as ChatRequest);
  expect(validateGemini('GenerateContentRequest', out, 'request')).toEqual([]);
  return out;
}

describe('toGeminiRequest', () => {
  it('system and developer → systemInstruction; user/assistant → user/model', () => {
    const out = map({ messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }] },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Weather?' },
    ] });
    expect(out.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use metric.' }] });
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hi' }] },
      { role: 'model', parts: [{ text: 'Hello!' }] },
      { role: 'user', parts: [{ text: 'Weather?' }] },
    ]);
  });

  it('images: data URLs inline, http(s) as fileData', () => {
    const out = map({ messages: [{ role: 'user', content: [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg?x=1' } },
      { type: 'image_url', image_url: { url: 'gs://bucket/doc' } },
    ] }] });
    expect(out.contents[0].parts).toEqual([
      { text: 'What is this?' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { fileUri: 'https://example.com/cat.jpg?x=1', mimeType: 'image/jpeg' } },
      { fileData: { fileUri: 'gs://bucket/doc' } },
    ]);
    expect(() => map({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }] })).toThrow(/data: URL or an http/);
  });

  it('tools → functionDeclarations with sanitised schemas; tool_choice → functionCallingConfig', () => {
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', additionalProperties: false, properties: { location: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['c', 'f', null] } }, required: ['location'] } } },
      { type: 'function' as const, function: { name: 'now', parameters: { type: 'object', properties: {} } } },
    ];
    const out = map({ tools, tool_choice: 'auto' });
    expect(out.tools).toEqual([{ functionDeclarations: [
      { name: 'get_weather', description: 'Weather', parameters: { type: 'OBJECT', properties: { location: { type: 'STRING' }, unit: { type: 'STRING', nullable: true, enum: ['c', 'f'] } }, required: ['location'] } },
      { name: 'now' },
    ] }]);
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(map({ tools, tool_choice: 'none' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(map({ tools, tool_choice: 'required' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(map({ tools, tool_choice: { type: 'function', function: { name: 'now' } } }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['now'] } });
  });

  it('assistant tool_calls → functionCall parts; tool results → one user turn of functionResponse parts', () => {
    const out = map({ messages: [
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' }, extra_content: { google: { thought_signature: 'c2ln' } } } as never,
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
      ] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      { role: 'tool', tool_call_id: 'call_2', content: '14:00' },
    ] });
    expect(out.contents[1]).toEqual({ role: 'model', parts: [
      { functionCall: { name: 'get_weather', args: { location: 'Paris' } }, thoughtSignature: 'c2ln' },
      { functionCall: { name: 'get_time', args: {} } },
    ] });
    expect(out.contents[2]).toEqual({ role: 'user', parts: [
      { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
      { functionResponse: { name: 'get_time', response: { result: '14:00' } } },
    ] });
    expect(out.contents).toHaveLength(3);
  });

  it('a tool result with an unknown id is a clear 400', () => {
    expect(() => map({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'nope', content: '1' }] })).toThrow(/matches no earlier assistant tool call/);
    expect(() => map({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{bad' } }] }] })).toThrow(/not valid JSON/);
  });

  it('generationConfig from sampling parameters, response_format and reasoning', () => {
    const out = map({ max_tokens: 100, temperature: 0.2, top_p: 0.9, stop: 'END', n: 2, seed: 7, presence_penalty: 0.1, frequency_penalty: 0.3, response_format: { type: 'json_object' }, reasoning_effort: 'low' });
    expect(out.generationConfig).toEqual({ maxOutputTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END'], candidateCount: 2, seed: 7, presencePenalty: 0.1, frequencyPenalty: 0.3, responseMimeType: 'application/json', thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } });
    const js = map({ max_completion_tokens: 50, max_tokens: 10, response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'], additionalProperties: false } } }, thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(js.generationConfig).toEqual({ maxOutputTokens: 50, responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'INTEGER' } }, required: ['a'] }, thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } });
    expect(map({ reasoning_effort: 'none' }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(() => map({ reasoning_effort: 'max' })).toThrow(/reasoning_effort/);
    expect(map({}).generationConfig).toBeUndefined();
  });

  it('refuses a request with only a system prompt or unknown roles', () => {
    expect(() => map({ messages: [{ role: 'system', content: 'x' }] })).toThrow(/at least one user/);
    expect(() => map({ messages: [{ role: 'robot' as never, content: 'x' }] })).toThrow(/not supported/);
  });
});

describe('googleProvider.chat.toRequest', () => {
  const target = { provider: 'google', apiKey: 'AIza-k', settings: {} };
  it('builds generateContent and streamGenerateContent?alt=sse URLs with the key header', () => {
    const req = { model: 'gemini-2.0-flash', messages: [{ role: 'user' as const, content: 'hi' }] };
    const a = googleProvider.chat!.toRequest(req, target, { stream: false });
    expect(a.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent');
    expect(a.headers['x-goog-api-key']).toBe('AIza-k');
    const b = googleProvider.chat!.toRequest({ ...req, model: 'models/gemini-2.0-flash' }, { ...target, customHost: 'http://127.0.0.1:9/v1beta/' }, { stream: true });
    expect(b.url).toBe('http://127.0.0.1:9/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  });
  it('without a key: 401 that says how to pass one', () => {
    expect(() => googleProvider.chat!.toRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { provider: 'google', settings: {} }, { stream: false })).toThrow(expect.objectContaining({ status: 401 }));
  });
});
