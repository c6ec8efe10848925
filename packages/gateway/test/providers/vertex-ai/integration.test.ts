import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearVertexTokenCache, vertexProvider } from '../../../src/providers/vertex-ai/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import { chat, chatStream, send, testAuthorizeContext } from '../google/upstream.js';

let fake: FakeGemini;
let target: ProviderTarget;
beforeAll(async () => {
  fake = await startFakeGemini();
  testAuthorizeContext.tokenUris.push(fake.tokenUri);
  target = { provider: 'vertex-ai', customHost: fake.vertexBase, settings: { vertex_project_id: 'fake-project', vertex_region: 'us-east5', vertex_service_account_json: fake.serviceAccountJson } };
});
afterAll(() => fake.close());
beforeEach(() => clearVertexTokenCache());

const ask = (model: string): ChatRequest => ({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello' }], max_tokens: 64 });

describe('vertex-ai against the fake (undici, OAuth via the fake token endpoint)', () => {
  it('Gemini generateContent and streamGenerateContent with usage, one token exchange for all calls', async () => {
    const before = fake.tokenExchanges;
    const r = await chat(vertexProvider, ask('gemini-2.0-flash'), target);
    expect(validateOpenAI('CreateChatCompletionResponse', r)).toEqual([]);
    expect(r.choices[0].message.content).toBe('Hello from fake Gemini.');
    const rec = fake.requests[fake.requests.length - 1];
    expect(rec.path).toBe('/v1/projects/fake-project/locations/us-east5/publishers/google/models/gemini-2.0-flash:generateContent');
    expect(rec.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    const chunks = await chatStream(vertexProvider, { ...ask('gemini-2.0-flash'), stream_options: { include_usage: true } }, target);
    for (const c of chunks) expect(validateOpenAI('CreateChatCompletionStreamResponse', c)).toEqual([]);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fake Gemini.');
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { completion_tokens: 4 } });
    expect(fake.tokenExchanges - before).toBe(1);
  });

  it('Claude on Vertex: rawPredict and streamRawPredict with usage', async () => {
    const r = await chat(vertexProvider, ask('claude-sonnet-4@20250514'), target);
    expect(validateOpenAI('CreateChatCompletionResponse', r)).toEqual([]);
    expect(r.choices[0]).toMatchObject({ message: { content: 'Hello from Claude on fake Vertex.' }, finish_reason: 'stop' });
    expect(r.usage?.completion_tokens).toBe(7);
    const rec = fake.requests[fake.requests.length - 1];
    expect(rec.path).toBe('/v1/projects/fake-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict');
    expect(rec.body).toMatchObject({ anthropic_version: 'vertex-2023-10-16', max_tokens: 64 });
    const chunks = await chatStream(vertexProvider, { ...ask('claude-sonnet-4@20250514'), stream_options: { include_usage: true } }, target);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from Claude on fake Vertex.');
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1].usage).toMatchObject({ completion_tokens: 7 });
    fake.enqueue({ kind: 'cut', afterFrames: 0 });
    await expect(chatStream(vertexProvider, ask('claude-sonnet-4@20250514'), target)).rejects.toThrow(/message_stop/);
  });

  it('a static bearer token works instead of a service account; a bad one is 401 UNAUTHENTICATED', async () => {
    const bearer = { ...target, apiKey: fake.staticBearer, settings: { vertex_project_id: 'fake-project', vertex_region: 'global' } };
    const r = await chat(vertexProvider, ask('gemini-2.5-flash'), bearer);
    expect(r.choices[0].message.content).toBe('Hello from fake Gemini.');
    expect(fake.requests[fake.requests.length - 1].path).toContain('/locations/global/');
    await expect(chat(vertexProvider, ask('gemini-2.5-flash'), { ...bearer, apiKey: 'ya29.revoked' })).rejects.toMatchObject({ status: 401, provider: 'vertex-ai' });
  });

  it('errors: 429 RESOURCE_EXHAUSTED and mid-stream UNAVAILABLE are mapped', async () => {
    fake.enqueue({ kind: 'error', status: 429, rpcStatus: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded.' });
    await expect(chat(vertexProvider, ask('gemini-2.0-flash'), target)).rejects.toMatchObject({ status: 429, provider: 'vertex-ai' });
    fake.enqueue({ kind: 'stream-error', afterFrames: 1 });
    await expect(chatStream(vertexProvider, ask('gemini-2.0-flash'), target)).rejects.toMatchObject({ status: 503 });
  });

  it('embeddings via :predict, with token counts as usage', async () => {
    const req = { model: 'text-embedding-005', input: ['one two', 'three'], dimensions: 3 };
    const res = await send(vertexProvider, vertexProvider.embeddings!.toRequest(req, target, { stream: false }), target);
    expect(res.status).toBe(200);
    const out = vertexProvider.embeddings!.fromResponse(JSON.parse(res.text), req, target);
    expect(validateOpenAI('CreateEmbeddingResponse', out)).toEqual([]);
    expect(out.data.map((d) => (d.embedding as number[]).length)).toEqual([3, 3]);
    expect(out.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });
});
