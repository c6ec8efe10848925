/**
 * Google Gemini API (generativelanguage.googleapis.com, v1beta), authenticated with an API key in
 * x-goog-api-key. target.customHost replaces the base URL including the version path
 * (e.g. http://127.0.0.1:PORT/v1beta).
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ChatRequest, EmbeddingRequest, ImageGenerationRequest, Provider, ProviderTarget, UpstreamRequest } from '../types.js';
import { fromGeminiEmbedResponse, geminiModelName, toGeminiEmbedRequest } from './embeddings.js';
import { fromGeminiImageResponses, fromImagenResponse, isImagenModel, toGeminiImageRequest, toImagenRequest } from './images.js';
import { mapGoogleError } from './errors.js';
import { toGeminiRequest } from './request.js';
import { fromGeminiResponse } from './response.js';
import { geminiStreamMapping } from './stream.js';

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

export function geminiBaseUrl(target: ProviderTarget): string {
  return (target.customHost || GEMINI_BASE_URL).replace(/\/+$/, '');
}

function headers(target: ProviderTarget): Record<string, string> {
  if (!target.apiKey) {
    throw new GatewayError({
      status: 401, type: 'authentication_error', provider: 'google',
      message: 'google needs a Gemini API key: send it as Authorization: Bearer <key>, or use a virtual key that holds one.',
    });
  }
  return { ...target.forwardHeaders, 'content-type': 'application/json', 'x-goog-api-key': target.apiKey };
}

function modelUrl(target: ProviderTarget, model: string, method: string): string {
  return `${geminiBaseUrl(target)}/models/${encodeURIComponent(geminiModelName(model))}:${method}`;
}

export function toGeminiChatUpstream(req: ChatRequest, target: ProviderTarget, stream: boolean): UpstreamRequest {
  const body = JSON.stringify(toGeminiRequest(req));
  const url = stream ? modelUrl(target, req.model, 'streamGenerateContent') + '?alt=sse' : modelUrl(target, req.model, 'generateContent');
  return { method: 'POST', url, headers: headers(target), body };
}

export function toGeminiEmbedUpstream(req: EmbeddingRequest, target: ProviderTarget): UpstreamRequest {
  const { method, body } = toGeminiEmbedRequest(req);
  return { method: 'POST', url: modelUrl(target, req.model, method), headers: headers(target), body: JSON.stringify(body) };
}

/** Imagen through :predict; Gemini image models through generateContent, one image per call. */
export function toGeminiImagesUpstream(req: ImageGenerationRequest, target: ProviderTarget): UpstreamRequest {
  if (!req.model) throw badRequest('google: model is required for images (e.g. gemini-2.5-flash-image or imagen-4.0-generate-001)', 'model');
  const body = isImagenModel(req.model) ? toImagenRequest(req, 'google') : toGeminiImageRequest(req, 'google');
  return { method: 'POST', url: modelUrl(target, req.model, isImagenModel(req.model) ? 'predict' : 'generateContent'), headers: headers(target), body: JSON.stringify(body) };
}

export const googleProvider: Provider = {
  id: 'google',
  name: 'Google Gemini API',
  capabilities: { endpoints: ['chat', 'embeddings', 'images'], streaming: true, tools: true, vision: true, embeddings: true, auth: ['api_key'] },
  chat: {
    toRequest: (req, target, ctx) => toGeminiChatUpstream(req, target, ctx.stream),
    fromResponse: (body, req) => fromGeminiResponse(body, req.model, 'google'),
    stream: geminiStreamMapping('google'),
  },
  embeddings: {
    toRequest: (req, target) => toGeminiEmbedUpstream(req, target),
    fromResponse: (body, req) => fromGeminiEmbedResponse(body, req, 'google'),
  },
  images: {
    toRequest: (req, target) => toGeminiImagesUpstream(req, target),
    fromResponse: (body, req) => (isImagenModel(req.model ?? '') ? fromImagenResponse(body, 'google') : fromGeminiImageResponses([body], 'google')),
    toRequests: (req, target) => {
      const one = toGeminiImagesUpstream(req, target);
      return isImagenModel(req.model ?? '') ? [one] : Array.from({ length: req.n ?? 1 }, () => ({ ...one, headers: { ...one.headers } }));
    },
    fromResponses: (bodies) => fromGeminiImageResponses(bodies, 'google'),
  },
  mapError: (status, body, hdrs) => mapGoogleError('google', status, body, hdrs),
};

export { toGeminiRequest } from './request.js';
export { fromGeminiResponse, fromGeminiFinishReason, fromGeminiUsage, mapGeminiParts } from './response.js';
export { geminiStreamMapping, createGeminiStreamState, fromGeminiStreamEvent, finishGeminiStream, geminiStreamUsage } from './stream.js';
export type { GeminiStreamState } from './stream.js';
export { toGeminiEmbedRequest, fromGeminiEmbedResponse, geminiModelName, floatsToBase64 } from './embeddings.js';
export { mapGoogleError, parseGoogleRpcError, googleRpcToGatewayError } from './errors.js';
export { toGeminiSchema } from './schema.js';
export type { GeminiSchema } from './schema.js';
export type * from './types.js';
