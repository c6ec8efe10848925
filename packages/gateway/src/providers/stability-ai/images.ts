/**
 * Stability AI's own image API, for POST /v1/images/generations. Pure (the form boundary is random).
 *
 * - v2beta Stable Image (`model`: ultra, core, sd3, or an SD3.x model name such as sd3.5-large, which
 *   goes to /sd3 with the form's `model` field): POST /v2beta/stable-image/generate/{ultra|core|sd3}
 *   as multipart/form-data with `Accept: application/json`; answers {image (base64), finish_reason, seed}.
 *   One image per call, so n images are n calls (the pipeline's bounded fan-out).
 * - v1 engines (stable-diffusion-xl-1024-v1-0, stable-diffusion-v1-6): POST
 *   /v1/generation/{engine}/text-to-image as JSON {text_prompts, width, height, samples, ...}; answers
 *   {artifacts:[{base64, finishReason, seed}]}.
 * Both come back in OpenAI's images shape as b64_json; Stability gives no URLs.
 */
import { GatewayError, badRequest } from '../../errors.js';
import { encodeMultipart } from '../multipart.js';
import type { ImageGenerationRequest, ImageGenerationResponse, ProviderTarget, UpstreamRequest } from '../types.js';

export const STABILITY_BASE_URL = 'https://api.stability.ai';
export const V1_ENGINES = new Set(['stable-diffusion-xl-1024-v1-0', 'stable-diffusion-v1-6']);
const V2_SERVICES = new Set(['ultra', 'core', 'sd3']);
const SD3_MODEL = /^sd3(\.\d+)?-[a-z0-9-]+$/;
const V2_ASPECTS = new Set(['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21']);
const ASPECT_BY_SIZE: Record<string, string> = {
  '1024x1024': '1:1', '1536x1024': '3:2', '1024x1536': '2:3', '1792x1024': '16:9', '1024x1792': '9:16',
};
/** Stability's style presets, the values its `style_preset` takes (OpenAI's `style` carries one). */
export const STYLE_PRESETS = new Set([
  '3d-model', 'analog-film', 'anime', 'cinematic', 'comic-book', 'digital-art', 'enhance', 'fantasy-art', 'isometric',
  'line-art', 'low-poly', 'modeling-compound', 'neon-punk', 'origami', 'photographic', 'pixel-art', 'tile-texture',
]);

export const isStabilityV1Model = (model: string): boolean => V1_ENGINES.has(model);

function modelOf(req: ImageGenerationRequest): string {
  const model = req.model;
  if (!model || !(V1_ENGINES.has(model) || V2_SERVICES.has(model) || SD3_MODEL.test(model))) {
    throw badRequest(`stability-ai: model must be one of ultra, core, sd3 or an SD3 model (sd3.5-large, sd3.5-medium, ...), or a v1 engine (${[...V1_ENGINES].join(', ')})`, 'model');
  }
  return model;
}

function refuse(req: ImageGenerationRequest, fields: string[], why: string): void {
  for (const f of fields) if (req[f] !== undefined) throw badRequest(`stability-ai ${why} has no equivalent of ${f}; remove it`, f);
}

function stylePreset(req: ImageGenerationRequest): string | undefined {
  if (req.style === undefined) return undefined;
  if (typeof req.style !== 'string' || !STYLE_PRESETS.has(req.style)) throw badRequest(`stability-ai: style must be one of Stability's presets: ${[...STYLE_PRESETS].join(', ')}`, 'style');
  return req.style;
}

function headers(target: ProviderTarget): Record<string, string> {
  if (!target.apiKey) {
    throw new GatewayError({ status: 401, type: 'authentication_error', provider: 'stability-ai', message: 'stability-ai needs an API key: send it as Authorization: Bearer <key>, or use a virtual key that holds one.' });
  }
  return { ...target.forwardHeaders, authorization: `Bearer ${target.apiKey}`, accept: 'application/json' };
}

const baseUrl = (target: ProviderTarget) => (target.customHost || STABILITY_BASE_URL).replace(/\/+$/, '');

/** One upstream request: the v1 JSON call (all n images), or one v2 form call (one image). */
export function toStabilityImageRequest(req: ImageGenerationRequest, target: ProviderTarget): UpstreamRequest {
  const model = modelOf(req);
  if (req.response_format === 'url') throw badRequest('stability-ai returns image bytes, not URLs: use response_format b64_json (or omit it)', 'response_format');
  refuse(req, ['quality', 'background', 'moderation', 'output_compression', 'partial_images'], 'image generation');
  return isStabilityV1Model(model) ? toV1Request(req, model, target) : toV2Request(req, model, target);
}

function toV1Request(req: ImageGenerationRequest, engine: string, target: ProviderTarget): UpstreamRequest {
  refuse(req, ['aspect_ratio', 'output_format'], 'v1');
  const textPrompts: Array<{ text: string; weight: number }> = [{ text: req.prompt, weight: 1 }];
  if (req.negative_prompt !== undefined) textPrompts.push({ text: String(req.negative_prompt), weight: -1 });
  const body: Record<string, unknown> = { text_prompts: textPrompts, samples: req.n ?? 1 };
  if (req.size && req.size !== 'auto') {
    const [width, height] = req.size.split('x').map(Number);
    if (width % 64 || height % 64) throw badRequest('stability-ai v1 engines take sizes in multiples of 64 (e.g. 1024x1024)', 'size');
    Object.assign(body, { width, height });
  }
  if (req.cfg_scale !== undefined) body.cfg_scale = req.cfg_scale;
  if (req.seed !== undefined) body.seed = req.seed;
  const preset = stylePreset(req);
  if (preset) body.style_preset = preset;
  return {
    method: 'POST', url: `${baseUrl(target)}/v1/generation/${encodeURIComponent(engine)}/text-to-image`,
    headers: { ...headers(target), 'content-type': 'application/json' }, body: JSON.stringify(body),
  };
}

function toV2Request(req: ImageGenerationRequest, model: string, target: ProviderTarget): UpstreamRequest {
  refuse(req, ['cfg_scale'], 'Stable Image');
  const service = V2_SERVICES.has(model) ? model : 'sd3';
  const fields: Array<[string, string]> = [['prompt', req.prompt]];
  if (service === 'sd3' && model !== 'sd3') fields.push(['model', model]);
  const aspect = (req.aspect_ratio as string | undefined) ?? (req.size && req.size !== 'auto' ? ASPECT_BY_SIZE[req.size] : undefined);
  if (req.size && req.size !== 'auto' && req.aspect_ratio === undefined && !aspect) {
    throw badRequest(`stability-ai Stable Image takes aspect ratios, not free sizes: use a size among ${Object.keys(ASPECT_BY_SIZE).join(', ')}, or aspect_ratio`, 'size');
  }
  if (aspect !== undefined) {
    if (!V2_ASPECTS.has(aspect)) throw badRequest(`stability-ai: aspect_ratio must be one of ${[...V2_ASPECTS].join(', ')}`, 'aspect_ratio');
    fields.push(['aspect_ratio', aspect]);
  }
  if (req.negative_prompt !== undefined) fields.push(['negative_prompt', String(req.negative_prompt)]);
  if (req.seed !== undefined) {
    if (!Number.isInteger(req.seed) || (req.seed as number) < 0 || (req.seed as number) > 4294967294) throw badRequest('stability-ai: seed must be a whole number from 0 to 4294967294', 'seed');
    fields.push(['seed', String(req.seed)]);
  }
  if (req.output_format !== undefined) {
    const formats = service === 'sd3' ? ['png', 'jpeg'] : ['png', 'jpeg', 'webp'];
    if (!formats.includes(req.output_format as string)) throw badRequest(`stability-ai ${service}: output_format must be one of ${formats.join(', ')}`, 'output_format');
    fields.push(['output_format', req.output_format as string]);
  }
  const preset = stylePreset(req);
  if (preset) {
    if (service === 'sd3') throw badRequest('stability-ai sd3 takes no style preset: remove style, or use core or ultra', 'style');
    fields.push(['style_preset', preset]);
  }
  const form = encodeMultipart(fields);
  return {
    method: 'POST', url: `${baseUrl(target)}/v2beta/stable-image/generate/${service}`,
    headers: { ...headers(target), 'content-type': form.contentType }, body: form.body,
  };
}

/** v2 makes one image per call: n calls. v1 makes all n in one. */
export function toStabilityImageRequests(req: ImageGenerationRequest, target: ProviderTarget): UpstreamRequest[] {
  const one = toStabilityImageRequest(req, target);
  if (isStabilityV1Model(req.model!)) return [one];
  // Each call gets its own form (and boundary); with a fixed seed every call would draw the same image.
  return [one, ...Array.from({ length: (req.n ?? 1) - 1 }, () => toStabilityImageRequest(req, target))];
}

export function fromStabilityImageResponses(bodies: unknown[], now: () => number = Date.now): ImageGenerationResponse {
  const data: ImageGenerationResponse['data'] = [];
  const withheld: string[] = [];
  for (const body of bodies) {
    const b = body as { image?: unknown; finish_reason?: unknown; artifacts?: unknown };
    if (Array.isArray(b?.artifacts)) {
      for (const a of b.artifacts as Array<{ base64?: unknown; finishReason?: unknown }>) {
        if (a?.finishReason !== undefined && a.finishReason !== 'SUCCESS') withheld.push(String(a.finishReason));
        else if (typeof a?.base64 === 'string') data.push({ b64_json: a.base64 });
        else throw invalid();
      }
    } else if (b?.finish_reason !== undefined && b.finish_reason !== 'SUCCESS') {
      withheld.push(String(b.finish_reason));
    } else if (typeof b?.image === 'string') {
      data.push({ b64_json: b.image });
    } else {
      throw invalid();
    }
  }
  if (withheld.length) {
    // A partial answer would bill and return fewer images than asked without saying so.
    throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'image_filtered', provider: 'stability-ai', message: `stability-ai withheld ${withheld.length} of the images (${[...new Set(withheld)].join(', ')}); rephrase the prompt.` });
  }
  return { created: Math.floor(now() / 1000), data };
}

function invalid(): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: 'stability-ai', message: 'stability-ai returned an image response without image bytes.' });
}
