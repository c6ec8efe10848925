import { badRequest } from '../errors.js';
import { renderOpenAIError } from './openai-chat.js';
import type { InboundApi } from './types.js';

/** OpenAI's CreateImageRequest fields; anything else is refused by name. */
const KNOWN = new Set([
  'prompt', 'model', 'n', 'size', 'quality', 'response_format', 'style', 'user',
  'background', 'moderation', 'output_compression', 'output_format', 'partial_images', 'stream',
  // Provider-specific extras Portkey forwards (Bedrock / Stability): seed, negative prompt, cfg scale, aspect ratio.
  'seed', 'negative_prompt', 'cfg_scale', 'aspect_ratio',
]);

export function validateImageRequest(body: Record<string, unknown>): void {
  for (const key in body) {
    if (!KNOWN.has(key)) throw badRequest(`Unknown field "${key}" in an image generation request; allowed: ${[...KNOWN].join(', ')}`, key, 'unsupported_parameter');
  }
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) throw badRequest('prompt is required: a non-empty string describing the image', 'prompt');
  if (body.n !== undefined && (!Number.isInteger(body.n) || (body.n as number) < 1 || (body.n as number) > 10)) throw badRequest('n must be a whole number from 1 to 10', 'n');
  if (body.size !== undefined && (typeof body.size !== 'string' || !/^(auto|\d{2,5}x\d{2,5})$/.test(body.size))) throw badRequest('size must be WIDTHxHEIGHT (e.g. 1024x1024) or auto', 'size');
  if (body.response_format !== undefined && body.response_format !== 'url' && body.response_format !== 'b64_json') throw badRequest('response_format must be url or b64_json', 'response_format');
}

/** POST /v1/images/generations: native for OpenAI-compatible providers, translated for Bedrock. */
export const imagesApi: InboundApi = {
  op: 'images',
  validate: validateImageRequest,
  renderError: renderOpenAIError,
  isStream: (body) => body?.stream === true,
  modelOf: (body) => (typeof body?.model === 'string' ? body.model : undefined),
};
