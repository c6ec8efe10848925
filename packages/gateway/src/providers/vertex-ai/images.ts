/**
 * Images on Vertex AI: Imagen models through :predict, Gemini image models through :generateContent
 * (one image per call, so n calls). The mappings are Google's (google/images.ts); this file only
 * places them on Vertex's model URLs. Pure.
 */
import { badRequest } from '../../errors.js';
import { fromGeminiImageResponses, fromImagenResponse, isImagenModel, toGeminiImageRequest, toImagenRequest } from '../google/images.js';
import type { ImageGenerationRequest, ImageGenerationResponse, OperationMapping, ProviderTarget, UpstreamRequest } from '../types.js';
import { vertexModelUrl } from './target.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

function modelOf(req: ImageGenerationRequest): string {
  if (!req.model) throw badRequest('vertex-ai: model is required for images (e.g. imagen-4.0-generate-001 or gemini-2.5-flash-image)', 'model');
  return req.model;
}

function toRequest(req: ImageGenerationRequest, target: ProviderTarget): UpstreamRequest {
  const model = modelOf(req);
  const headers = { ...target.forwardHeaders, ...JSON_HEADERS };
  if (isImagenModel(model)) return { method: 'POST', url: vertexModelUrl(target, model, 'predict'), headers, body: JSON.stringify(toImagenRequest(req, 'vertex-ai')) };
  return { method: 'POST', url: vertexModelUrl(target, model, 'generateContent'), headers, body: JSON.stringify(toGeminiImageRequest(req, 'vertex-ai')) };
}

export const vertexImages: OperationMapping<ImageGenerationRequest, ImageGenerationResponse> = {
  toRequest,
  fromResponse: (body, req) => (isImagenModel(modelOf(req)) ? fromImagenResponse(body, 'vertex-ai') : fromGeminiImageResponses([body], 'vertex-ai')),
  toRequests: (req, target) => {
    const one = toRequest(req, target);
    return isImagenModel(modelOf(req)) ? [one] : Array.from({ length: req.n ?? 1 }, () => ({ ...one, headers: { ...one.headers } }));
  },
  fromResponses: (bodies) => fromGeminiImageResponses(bodies, 'vertex-ai'),
};
