import { badRequest } from '../errors.js';
import type { Provider } from './types.js';
import { openaiProvider } from './openai/index.js';
import { azureOpenAIProvider } from './azure-openai/index.js';
import { openAICompatibleProviders } from './openai-compatible/specs.js';
import { anthropicProvider } from './anthropic/index.js';
import { bedrockProvider } from './bedrock/index.js';
import { googleProvider } from './google/index.js';
import { vertexProvider } from './vertex-ai/index.js';
import { cohereProvider } from './cohere/index.js';
import { mistralProvider } from './mistral-ai/index.js';
import { ollamaProvider } from './ollama/index.js';
import { voyageProvider } from './voyage/index.js';
import { jinaProvider } from './jina/index.js';
import { sagemakerProvider } from './sagemaker/index.js';
import { stabilityProvider } from './stability-ai/index.js';

/** Every provider the gateway can call, by Portkey's provider id. */
export class ProviderRegistry {
  private readonly byId = new Map<string, Provider>();

  constructor(providers: Provider[]) {
    for (const p of providers) this.byId.set(p.id, p);
  }

  get(id: string): Provider {
    const p = this.byId.get(id);
    if (!p) {
      throw badRequest(`Unknown provider "${id}". Use one of: ${[...this.byId.keys()].sort().join(', ')}`, 'x-portkey-provider', 'unknown_provider');
    }
    return p;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  all(): Provider[] {
    return [...this.byId.values()];
  }
}

export const BUILTIN_PROVIDERS: Provider[] = [
  openaiProvider,
  azureOpenAIProvider,
  anthropicProvider,
  bedrockProvider,
  googleProvider,
  vertexProvider,
  cohereProvider,
  mistralProvider,
  ollamaProvider,
  voyageProvider,
  jinaProvider,
  sagemakerProvider,
  stabilityProvider,
  ...openAICompatibleProviders,
];
