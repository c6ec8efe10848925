import type { ChatRequest, EmbeddingRequest, Provider, RerankRequest, ProviderTarget, RequestContext, UpstreamRequest } from '../types.js';
import { fromCohereEmbedResponse, toCohereEmbedRequest } from './embed.js';
import { fromCohereRerankResponse, toCohereRerankRequest } from './rerank.js';
import { mapCohereError } from './errors.js';
import { cohereBaseUrl, cohereHeaders, toCohereChatRequest } from './request.js';
import { fromCohereChatResponse } from './response.js';
import { cohereChatStream } from './stream.js';

export { toCohereChatRequest, cohereBaseUrl, COHERE_DEFAULT_BASE_URL } from './request.js';
export type { CohereChatRequest, CohereMessage } from './request.js';
export { fromCohereChatResponse, cohereUsage, cohereFinishReason } from './response.js';
export type { CohereChatResponse } from './response.js';
export { createCohereStreamState, fromCohereStreamEvent, finishCohereStream, cohereChatStream } from './stream.js';
export type { CohereStreamState } from './stream.js';
export { toCohereEmbedRequest, fromCohereEmbedResponse } from './embed.js';
export type { CohereEmbedRequest } from './embed.js';
export { mapCohereError } from './errors.js';
export { toCohereRerankRequest, fromCohereRerankResponse } from './rerank.js';

/** Cohere API v2: /v2/chat (SSE events when streaming) and /v2/embed, Bearer auth. */
export const cohereProvider: Provider = {
  id: 'cohere',
  name: 'Cohere',
  capabilities: {
    endpoints: ['chat', 'embeddings', 'rerank', 'passthrough'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: true,
    auth: ['bearer'],
  },
  chat: {
    toRequest(req: ChatRequest, target: ProviderTarget, ctx: RequestContext): UpstreamRequest {
      return { method: 'POST', url: `${cohereBaseUrl(target)}/v2/chat`, headers: cohereHeaders(target, ctx.stream), body: JSON.stringify(toCohereChatRequest(req, { stream: ctx.stream })) };
    },
    fromResponse: (body, req) => fromCohereChatResponse(body, req),
    stream: cohereChatStream,
  },
  embeddings: {
    toRequest(req: EmbeddingRequest, target: ProviderTarget): UpstreamRequest {
      return { method: 'POST', url: `${cohereBaseUrl(target)}/v2/embed`, headers: cohereHeaders(target), body: JSON.stringify(toCohereEmbedRequest(req)) };
    },
    fromResponse: (body, req) => fromCohereEmbedResponse(body, req),
  },
  rerank: {
    toRequest(req: RerankRequest, target: ProviderTarget): UpstreamRequest {
      return { method: 'POST', url: `${cohereBaseUrl(target)}/v2/rerank`, headers: cohereHeaders(target), body: JSON.stringify(toCohereRerankRequest(req)) };
    },
    fromResponse: (body, req) => fromCohereRerankResponse(body, req),
  },
  /** Cohere's own paths (/v2/rerank, /v1/...) forward unchanged. */
  passthrough(path: string, target: ProviderTarget) {
    const headers = cohereHeaders(target);
    delete headers.accept;
    return { url: `${cohereBaseUrl(target)}${path}`, headers };
  },
  mapError: mapCohereError,
};
