/**
 * Stability AI (api.stability.ai): image generation only, in its own API (v2beta Stable Image as
 * multipart forms, v1 engines as JSON). Bearer auth. customHost replaces https://api.stability.ai.
 */
import type { Provider } from '../types.js';
import { mapStabilityError } from './errors.js';
import { STABILITY_BASE_URL, fromStabilityImageResponses, toStabilityImageRequest, toStabilityImageRequests } from './images.js';

export { toStabilityImageRequest, toStabilityImageRequests, fromStabilityImageResponses, isStabilityV1Model, STYLE_PRESETS } from './images.js';
export { mapStabilityError } from './errors.js';

export const stabilityProvider: Provider = {
  id: 'stability-ai',
  name: 'Stability AI',
  capabilities: { endpoints: ['images'], streaming: false, tools: false, vision: false, embeddings: false, auth: ['api_key'], upstream: '`https://api.stability.ai/v2beta/stable-image/generate/{ultra,core,sd3}` (forms); v1 engines at `/v1/generation/{engine}/text-to-image`' },
  images: {
    toRequest: (req, target) => toStabilityImageRequest(req, target),
    fromResponse: (body) => fromStabilityImageResponses([body]),
    toRequests: (req, target) => toStabilityImageRequests(req, target),
    fromResponses: (bodies) => fromStabilityImageResponses(bodies),
  },
  mapError: mapStabilityError,
};
