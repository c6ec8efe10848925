import type { ChatRequest, EmbeddingRequest, Provider, ProviderTarget, RequestContext, UpstreamRequest } from '../types.js';
import { mapOllamaError } from './errors.js';
import { OLLAMA_DEFAULT_BASE_URL, ollamaBaseUrl, ollamaHeaders, toOllamaChatRequest, toOllamaEmbedRequest } from './request.js';
import { fromOllamaChatResponse, fromOllamaEmbedResponse } from './response.js';
import { ollamaChatStream } from './stream.js';

export { toOllamaChatRequest, toOllamaEmbedRequest, ollamaBaseUrl, OLLAMA_DEFAULT_BASE_URL } from './request.js';
export type { OllamaChatRequest, OllamaEmbedRequest, OllamaMessage } from './request.js';
export { fromOllamaChatResponse, fromOllamaEmbedResponse } from './response.js';
export { createOllamaStreamState, fromOllamaStreamEvent, finishOllamaStream, ollamaChatStream } from './stream.js';
export type { OllamaStreamState } from './stream.js';
export { mapOllamaError } from './errors.js';

/** Ollama's native API (/api/chat, /api/embed), default http://127.0.0.1:11434. */
export const ollamaProvider: Provider = {
  id: 'ollama',
  localBaseUrl: OLLAMA_DEFAULT_BASE_URL,
  name: 'Ollama',
  capabilities: {
    endpoints: ['chat', 'embeddings', 'passthrough'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: true,
    auth: ['none', 'bearer'],
  },
  chat: {
    toRequest(req: ChatRequest, target: ProviderTarget, ctx: RequestContext): UpstreamRequest {
      return { method: 'POST', url: `${ollamaBaseUrl(target)}/api/chat`, headers: ollamaHeaders(target), body: JSON.stringify(toOllamaChatRequest(req, { stream: ctx.stream })) };
    },
    fromResponse: (body, req) => fromOllamaChatResponse(body, req),
    stream: ollamaChatStream,
  },
  embeddings: {
    toRequest(req: EmbeddingRequest, target: ProviderTarget): UpstreamRequest {
      return { method: 'POST', url: `${ollamaBaseUrl(target)}/api/embed`, headers: ollamaHeaders(target), body: JSON.stringify(toOllamaEmbedRequest(req)) };
    },
    fromResponse: (body, req) => fromOllamaEmbedResponse(body, req),
  },
  /** Ollama's own /v1/* is OpenAI-compatible, and /api/* is native: both forward as they are. */
  passthrough(path: string, target: ProviderTarget) {
    const headers = ollamaHeaders(target);
    return { url: `${ollamaBaseUrl(target)}${path}`, headers };
  },
  mapError: mapOllamaError,
};
