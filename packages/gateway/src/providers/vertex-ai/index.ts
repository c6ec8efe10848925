/**
 * Google Cloud Vertex AI: Gemini models (generateContent, same mappings as the Gemini API) and
 * Anthropic's Claude models (rawPredict, Messages format), plus text embeddings (:predict).
 * Auth: authorize() adds an OAuth bearer token (see auth.ts). customHost replaces the base URL up to
 * and including /v1.
 */
import { badRequest } from '../../errors.js';
import type { GatewayError } from '../../errors.js';
import {
  anthropicChatStream,
  anthropicStreamUsage,
  fromAnthropicResponse,
  parseAnthropicError,
  ANTHROPIC_ERROR_STATUS,
  type AnthropicStreamState,
} from '../anthropic/index.js';
import { mapGoogleError, parseGoogleRpcError } from '../google/errors.js';
import { toGeminiRequest } from '../google/request.js';
import { fromGeminiResponse } from '../google/response.js';
import { geminiStreamMapping, geminiStreamUsage, type GeminiStreamState } from '../google/stream.js';
import type { ChatChunk, ChatRequest, FramedEvent, Provider, ProviderTarget, StreamMapping, UpstreamRequest, Usage } from '../types.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';
import { toVertexAnthropicRequest } from './anthropic.js';
import { authorizeVertex } from './auth.js';
import { fromVertexEmbedResponse, toVertexEmbedRequest } from './embeddings.js';
import { vertexImages } from './images.js';
import { isVertexAnthropicModel, vertexModelUrl } from './target.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

export function toVertexChatUpstream(req: ChatRequest, target: ProviderTarget, stream: boolean): UpstreamRequest {
  const headers = { ...target.forwardHeaders, ...JSON_HEADERS };
  if (isVertexAnthropicModel(req.model)) {
    const url = vertexModelUrl(target, req.model, stream ? 'streamRawPredict' : 'rawPredict');
    return { method: 'POST', url, headers, body: JSON.stringify(toVertexAnthropicRequest(req, stream)) };
  }
  const url = stream ? `${vertexModelUrl(target, req.model, 'streamGenerateContent')}?alt=sse` : vertexModelUrl(target, req.model, 'generateContent');
  return { method: 'POST', url, headers, body: JSON.stringify(toGeminiRequest(req)) };
}

export type VertexStreamState = { kind: 'gemini'; s: GeminiStreamState } | { kind: 'anthropic'; s: AnthropicStreamState };

const geminiStream = geminiStreamMapping('vertex-ai');

/** One mapping for both model families: the state remembers which one this stream is (both are SSE). */
export const vertexChatStream: StreamMapping<VertexStreamState, ChatChunk> = {
  framer: 'sse',
  createState: (req) => (isVertexAnthropicModel(req.model)
    ? { kind: 'anthropic', s: anthropicChatStream.createState(req) }
    : { kind: 'gemini', s: geminiStream.createState(req) }),
  fromEvent: (st, ev: FramedEvent) => (st.kind === 'anthropic' ? anthropicChatStream.fromEvent(st.s, ev) : geminiStream.fromEvent(st.s, ev)),
  finish: (st) => (st.kind === 'anthropic' ? anthropicChatStream.finish(st.s) : geminiStream.finish(st.s)),
};

/** Usage seen so far on a Vertex stream of either family, for the log document. */
export function vertexStreamUsage(st: VertexStreamState): Usage | undefined {
  return st.kind === 'anthropic' ? anthropicStreamUsage(st.s) : geminiStreamUsage(st.s);
}

/** Vertex errors come as the google.rpc envelope; Claude models may answer in Anthropic's error shape. */
export function mapVertexError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body);
  if (parseGoogleRpcError(parsed)) return mapGoogleError('vertex-ai', status, body, headers);
  const a = parseAnthropicError(parsed);
  if (a) {
    return upstreamError('vertex-ai', status >= 400 ? status : (ANTHROPIC_ERROR_STATUS[a.type] ?? 502), a.message, {
      type: a.type, code: a.type, headers: retryAfterHeader(headers),
    });
  }
  return mapGoogleError('vertex-ai', status, body, headers);
}

export const vertexProvider: Provider = {
  id: 'vertex-ai',
  name: 'Google Vertex AI',
  capabilities: {
    endpoints: ['chat', 'embeddings', 'images'], streaming: true, tools: true, vision: true, embeddings: true,
    auth: ['service_account_json', 'oauth_bearer_token'],
  },
  chat: {
    toRequest: (req, target, ctx) => toVertexChatUpstream(req, target, ctx.stream),
    fromResponse: (body, req) => (isVertexAnthropicModel(req.model) ? fromAnthropicResponse(body) : fromGeminiResponse(body, req.model, 'vertex-ai')),
    stream: vertexChatStream,
  },
  embeddings: {
    toRequest: (req, target) => ({
      method: 'POST', url: vertexModelUrl(target, req.model, 'predict'),
      headers: { ...target.forwardHeaders, ...JSON_HEADERS }, body: JSON.stringify(toVertexEmbedRequest(req)),
    }),
    fromResponse: (body, req) => fromVertexEmbedResponse(body, req),
  },
  images: vertexImages,
  authorize: authorizeVertex,
  mapError: mapVertexError,
};

export { authorizeVertex, getVertexAccessToken, clearVertexTokenCache, signServiceAccountAssertion, CLOUD_PLATFORM_SCOPE } from './auth.js';
export { toVertexAnthropicRequest, VERTEX_ANTHROPIC_VERSION } from './anthropic.js';
export { toVertexEmbedRequest, fromVertexEmbedResponse } from './embeddings.js';
export type { VertexPredictEmbedRequest } from './embeddings.js';
export { parseServiceAccountJson, vertexLocation, vertexBaseUrl, vertexModelUrl, isVertexAnthropicModel, DEFAULT_VERTEX_REGION, DEFAULT_TOKEN_URI } from './target.js';
export type { ServiceAccountKey, VertexLocation } from './target.js';
