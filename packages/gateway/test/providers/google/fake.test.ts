/** The fake upstream itself: exact wire framing and the API's rejections, so tests built on it can fail. */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGemini, type FakeGemini } from '../../fakes/gemini.js';
import { validateGemini } from './gemini-spec.js';
import { requireSpec } from '../../helpers/specs.js';

let fake: FakeGemini;
beforeAll(async () => { fake = await startFakeGemini(); });
afterAll(() => fake.close());

const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
const post = async (path: string, b: string, headers: Record<string, string> = { 'x-goog-api-key': fake.apiKey }) => {
  const res = await request(fake.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: b });
  return { status: res.statusCode, type: String(res.headers['content-type']), text: await res.body.text() };
};

describe('fake Gemini', () => {
  it('alt=sse: data frames with CRLF separators, no event names, no [DONE]', async () => {
    const r = await post('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse', body);
    expect(r.type).toBe('text/event-stream');
    const frames = r.text.split('\r\n\r\n');
    expect(frames.pop()).toBe('');
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      expect(f.startsWith('data: ')).toBe(true);
      expect(validateGemini('GenerateContentResponse', JSON.parse(f.slice(6)), 'response')).toEqual([]);
    }
    expect(r.text).not.toMatch(/event:|\[DONE\]/);
  });

  it('without alt=sse: one JSON array of GenerateContentResponse', async () => {
    const r = await post('/v1beta/models/gemini-2.0-flash:streamGenerateContent', body);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.text.startsWith('[{')).toBe(true);
    const arr = JSON.parse(r.text) as unknown[];
    expect(arr).toHaveLength(3);
    for (const f of arr) expect(validateGemini('GenerateContentResponse', f, 'response')).toEqual([]);
  });

  it('accepts the key as ?key= too; rejects malformed JSON and unknown fields with INVALID_ARGUMENT', async () => {
    requireSpec('gemini/gemini-v1beta.schema.json');
    expect((await post(`/v1beta/models/gemini-2.0-flash:generateContent?key=${fake.apiKey}`, body, {})).status).toBe(200);
    const bad = await post('/v1beta/models/gemini-2.0-flash:generateContent', '{"contents": [');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.status).toBe('INVALID_ARGUMENT');
    const unknown = await post('/v1beta/models/gemini-2.0-flash:generateContent', JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], generationConfig: { max_tokens: 5 } }));
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error.message).toMatch(/Unknown name "max_tokens" at 'generationConfig'/);
    const role = await post('/v1beta/models/gemini-2.0-flash:generateContent', JSON.stringify({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }));
    expect(JSON.parse(role.text).error.message).toMatch(/valid role/);
    const empty = await post('/v1beta/models/gemini-2.0-flash:generateContent', JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: {} } }] }] }));
    expect(JSON.parse(empty.text).error.message).toMatch(/should be non-empty for OBJECT type/);
  });

  it('a scripted reply that breaks the response schema is refused loudly', async () => {
    requireSpec('gemini/gemini-v1beta.schema.json');
    fake.enqueue({ kind: 'reply', body: { candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: 'DONE' }] } });
    const r = await post('/v1beta/models/gemini-2.0-flash:generateContent', body);
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/breaks the schema/);
  });

  it('Vertex paths need a bearer token; unknown paths are 404 NOT_FOUND', async () => {
    const v = await post('/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent', body, {});
    expect([v.status, JSON.parse(v.text).error.status]).toEqual([401, 'UNAUTHENTICATED']);
    const n = await post('/v1beta/tunedModels/x:generateContent', body);
    expect(n.status).toBe(404);
  });

  it('the token endpoint rejects a wrong grant type', async () => {
    const res = await request(`${fake.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    expect(res.statusCode).toBe(400);
    expect(await res.body.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});
