/**
 * Imagen on Vertex AI: POST .../publishers/google/models/{imagen model}:predict with
 * {instances:[{prompt}], parameters:{sampleCount, aspectRatio, negativePrompt, seed}}; the answer's
 * predictions[].bytesBase64Encoded become OpenAI's b64_json. Pure.
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ImageGenerationRequest, ImageGenerationResponse } from '../types.js';

/** Imagen's aspect ratios, from OpenAI sizes that match one exactly. */
const ASPECT_BY_SIZE: Record<string, string> = {
  '1024x1024': '1:1', '1536x1024': '3:2', '1024x1536': '2:3', '1792x1024': '16:9', '1024x1792': '9:16', '1280x896': '4:3', '896x1280': '3:4',
};

export function toVertexImagenRequest(req: ImageGenerationRequest): Record<string, unknown> {
  if (req.response_format === 'url') throw badRequest('vertex-ai Imagen returns image bytes, not URLs: use response_format b64_json (or omit it)', 'response_format');
  const parameters: Record<string, unknown> = { sampleCount: req.n ?? 1 };
  const aspect = req.aspect_ratio ?? (req.size && req.size !== 'auto' ? ASPECT_BY_SIZE[req.size] : undefined);
  if (req.size && req.size !== 'auto' && !aspect) throw badRequest(`vertex-ai Imagen takes aspect ratios, not free sizes: use one of ${Object.keys(ASPECT_BY_SIZE).join(', ')} or aspect_ratio`, 'size');
  if (aspect) parameters.aspectRatio = aspect;
  if (req.negative_prompt !== undefined) parameters.negativePrompt = req.negative_prompt;
  if (req.seed !== undefined) parameters.seed = req.seed;
  return { instances: [{ prompt: req.prompt }], parameters };
}

export function fromVertexImagenResponse(body: unknown, _req: ImageGenerationRequest, now: () => number = Date.now): ImageGenerationResponse {
  const predictions = (body as { predictions?: unknown })?.predictions;
  // Imagen leaves out images its safety filter blocked; none at all means every one was.
  if (predictions === undefined) throw new GatewayError({ status: 400, type: 'invalid_request_error', code: 'image_filtered', provider: 'vertex-ai', message: 'vertex-ai: Imagen returned no image (all were filtered); rephrase the prompt.' });
  if (!Array.isArray(predictions) || !predictions.every((p) => typeof p?.bytesBase64Encoded === 'string')) {
    throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: 'vertex-ai', message: 'vertex-ai returned an Imagen response without image bytes.' });
  }
  return { created: Math.floor(now() / 1000), data: predictions.map((p: { bytesBase64Encoded: string }) => ({ b64_json: p.bytesBase64Encoded })) };
}
