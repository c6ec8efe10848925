import { createOpenAICompatibleProvider } from '../openai-compatible/family.js';
import type { Provider, ProviderTarget } from '../types.js';
import { fromVoyageEmbeddingResponse, toVoyageEmbeddingRequest } from './embeddings.js';
import { fromVoyageRerankResponse, toVoyageRerankRequest } from './rerank.js';

export { toVoyageEmbeddingRequest, fromVoyageEmbeddingResponse } from './embeddings.js';
export { toVoyageRerankRequest, fromVoyageRerankResponse } from './rerank.js';

const BASE_URL = 'https://api.voyageai.com/v1';

/** Voyage AI: embeddings and rerank, no chat. Bearer auth; errors are {"detail": "..."}, read by the shared mapper's message fallback. */
const base = createOpenAICompatibleProvider({ id: 'voyage', name: 'Voyage AI', baseUrl: BASE_URL, chat: false });
const url = (target: ProviderTarget, path: string) => (target.customHost ?? BASE_URL) + path;
const headers = (target: ProviderTarget) => base.passthrough!('/v1/x', target).headers;

export const voyageProvider: Provider = {
  ...base,
  capabilities: { ...base.capabilities, endpoints: ['embeddings', 'rerank', 'passthrough'], embeddings: true },
  embeddings: {
    toRequest: (req, target) => ({ method: 'POST', url: url(target, '/embeddings'), headers: headers(target), body: JSON.stringify(toVoyageEmbeddingRequest(req)) }),
    fromResponse: (body, req) => fromVoyageEmbeddingResponse(body, req),
  },
  rerank: {
    toRequest: (req, target) => ({ method: 'POST', url: url(target, '/rerank'), headers: headers(target), body: JSON.stringify(toVoyageRerankRequest(req)) }),
    fromResponse: (body, req) => fromVoyageRerankResponse(body, req),
  },
};
