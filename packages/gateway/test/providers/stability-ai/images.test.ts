import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { ORIGINAL_ORIGIN_HEADER } from '../../helpers/redirect-dispatcher.js';

/**
 * Stability AI's own API through the gateway, with the openai SDK as the client. The fake follows
 * Stability's API reference: v2beta Stable Image takes multipart/form-data (parsed here with the
 * platform's own form-data parser) with the documented fields only, wants Accept: application/json
 * for a JSON answer {image, finish_reason, seed}, and errors as {id, name, errors}; v1 engines take
 * JSON {text_prompts, ...} and answer {artifacts}.
 */
interface Seen { url: string; headers: Record<string, string | string[] | undefined>; form?: Record<string, string>; json?: any }
const V2_FIELDS: Record<string, Set<string>> = {
  ultra: new Set(['prompt', 'negative_prompt', 'aspect_ratio', 'seed', 'style_preset', 'output_format', 'image', 'strength']),
  core: new Set(['prompt', 'negative_prompt', 'aspect_ratio', 'seed', 'style_preset', 'output_format']),
  sd3: new Set(['prompt', 'mode', 'model', 'negative_prompt', 'aspect_ratio', 'seed', 'output_format', 'image', 'strength', 'cfg_scale']),
};
let server: Server;
let origin: string;
let gw: TestGateway;
const seen: Seen[] = [];
let calls = 0;

function reply(res: import('node:http').ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = String(req.headers[ORIGINAL_ORIGIN_HEADER]) + req.url;
    const entry: Seen = { url, headers: req.headers };
    seen.push(entry);
    if (req.headers.authorization !== 'Bearer sk-stability') return reply(res, 401, { id: 'e1', name: 'unauthorized', errors: ['authorization: invalid or missing API key'] });
    const v2 = /\/v2beta\/stable-image\/generate\/(ultra|core|sd3)$/.exec(req.url ?? '');
    if (v2) {
      if (req.headers.accept !== 'application/json') return reply(res, 400, { id: 'e2', name: 'bad_request', errors: ['accept: expected application/json for a JSON answer'] });
      if (!String(req.headers['content-type']).startsWith('multipart/form-data; boundary=')) return reply(res, 400, { id: 'e3', name: 'bad_request', errors: ['content-type: must be multipart/form-data'] });
      const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
      entry.form = Object.fromEntries([...form.entries()].map(([k, v]) => [k, String(v)]));
      const unknown = Object.keys(entry.form).filter((k) => !V2_FIELDS[v2[1]].has(k));
      if (unknown.length) return reply(res, 400, { id: 'e4', name: 'bad_request', errors: unknown.map((k) => `${k}: unknown field`) });
      if (!entry.form.prompt) return reply(res, 400, { id: 'e5', name: 'bad_request', errors: ['prompt: cannot be empty'] });
      if (entry.form.prompt === 'filtered') return reply(res, 200, { image: '', finish_reason: 'CONTENT_FILTERED', seed: 1 });
      if (entry.form.prompt === 'too many') return reply(res, 429, { id: 'e6', name: 'rate_limit_exceeded', errors: ['You have exceeded the rate limit of 150 requests within a 10 second period.'] });
      calls += 1;
      return reply(res, 200, { image: Buffer.from(`png-${calls}`).toString('base64'), finish_reason: 'SUCCESS', seed: 42 });
    }
    const v1 = /\/v1\/generation\/([^/]+)\/text-to-image$/.exec(req.url ?? '');
    if (v1) {
      entry.json = JSON.parse(raw.toString('utf8'));
      if (!Array.isArray(entry.json.text_prompts)) return reply(res, 400, { id: 'e7', name: 'invalid_prompts', message: 'text_prompts: required' });
      return reply(res, 200, { artifacts: Array.from({ length: entry.json.samples ?? 1 }, (_, i) => ({ base64: Buffer.from(`v1-${i}`).toString('base64'), finishReason: 'SUCCESS', seed: i })) });
    }
    return reply(res, 404, { id: 'e0', name: 'not_found', errors: ['no such route'] });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gw = await startTestGateway({}, { redirectTrustedTo: origin });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await new Promise((r) => server?.close(r));
});

const client = (apiKey = 'sk-stability') => new OpenAI({ apiKey, baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'stability-ai' } });

describe('stability-ai v2beta Stable Image (multipart)', () => {
  it('core: a multipart form with the mapped fields, Accept JSON, the image back as b64_json', async () => {
    const res = await client().images.generate({ model: 'core', prompt: 'a paper crane', size: '1792x1024', style: 'origami' as never, output_format: 'webp' });
    const up = seen.at(-1)!;
    expect(up.url).toBe('https://api.stability.ai/v2beta/stable-image/generate/core');
    expect(up.form).toEqual({ prompt: 'a paper crane', aspect_ratio: '16:9', output_format: 'webp', style_preset: 'origami' });
    assertOpenAI('ImagesResponse', res);
    expect(Buffer.from(res.data![0].b64_json!, 'base64').toString()).toMatch(/^png-\d+$/);
  });

  it('an SD3 model name goes to /sd3 with the form model field; n=3 is three calls', async () => {
    const before = seen.length;
    const res = await client().images.generate({ model: 'sd3.5-large', prompt: 'three lanterns', n: 3, negative_prompt: 'fog', seed: 7 } as never);
    const ups = seen.slice(before);
    expect(ups.map((u) => u.url)).toEqual(Array(3).fill('https://api.stability.ai/v2beta/stable-image/generate/sd3'));
    expect(ups[0].form).toEqual({ prompt: 'three lanterns', model: 'sd3.5-large', negative_prompt: 'fog', seed: '7' });
    expect(res.data).toHaveLength(3);
  });

  it('a filtered image is a 400 image_filtered, not a short success', async () => {
    const err = await client().images.generate({ model: 'ultra', prompt: 'filtered' }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.code).toBe('image_filtered');
  });

  it("Stability's errors keep their status and message; a 429 stays a 429", async () => {
    const err = await client().images.generate({ model: 'core', prompt: 'too many' }).catch((e) => e);
    expect(err.status).toBe(429);
    expect(err.error.message).toContain('exceeded the rate limit');
    const auth = await client('wrong').images.generate({ model: 'core', prompt: 'x' }).catch((e) => e);
    expect(auth.status).toBe(401);
  });

  it('what Stability cannot do is refused by name before any call', async () => {
    const before = seen.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: 'core', prompt: 'x', response_format: 'url' }, 'response_format'],
      [{ model: 'core', prompt: 'x', quality: 'hd' }, 'quality'],
      [{ model: 'core', prompt: 'x', style: 'vivid' }, 'style'],
      [{ model: 'sd3', prompt: 'x', style: 'anime' }, 'style'],
      [{ model: 'core', prompt: 'x', size: '512x512' }, 'size'],
      [{ model: 'core', prompt: 'x', cfg_scale: 7 }, 'cfg_scale'],
      [{ model: 'dall-e-3', prompt: 'x' }, 'model'],
      [{ model: 'sd3', prompt: 'x', output_format: 'webp' }, 'output_format'],
    ];
    for (const [body, param] of cases) {
      const err = await client().images.generate(body as never).catch((e) => e);
      expect(err.status, JSON.stringify(body)).toBe(400);
      expect(err.error.param, JSON.stringify(body)).toBe(param);
    }
    expect(seen.length).toBe(before);
  });
});

describe('stability-ai v1 engines (JSON)', () => {
  it('text_prompts with the negative prompt weighted -1, size as width/height, samples = n', async () => {
    const res = await client().images.generate({ model: 'stable-diffusion-xl-1024-v1-0', prompt: 'a harbour', negative_prompt: 'people', n: 2, size: '1024x1024', cfg_scale: 7 } as never);
    const up = seen.at(-1)!;
    expect(up.url).toBe('https://api.stability.ai/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image');
    expect(up.json).toEqual({ text_prompts: [{ text: 'a harbour', weight: 1 }, { text: 'people', weight: -1 }], samples: 2, width: 1024, height: 1024, cfg_scale: 7 });
    assertOpenAI('ImagesResponse', res);
    expect(res.data!.map((d) => Buffer.from(d.b64_json!, 'base64').toString())).toEqual(['v1-0', 'v1-1']);
  });
});
