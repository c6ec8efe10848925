import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type CompatRequest, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { checkedIfPresent } from '../../helpers/specs.js';
import { validateGemini } from './gemini-spec.js';

/**
 * Images from Google's models through the gateway, with the openai SDK as the client:
 * - Gemini image models by generateContent with responseModalities TEXT+IMAGE, on the Gemini API
 *   (x-goog-api-key) and on Vertex (bearer token); the fake answers as Gemini documents, an image as
 *   an inlineData part, and checks every request against the Gemini v1beta schema where it is present.
 * - Imagen on the Gemini API by :predict.
 */
let gw: TestGateway;
let fake: FakeCompat;
const PNG = (i: number) => Buffer.from(`fake-png-${i}`).toString('base64');
let served = 0;

const checkRequest = checkedIfPresent('gemini/gemini-v1beta.schema.json', (body: unknown) => validateGemini('GenerateContentRequest', body, 'request'), []);

function geminiImageReply(req: CompatRequest) {
  const authorised = req.headers['x-goog-api-key'] === 'gemini-key' || req.headers.authorization === 'Bearer ya29.vertex-token';
  if (!authorised) return { status: 401, body: { error: { code: 401, message: 'API key not valid.', status: 'UNAUTHENTICATED' } } };
  const problems = checkRequest(req.body);
  if (problems.length) return { status: 400, body: { error: { code: 400, message: problems.join('; '), status: 'INVALID_ARGUMENT' } } };
  const modalities = req.body.generationConfig?.responseModalities;
  if (!Array.isArray(modalities) || !modalities.includes('IMAGE')) return { status: 200, body: { candidates: [{ content: { role: 'model', parts: [{ text: 'I can only describe it.' }] }, finishReason: 'STOP' }] } };
  const prompt = req.body.contents?.[0]?.parts?.[0]?.text;
  if (prompt === 'blocked') return { status: 200, body: { candidates: [{ finishReason: 'IMAGE_SAFETY' }], usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } } };
  served += 1;
  return {
    status: 200,
    body: {
      candidates: [{ content: { role: 'model', parts: [{ text: 'Here is your image.' }, { inlineData: { mimeType: 'image/png', data: PNG(served) } }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 1290, totalTokenCount: 1297 },
      modelVersion: 'gemini-2.5-flash-image',
    },
  };
}

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  fake.route(':generateContent', geminiImageReply);
  fake.route(':predict', (req) => {
    if (req.headers['x-goog-api-key'] !== 'gemini-key') return { status: 401, body: { error: { code: 401, message: 'API key not valid.', status: 'UNAUTHENTICATED' } } };
    return { status: 200, body: { predictions: Array.from({ length: req.body.parameters.sampleCount }, (_, i) => ({ bytesBase64Encoded: PNG(100 + i), mimeType: 'image/png' })) } };
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const gemini = () => new OpenAI({ apiKey: 'gemini-key', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'google' } });
const vertex = () => new OpenAI({
  apiKey: 'ya29.vertex-token', baseURL: `${gw.url}/v1`, maxRetries: 0,
  defaultHeaders: { 'x-portkey-provider': 'vertex-ai', 'x-portkey-vertex-project-id': 'proj-1', 'x-portkey-vertex-region': 'us-central1' },
});

describe('Gemini image output on the Gemini API', () => {
  it('generateContent with IMAGE in responseModalities; the inlineData part comes back as b64_json, usage kept', async () => {
    const before = fake.requests.length;
    const res = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'a lighthouse at dusk', size: '1792x1024' });
    const up = fake.requests.slice(before);
    expect(up).toHaveLength(1);
    expect(up[0].url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent');
    expect(up[0].body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'a lighthouse at dusk' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9' } },
    });
    assertOpenAI('ImagesResponse', res);
    expect(res.data).toHaveLength(1);
    expect(Buffer.from(res.data![0].b64_json!, 'base64').toString()).toMatch(/^fake-png-\d+$/);
    expect(res.usage).toEqual({ input_tokens: 7, output_tokens: 1290, total_tokens: 1297, input_tokens_details: { text_tokens: 7, image_tokens: 0 } });
  });

  it('n images are n calls (one image each), all returned in order', async () => {
    const before = fake.requests.length;
    const res = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'three boats', n: 3 });
    expect(fake.requests.length - before).toBe(3);
    expect(new Set(res.data!.map((d) => d.b64_json)).size).toBe(3);
    expect(res.usage?.total_tokens).toBe(3 * 1297);
  });

  it('an image the safety filter withheld is a 400 image_filtered naming the reason, not an empty success', async () => {
    const err = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'blocked' }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.code).toBe('image_filtered');
    expect(err.error.message).toContain('IMAGE_SAFETY');
  });

  it('fields Gemini has no equivalent for are refused by name', async () => {
    for (const [field, value] of [['negative_prompt', 'rain'], ['quality', 'hd'], ['style', 'vivid']] as const) {
      const err = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'x', [field]: value } as never).catch((e) => e);
      expect(err.status, field).toBe(400);
      expect(err.error.param).toBe(field);
    }
    const urls = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'x', response_format: 'url' }).catch((e) => e);
    expect(urls.error.param).toBe('response_format');
    const aspect = await gemini().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'x', aspect_ratio: '7:3' } as never).catch((e) => e);
    expect(aspect.error.param).toBe('aspect_ratio');
  });

  it('Imagen on the Gemini API by :predict with the API key', async () => {
    const res = await gemini().images.generate({ model: 'imagen-4.0-generate-001', prompt: 'a red kite', n: 2, size: '1024x1024' });
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/imagen-4.0-generate-001:predict');
    expect(up.body).toEqual({ instances: [{ prompt: 'a red kite' }], parameters: { sampleCount: 2, aspectRatio: '1:1' } });
    assertOpenAI('ImagesResponse', res);
    expect(res.data).toHaveLength(2);
  });
});

describe('Gemini image output on Vertex AI', () => {
  it('generateContent on the Vertex model URL with the bearer token, n=2 as two calls', async () => {
    const before = fake.requests.length;
    const res = await vertex().images.generate({ model: 'gemini-2.5-flash-image', prompt: 'a quiet harbour', n: 2 });
    const up = fake.requests.slice(before);
    expect(up.map((r) => r.url)).toEqual(Array(2).fill('https://us-central1-aiplatform.googleapis.com/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-flash-image:generateContent'));
    expect(up.every((r) => r.headers.authorization === 'Bearer ya29.vertex-token')).toBe(true);
    assertOpenAI('ImagesResponse', res);
    expect(res.data).toHaveLength(2);
  });
});
