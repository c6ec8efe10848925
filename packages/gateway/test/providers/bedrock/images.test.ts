import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_CREDENTIALS } from '../../fakes/bedrock.js';
import { startFakeCompat, type CompatRequest, type FakeCompat } from '../../fakes/openai-compatible.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { verifySigV4 } from './sigv4-verify.js';

/**
 * POST /v1/images/generations on Bedrock through the gateway with the openai SDK: Nova Canvas / Titan
 * (TEXT_IMAGE task) and Stability (its own body), SigV4 checked by an independent implementation,
 * answers in OpenAI's ImagesResponse shape.
 */
let gw: TestGateway;
let fake: FakeCompat;
const PNG_B64 = Buffer.from('\x89PNG\r\n\x1a\nfake-image-bytes', 'latin1').toString('base64');

beforeAll(async () => {
  fake = await startFakeCompat();
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
  fake.route('/invoke', (req: CompatRequest) => {
    const path = req.url.slice(req.url.indexOf('/', 8));
    const sig = verifySigV4({ method: req.method, rawPath: path, headers: req.headers, body: Buffer.from(req.raw) }, { service: 'bedrock', region: 'us-east-1', credentials: [FAKE_AWS_CREDENTIALS] });
    if (!sig.ok) return { status: sig.status, body: { message: sig.message } };
    const b = req.body;
    if (path.includes('stability.')) {
      if (typeof b.prompt !== 'string' || b.taskType) return { status: 400, body: { message: 'ValidationException: prompt required' } };
      return { status: 200, body: { seeds: [42], finish_reasons: [null], images: [PNG_B64] } };
    }
    if (b.taskType !== 'TEXT_IMAGE' || typeof b.textToImageParams?.text !== 'string') return { status: 400, body: { message: 'ValidationException: taskType' } };
    return { status: 200, body: { images: Array.from({ length: b.imageGenerationConfig?.numberOfImages ?? 1 }, () => PNG_B64), error: null } };
  });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const client = () => new OpenAI({
  apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0,
  defaultHeaders: { 'x-portkey-provider': 'bedrock', 'x-portkey-aws-region': 'us-east-1', 'x-portkey-aws-access-key-id': FAKE_AWS_CREDENTIALS.accessKeyId, 'x-portkey-aws-secret-access-key': FAKE_AWS_CREDENTIALS.secretAccessKey },
});

describe('bedrock images', () => {
  it('Nova Canvas: TEXT_IMAGE body, signed, b64_json back', async () => {
    const res = await client().images.generate({ model: 'amazon.nova-canvas-v1:0', prompt: 'a lighthouse at dusk', n: 2, size: '1024x768', quality: 'hd', response_format: 'b64_json' });
    const up = fake.requests.at(-1)!;
    expect(up.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-canvas-v1%3A0/invoke');
    expect(up.body).toEqual({ taskType: 'TEXT_IMAGE', textToImageParams: { text: 'a lighthouse at dusk' }, imageGenerationConfig: { numberOfImages: 2, width: 1024, height: 768, quality: 'premium' } });
    assertOpenAI('ImagesResponse', res);
    expect(res.data!.map((d) => d.b64_json)).toEqual([PNG_B64, PNG_B64]);
  });

  it('Stability on Bedrock: its own body', async () => {
    const res = await client().images.generate({ model: 'stability.sd3-5-large-v1:0', prompt: 'a red fox' });
    expect(fake.requests.at(-1)!.body).toEqual({ prompt: 'a red fox', mode: 'text-to-image', output_format: 'png' });
    assertOpenAI('ImagesResponse', res);
    expect(res.data![0].b64_json).toBe(PNG_B64);
  });

  it('response_format url is a 400 saying Bedrock returns bytes; nothing sent', async () => {
    const before = fake.requests.length;
    const err = await client().images.generate({ model: 'amazon.titan-image-generator-v2:0', prompt: 'x', response_format: 'url' }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe('response_format');
    expect(fake.requests.length).toBe(before);
  });

  it('an unknown field is refused by name', async () => {
    const res = await fetch(`${gw.url}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-provider': 'bedrock' }, body: JSON.stringify({ prompt: 'x', colour: 'red' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.param).toBe('colour');
  });
});
