import { createOpenAICompatibleProvider } from '../openai-compatible/family.js';
import type { Provider, ProviderTarget } from '../types.js';
import { fromJinaRerankResponse, toJinaRerankRequest } from './rerank.js';

export { toJinaRerankRequest, fromJinaRerankResponse } from './rerank.js';

const BASE_URL = 'https://api.jina.ai/v1';

/** Jina AI: OpenAI-shaped embeddings (native) and its own rerank, no chat. Bearer auth. */
const base = createOpenAICompatibleProvider({ id: 'jina', name: 'Jina AI', baseUrl: BASE_URL, chat: false, embeddings: true });

export const jinaProvider: Provider = {
  ...base,
  capabilities: { ...base.capabilities, endpoints: [...base.capabilities.endpoints, 'rerank'] },
  rerank: {
    toRequest: (req, target: ProviderTarget) => ({
      method: 'POST', url: `${target.customHost ?? BASE_URL}/rerank`, headers: base.passthrough!('/v1/rerank', target).headers, body: JSON.stringify(toJinaRerankRequest(req)),
    }),
    fromResponse: (body, req) => fromJinaRerankResponse(body, req),
  },
};
