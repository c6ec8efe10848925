import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCompat, type CompatRequest, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

/**
 * Vertex Imagen through the gateway with the openai SDK: the fake answers :predict for imagen models
 * as Vertex documents ({predictions:[{bytesBase64Encoded, mimeType}]}) for a bearer token only.
 */
let gw: TestGateway;
let fake: FakeCompat;
const IMG = Buffer.from('fake-png').toString('base64');

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  fake.route(':predict', (req: CompatRequest) => {
    if (req.headers.authorization !== 'Bearer ya29.vertex-token') return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } } };
    const b = req.body;
    if (!Array.isArray(b.instances) || typeof b.instances[0]?.prompt !== 'string' || !Number.isInteger(b.parameters?.sampleCount)) {
      return { status: 400, body: { error: { code: 400, message: 'Invalid instances', status: 'INVALID_ARGUMENT' } } };
    }
    if (b.instances[0].prompt === 'blocked') return { status: 200, body: {} };
    return { status: 200, body: { predictions: Array.from({ length: b.parameters.sampleCount }, () => ({ bytesBase64Encoded: IMG, mimeType: 'image/png' })) } };
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const client = () => new OpenAI({
  apiKey: 'ya29.vertex-token', baseURL: `${gw.url}/v1`, maxRetries: 0,
  defaultHeaders: { 'x-portkey-provider': 'vertex-ai', 'x-portkey-vertex-project-id': 'proj-1', 'x-portkey-vertex-region': 'europe-west4' },
});

describe('vertex-ai Imagen', () => {
  it(':predict with instances and parameters, b64_json back', async () => {
    const res = await client().images.generate({ model: 'imagen-3.0-generate-002', prompt: 'a quiet harbour', n: 2, size: '1792x1024' });
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-1/locations/europe-west4/publishers/google/models/imagen-3.0-generate-002:predict');
    expect(up.body).toEqual({ instances: [{ prompt: 'a quiet harbour' }], parameters: { sampleCount: 2, aspectRatio: '16:9' } });
    assertOpenAI('ImagesResponse', res);
    expect(res.data!.map((d) => d.b64_json)).toEqual([IMG, IMG]);
  });

  it('a size Imagen has no aspect ratio for is a 400 listing the sizes', async () => {
    const err = await client().images.generate({ model: 'imagen-3.0-generate-002', prompt: 'x', size: '512x512' }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('size');
  });

  it('all images filtered is a 400 content_filter, not an empty success', async () => {
    const err = await client().images.generate({ model: 'imagen-3.0-generate-002', prompt: 'blocked' }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.code).toBe('image_filtered');
  });
});
