/**
 * Image generation on Bedrock through InvokeModel. Amazon Titan Image Generator and Nova Canvas take
 * the TEXT_IMAGE task body; Stability models on Bedrock take Stability's own {prompt, ...} body. Both
 * answer {images: [base64...]}, returned as OpenAI's b64_json. Pure.
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ImageGenerationRequest, ImageGenerationResponse, ProviderTarget, UpstreamRequest } from '../types.js';
import { bedrockFoundationModel, bedrockModelUrl } from './endpoint.js';

const isStability = (model: string) => /(^|[./:])stability\./.test(model);

function dimensions(size: string | undefined): { width: number; height: number } | undefined {
  if (!size || size === 'auto') return undefined;
  const [w, h] = size.split('x').map(Number);
  return { width: w, height: h };
}

export function toBedrockImageRequest(req: ImageGenerationRequest, target: ProviderTarget): UpstreamRequest {
  if (!req.model) throw badRequest('bedrock: model is required for images (e.g. amazon.nova-canvas-v1:0, amazon.titan-image-generator-v2:0, stability.sd3-5-large-v1:0)', 'model');
  if (req.response_format === 'url') throw badRequest('bedrock returns image bytes, not URLs: use response_format b64_json (or omit it)', 'response_format');
  let body: Record<string, unknown>;
  if (isStability(bedrockFoundationModel(target, req.model))) {
    if ((req.n ?? 1) !== 1) throw badRequest('Stability models on Bedrock make one image per request: set n to 1', 'n');
    body = { prompt: req.prompt, mode: 'text-to-image', output_format: 'png' };
    if (req.negative_prompt !== undefined) body.negative_prompt = req.negative_prompt;
    if (req.seed !== undefined) body.seed = req.seed;
    if (req.aspect_ratio !== undefined) body.aspect_ratio = req.aspect_ratio;
  } else {
    const config: Record<string, unknown> = { numberOfImages: req.n ?? 1 };
    const dims = dimensions(req.size);
    if (dims) Object.assign(config, dims);
    if (req.quality !== undefined) config.quality = req.quality === 'hd' || req.quality === 'high' || req.quality === 'premium' ? 'premium' : 'standard';
    if (req.cfg_scale !== undefined) config.cfgScale = req.cfg_scale;
    if (req.seed !== undefined) config.seed = req.seed;
    const textToImageParams: Record<string, unknown> = { text: req.prompt };
    if (req.negative_prompt !== undefined) textToImageParams.negativeText = req.negative_prompt;
    body = { taskType: 'TEXT_IMAGE', textToImageParams, imageGenerationConfig: config };
  }
  return { method: 'POST', url: bedrockModelUrl(target, req.model, 'invoke'), headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) };
}

export function fromBedrockImageResponse(body: unknown, _req: ImageGenerationRequest, now: () => number = Date.now): ImageGenerationResponse {
  const b = body as { images?: unknown; error?: unknown; finish_reasons?: unknown };
  if (typeof b?.error === 'string' && b.error) throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'image_filtered', provider: 'bedrock', message: `bedrock: ${b.error}` });
  const reasons = Array.isArray(b?.finish_reasons) ? b.finish_reasons.filter((r) => r) : [];
  if (reasons.length) throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'image_filtered', provider: 'bedrock', message: `bedrock: the image was not returned (${reasons.join(', ')})` });
  if (!Array.isArray(b?.images) || !b.images.every((i) => typeof i === 'string')) {
    throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: 'bedrock', message: 'bedrock returned an image response without images.' });
  }
  return { created: Math.floor(now() / 1000), data: (b.images as string[]).map((b64_json) => ({ b64_json })) };
}
