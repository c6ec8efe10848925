import { describe, expect, it } from 'vitest';
import { googleProvider, toGeminiEmbedRequest, fromGeminiEmbedResponse } from '../../../src/providers/google/index.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import * as fx from './fixtures.js';
import { validateGemini } from './gemini-spec.js';

describe('google mapError (google.rpc envelope)', () => {
  const map = (status: number, body: unknown, headers: Record<string, string> = {}) => googleProvider.mapError(status, JSON.stringify(body), headers);
  it('keeps status and message, names the rpc status', () => {
    const e = map(400, fx.rpcErrors.invalid);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_argument');
    expect(e.message).toMatch(/^google error: Invalid JSON payload received\. Unknown name "additionalProperties".*\(INVALID_ARGUMENT\)$/);
    expect(map(403, fx.rpcErrors.permission).status).toBe(403);
    expect(map(401, fx.rpcErrors.unauthenticated).type).toBe('authentication_error');
  });
  it('429 and 503 keep Retry-After', () => {
    const e = map(429, fx.rpcErrors.exhausted, { 'retry-after': '7' });
    expect([e.status, e.type, e.headers]).toEqual([429, 'rate_limit_error', { 'retry-after': '7' }]);
    expect(map(503, fx.rpcErrors.unavailable).status).toBe(503);
  });
  it('the rpc status wins over a wrong HTTP status; a streamed JSON array error is read too', () => {
    expect(map(500, [fx.rpcErrors.exhausted]).status).toBe(429);
  });
  it('a non-JSON error body keeps the status and a short excerpt', () => {
    const e = googleProvider.mapError(502, '<html>Bad Gateway</html>', {});
    expect(e.status).toBe(502);
    expect(e.message).toContain('Bad Gateway');
  });
});

describe('Gemini embeddings', () => {
  it('one string → embedContent', () => {
    const r = toGeminiEmbedRequest({ model: 'text-embedding-004', input: 'hello', dimensions: 4 });
    expect(r).toEqual({ method: 'embedContent', body: { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 4 } });
    expect(validateGemini('EmbedContentRequest', r.body, 'request')).toEqual([]);
  });
  it('a list → batchEmbedContents with the model in every sub-request', () => {
    const r = toGeminiEmbedRequest({ model: 'models/text-embedding-004', input: ['a', 'b'] });
    expect(r).toEqual({ method: 'batchEmbedContents', body: { requests: [
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
    ] } });
    expect(validateGemini('BatchEmbedContentsRequest', r.body, 'request')).toEqual([]);
  });
  it('token arrays are refused', () => {
    expect(() => toGeminiEmbedRequest({ model: 'm', input: [1, 2, 3] })).toThrow(/token arrays/);
  });
  it('responses → OpenAI embedding lists', () => {
    const one = fromGeminiEmbedResponse(fx.embedContentResponse, { model: 'text-embedding-004', input: 'x' });
    expect(validateOpenAI('CreateEmbeddingResponse', one)).toEqual([]);
    expect(one.data[0]).toEqual({ object: 'embedding', index: 0, embedding: fx.embedContentResponse.embedding.values });
    const many = fromGeminiEmbedResponse(fx.batchEmbedContentsResponse, { model: 'm', input: ['a', 'b'] });
    expect(many.data.map((d) => d.index)).toEqual([0, 1]);
    const b64 = fromGeminiEmbedResponse(fx.batchEmbedContentsResponse, { model: 'm', input: ['a', 'b'], encoding_format: 'base64' });
    const buf = Buffer.from(b64.data[1].embedding as string, 'base64');
    expect(buf.readFloatLE(0)).toBeCloseTo(-0.1, 6);
    expect(() => fromGeminiEmbedResponse({}, { model: 'm', input: 'x' })).toThrow(/no embeddings/);
  });
  it('provider URLs for embeddings', () => {
    const t = { provider: 'google', apiKey: 'k', settings: {} };
    expect(googleProvider.embeddings!.toRequest({ model: 'text-embedding-004', input: 'x' }, t, { stream: false }).url).toMatch(/models\/text-embedding-004:embedContent$/);
    expect(googleProvider.embeddings!.toRequest({ model: 'text-embedding-004', input: ['x'] }, t, { stream: false }).url).toMatch(/:batchEmbedContents$/);
  });
});
