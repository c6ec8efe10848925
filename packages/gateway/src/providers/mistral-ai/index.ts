import type { ChatRequest, CompletionRequest, EmbeddingRequest, Provider, ProviderTarget, RequestContext, UpstreamRequest } from '../types.js';
import { mapMistralError } from './errors.js';
import { mistralBaseUrl, mistralHeaders, toMistralChatRequest, toMistralEmbeddingsRequest, toMistralFimRequest } from './request.js';
import { fromMistralChatResponse, fromMistralEmbeddingsResponse, fromMistralFimResponse } from './response.js';
import { mistralChatStream } from './stream.js';

export { toMistralChatRequest, toMistralFimRequest, toMistralEmbeddingsRequest, toMistralToolCallId, mistralBaseUrl, MISTRAL_DEFAULT_BASE_URL } from './request.js';
export { fromMistralChatResponse, fromMistralFimResponse, fromMistralEmbeddingsResponse } from './response.js';
export { createMistralStreamState, fromMistralStreamEvent, finishMistralStream, mistralChatStream } from './stream.js';
export type { MistralStreamState } from './stream.js';
export { mapMistralError } from './errors.js';

const json = (target: ProviderTarget, url: string, body: unknown, stream: boolean): UpstreamRequest => ({
  method: 'POST',
  url,
  headers: mistralHeaders(target, stream),
  body: JSON.stringify(body),
});

/** Mistral La Plateforme: chat, embeddings, and FIM (codestral) as OpenAI /v1/completions. */
export const mistralProvider: Provider = {
  id: 'mistral-ai',
  name: 'Mistral AI',
  capabilities: {
    endpoints: ['chat', 'completions', 'embeddings', 'passthrough'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: true,
    auth: ['bearer'],
  },
  chat: {
    toRequest: (req: ChatRequest, target: ProviderTarget, ctx: RequestContext) =>
      json(target, `${mistralBaseUrl(target)}/chat/completions`, toMistralChatRequest(req, { stream: ctx.stream }), ctx.stream),
    fromResponse: (body, req) => fromMistralChatResponse(body, req),
    stream: mistralChatStream,
  },
  /** /v1/completions with prompt (+ suffix) is served by Mistral's fill-in-the-middle endpoint. */
  completions: {
    toRequest: (req: CompletionRequest, target: ProviderTarget, ctx: RequestContext) =>
      json(target, `${mistralBaseUrl(target)}/fim/completions`, toMistralFimRequest(req, { stream: ctx.stream }), ctx.stream),
    fromResponse: (body, req) => fromMistralFimResponse(body, req),
    stream: mistralChatStream,
  },
  embeddings: {
    toRequest: (req: EmbeddingRequest, target: ProviderTarget) => json(target, `${mistralBaseUrl(target)}/embeddings`, toMistralEmbeddingsRequest(req), false),
    fromResponse: (body, req) => fromMistralEmbeddingsResponse(body, req),
  },
  /** Native paths such as /v1/fim/completions, /v1/ocr or /v1/moderations forward unchanged. */
  passthrough(path: string, target: ProviderTarget) {
    const headers = mistralHeaders(target);
    delete headers.accept;
    return { url: `${mistralBaseUrl(target)}${path.replace(/^\/v1(?=\/|$)/, '')}`, headers };
  },
  mapError: mapMistralError,
};
