/**
 * Image generation on Google's models, for POST /v1/images/generations. Pure.
 *
 * - Gemini image models (gemini-2.5-flash-image, gemini-2.0-flash-preview-image-generation, ...) answer
 *   generateContent with `generationConfig.responseModalities: ["TEXT","IMAGE"]`; the images come back as
 *   `inlineData` parts. One call makes one image, so n images are n calls (the pipeline's bounded fan-out).
 * - Imagen models (imagen-*) answer `:predict` with {instances:[{prompt}], parameters:{sampleCount, ...}}
 *   and `predictions[].bytesBase64Encoded`, on the Gemini API and on Vertex alike.
 * Both come back in OpenAI's images shape as b64_json; neither gives URLs.
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ImageGenerationRequest, ImageGenerationResponse } from '../types.js';
import { isObject } from './schema.js';
import type { GeminiResponse } from './types.js';

export const isImagenModel = (model: string): boolean => /(^|\/)imagen-/.test(model);

/** Aspect ratios both families accept, from the OpenAI sizes that match one exactly. */
const ASPECT_BY_SIZE: Record<string, string> = {
  '1024x1024': '1:1', '1536x1024': '3:2', '1024x1536': '2:3', '1792x1024': '16:9', '1024x1792': '9:16', '1280x896': '4:3', '896x1280': '3:4',
};
// As GenerationConfig.imageConfig documents them.
const GEMINI_ASPECTS = new Set(['1:1', '2:3', '3:2', '3:4', '4:3', '9:16', '16:9', '21:9']);

function aspectOf(req: ImageGenerationRequest, provider: string): string | undefined {
  if (req.aspect_ratio !== undefined && typeof req.aspect_ratio !== 'string') throw badRequest('aspect_ratio must be a string such as "16:9"', 'aspect_ratio');
  const aspect = (req.aspect_ratio as string | undefined) ?? (req.size && req.size !== 'auto' ? ASPECT_BY_SIZE[req.size] : undefined);
  if (req.size && req.size !== 'auto' && !aspect) {
    throw badRequest(`${provider} image models take aspect ratios, not free sizes: use a size among ${Object.keys(ASPECT_BY_SIZE).join(', ')}, or aspect_ratio`, 'size');
  }
  return aspect;
}

function refuseUrls(req: ImageGenerationRequest, provider: string): void {
  if (req.response_format === 'url') throw badRequest(`${provider} returns image bytes, not URLs: use response_format b64_json (or omit it)`, 'response_format');
}

/** Fields of OpenAI's request these models have no equivalent for: refused by name, never dropped. */
function refuseUnmapped(req: ImageGenerationRequest, provider: string, fields: string[]): void {
  for (const f of fields) {
    if (req[f] !== undefined) throw badRequest(`${provider} image models have no equivalent of ${f}; remove it`, f);
  }
}

export function toImagenRequest(req: ImageGenerationRequest, provider: string): Record<string, unknown> {
  refuseUrls(req, provider);
  refuseUnmapped(req, provider, ['cfg_scale', 'style', 'quality', 'background', 'moderation', 'output_compression', 'partial_images']);
  if (req.output_format !== undefined && !['png', 'jpeg', 'jpg'].includes(req.output_format as string)) throw badRequest(`${provider} Imagen writes png or jpeg`, 'output_format');
  const parameters: Record<string, unknown> = { sampleCount: req.n ?? 1 };
  const aspect = aspectOf(req, provider);
  if (aspect) parameters.aspectRatio = aspect;
  if (req.negative_prompt !== undefined) parameters.negativePrompt = req.negative_prompt;
  if (req.seed !== undefined) parameters.seed = req.seed;
  if (req.output_format !== undefined) parameters.outputOptions = { mimeType: `image/${req.output_format === 'jpg' ? 'jpeg' : req.output_format}` };
  return { instances: [{ prompt: req.prompt }], parameters };
}

export function fromImagenResponse(body: unknown, provider: string, now: () => number = Date.now): ImageGenerationResponse {
  const predictions = (body as { predictions?: unknown })?.predictions;
  // Imagen leaves out images its safety filter blocked; none at all means every one was.
  if (predictions === undefined) throw filtered(provider, 'Imagen returned no image (all were filtered)');
  if (!Array.isArray(predictions) || !predictions.every((p) => typeof p?.bytesBase64Encoded === 'string')) throw invalid(provider, 'an Imagen response without image bytes');
  return { created: Math.floor(now() / 1000), data: predictions.map((p: { bytesBase64Encoded: string }) => ({ b64_json: p.bytesBase64Encoded })) };
}

/** The generateContent body for one image. Gemini has no seed-free negative prompt, so that is refused. */
export function toGeminiImageRequest(req: ImageGenerationRequest, provider: string): Record<string, unknown> {
  refuseUrls(req, provider);
  refuseUnmapped(req, provider, ['negative_prompt', 'cfg_scale', 'style', 'quality', 'background', 'moderation', 'output_compression', 'output_format', 'partial_images']);
  const generationConfig: Record<string, unknown> = { responseModalities: ['TEXT', 'IMAGE'] };
  const aspect = aspectOf(req, provider);
  if (aspect !== undefined) {
    if (!GEMINI_ASPECTS.has(aspect)) throw badRequest(`${provider} Gemini image models take the aspect ratios ${[...GEMINI_ASPECTS].join(', ')}`, 'aspect_ratio');
    generationConfig.imageConfig = { aspectRatio: aspect };
  }
  if (req.seed !== undefined) generationConfig.seed = req.seed;
  return { contents: [{ role: 'user', parts: [{ text: req.prompt }] }], generationConfig };
}

/**
 * The images of n generateContent answers, in order, with their usage summed in the images API's
 * shape (input/output tokens) so the request is priced and limited like any other.
 */
export function fromGeminiImageResponses(bodies: unknown[], provider: string, now: () => number = Date.now): ImageGenerationResponse {
  const data: ImageGenerationResponse['data'] = [];
  let input = 0;
  let output = 0;
  let sawUsage = false;
  const reasons: string[] = [];
  for (const body of bodies) {
    if (!isObject(body)) throw invalid(provider, 'a body that is not a JSON object');
    const res = body as GeminiResponse;
    if (res.usageMetadata) {
      sawUsage = true;
      input += res.usageMetadata.promptTokenCount ?? 0;
      output += (res.usageMetadata.candidatesTokenCount ?? 0) + (res.usageMetadata.thoughtsTokenCount ?? 0);
    }
    const candidate = res.candidates?.[0];
    const images = (candidate?.content?.parts ?? []).filter((p) => p.inlineData && p.inlineData.mimeType.startsWith('image/'));
    if (images.length === 0) {
      reasons.push(candidate?.finishReason ?? res.promptFeedback?.blockReason ?? 'NO_IMAGE');
      continue;
    }
    for (const p of images) data.push({ b64_json: p.inlineData!.data });
  }
  if (data.length === 0) {
    throw filtered(provider, `the model returned no image (${[...new Set(reasons)].join(', ')}); rephrase the prompt, or check that the model generates images`);
  }
  const out: ImageGenerationResponse = { created: Math.floor(now() / 1000), data };
  if (sawUsage) out.usage = { input_tokens: input, output_tokens: output, total_tokens: input + output, input_tokens_details: { text_tokens: input, image_tokens: 0 } };
  return out;
}

function filtered(provider: string, what: string): GatewayError {
  return new GatewayError({ status: 400, type: 'invalid_request_error', code: 'image_filtered', provider, message: `${provider}: ${what}.` });
}

function invalid(provider: string, what: string): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider, message: `${provider} returned ${what}.` });
}
