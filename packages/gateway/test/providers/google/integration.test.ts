import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { googleProvider } from '../../../src/providers/google/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import { chat, chatStream, send } from './upstream.js';
import { requireSpec } from '../../helpers/specs.js';

let fake: FakeGemini;
let target: ProviderTarget;
beforeAll(async () => {
  fake = await startFakeGemini();
  target = { provider: 'google', apiKey: fake.apiKey, customHost: fake.geminiBase, settings: {} };
});
afterAll(() => fake.close());

const weatherTool = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather for a city', parameters: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { city: { type: 'string' }, unit: { anyOf: [{ const: 'c' }, { const: 'f' }, { type: 'null' }] } }, required: ['city'] } } };
const base: ChatRequest = { model: 'gemini-2.0-flash', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }] };

describe('google provider against the fake Gemini API (undici)', () => {
  it('generateContent: text answer with usage', async () => {
    const r = await chat(googleProvider, base, target);
    expect(validateOpenAI('CreateChatCompletionResponse', r)).toEqual([]);
    expect(r.choices[0].message.content).toBe('Hello from fake Gemini.');
    expect(r.usage?.completion_tokens).toBe(4);
    const rec = fake.requests[fake.requests.length - 1];
    expect(rec.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(rec.headers['x-goog-api-key']).toBe(fake.apiKey);
    expect((rec.body as { systemInstruction: unknown }).systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
  });

  it('streamGenerateContent?alt=sse: deltas, finish and usage chunk', async () => {
    const chunks = await chatStream(googleProvider, { ...base, stream_options: { include_usage: true } }, target);
    for (const c of chunks) expect(validateOpenAI('CreateChatCompletionStreamResponse', c)).toEqual([]);
    expect(chunks.map((c) => c.choices[0]?.delta.content).filter(Boolean).join('')).toBe('Hello from fake Gemini.');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ completion_tokens: 4, total_tokens: (last.usage?.prompt_tokens ?? 0) + 4 });
    expect(fake.requests[fake.requests.length - 1].query).toEqual({ alt: 'sse' });
  });

  it('tools with a JSON Schema the API would reject are sanitised and accepted; the call comes back as tool_calls', async () => {
    const r = await chat(googleProvider, { ...base, tools: [weatherTool], tool_choice: 'required' }, target);
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse(r.choices[0].message.tool_calls![0].function.arguments)).toEqual({ city: 'Paris' });
    const chunks = await chatStream(googleProvider, { ...base, tools: [weatherTool], stream_options: { include_usage: true } }, target);
    expect(chunks[0].choices[0].delta.tool_calls?.[0]).toMatchObject({ index: 0, function: { name: 'get_weather' } });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
  });

  it('the fake rejects an unsanitised schema as the real API does (the oracle can fail)', async () => {
    requireSpec('gemini/gemini-v1beta.schema.json');
    const up = googleProvider.chat!.toRequest(base, target, { stream: false });
    const body = JSON.parse(up.body as string);
    body.tools = [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } } }] }];
    const res = await send(googleProvider, { ...up, body: JSON.stringify(body) }, target);
    expect(res.status).toBe(400);
    const err = googleProvider.mapError(res.status, res.text, res.headers);
    expect(err.message).toMatch(/Unknown name "additionalProperties"/);
  });

  it('auth: no key → 403, wrong key → 400 API_KEY_INVALID, both mapped', async () => {
    const up = googleProvider.chat!.toRequest(base, target, { stream: false });
    const { 'x-goog-api-key': _k, ...noKey } = up.headers;
    const a = await send(googleProvider, { ...up, headers: noKey }, target);
    expect(googleProvider.mapError(a.status, a.text, a.headers).status).toBe(403);
    const b = await send(googleProvider, { ...up, headers: { ...up.headers, 'x-goog-api-key': 'wrong' } }, target);
    expect(googleProvider.mapError(b.status, b.text, b.headers)).toMatchObject({ status: 400, code: 'invalid_argument' });
  });

  it('scripted faults: 429 with Retry-After, 503, blocked prompt, candidate safety, cut stream, mid-stream error', async () => {
    fake.enqueue({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).', retryAfter: '3' });
    await expect(chat(googleProvider, base, target)).rejects.toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    fake.enqueue({ kind: 'error', status: 503, rpcStatus: 'UNAVAILABLE', message: 'The model is overloaded.' });
    await expect(chat(googleProvider, base, target)).rejects.toMatchObject({ status: 503 });
    fake.enqueue({ kind: 'prompt-blocked' });
    const blocked = await chat(googleProvider, base, target);
    expect(blocked.choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { content: '' } });
    fake.enqueue({ kind: 'candidate-safety' });
    const s = await chatStream(googleProvider, base, target);
    expect(s[s.length - 1].choices[0].finish_reason).toBe('content_filter');
    fake.enqueue({ kind: 'cut', afterFrames: 2 });
    await expect(chatStream(googleProvider, base, target)).rejects.toThrow(/truncated/);
    fake.enqueue({ kind: 'stream-error', afterFrames: 1 });
    await expect(chatStream(googleProvider, base, target)).rejects.toMatchObject({ status: 503 });
  });

  it('n > 1 and thinking: candidates become choices, thoughts become reasoning_content', async () => {
    const r = await chat(googleProvider, { ...base, n: 2, reasoning_effort: 'low' }, target);
    expect(r.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(r.choices[0].message.reasoning_content).toBe('Thinking about it.');
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(4);
  });

  it('embeddings: embedContent and batchEmbedContents', async () => {
    const e = googleProvider.embeddings!;
    for (const input of ['hello', ['a', 'bb', 'ccc']] as const) {
      const req = { model: 'text-embedding-004', input: input as string | string[], dimensions: 5 };
      const res = await send(googleProvider, e.toRequest(req, target, { stream: false }), target);
      expect(res.status).toBe(200);
      const out = e.fromResponse(JSON.parse(res.text), req, target);
      expect(validateOpenAI('CreateEmbeddingResponse', out)).toEqual([]);
      expect(out.data).toHaveLength(Array.isArray(input) ? 3 : 1);
      expect(out.data[0].embedding).toHaveLength(5);
    }
  });
});
