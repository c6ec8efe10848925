import type { Provider, ProviderTarget } from '../types.js';
import { joinUpstreamUrl, mapOpenAIError, openAIChatStream } from './mapping.js';

export interface OpenAICompatibleSpec {
  id: string;
  name: string;
  /** Base URL including the version segment, e.g. https://api.groq.com/openai/v1. */
  baseUrl: string;
  /** Whether the provider has /embeddings. */
  embeddings?: boolean;
  /** Whether the provider has the legacy /completions endpoint. */
  completions?: boolean;
  /** Whether it serves OpenAI's Responses API natively. */
  responses?: boolean;
  /** A local model server: key optional, and its default base URL is checked by the egress policy. */
  keyOptional?: boolean;
  extraHeaders?: (target: ProviderTarget) => Record<string, string>;
  /** Protocol headers clients send for this provider (see Provider.protocolHeaders). */
  protocolHeaders?: readonly string[];
}

function authHeaders(spec: OpenAICompatibleSpec, target: ProviderTarget): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(spec.extraHeaders?.(target) ?? {}) };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  return headers;
}

/** Builds a Provider for an endpoint that speaks OpenAI's wire format, differing only by base URL and auth. */
export function createOpenAICompatibleProvider(spec: OpenAICompatibleSpec): Provider {
  const base = (target: ProviderTarget) => target.customHost ?? spec.baseUrl;
  const json = (path: string) => ({
    toRequest: (req: object, target: ProviderTarget) => ({
      method: 'POST' as const,
      url: joinUpstreamUrl(base(target), path),
      headers: authHeaders(spec, target),
      body: JSON.stringify(req),
    }),
    fromResponse: (body: unknown) => body as never,
  });
  const nativeOperations: Provider['nativeOperations'] = ['chat', 'passthrough'];
  if (spec.completions) nativeOperations.push('completions');
  if (spec.embeddings) nativeOperations.push('embeddings');
  if (spec.responses) nativeOperations.push('responses');
  return {
    id: spec.id,
    name: spec.name,
    localBaseUrl: spec.keyOptional ? spec.baseUrl : undefined,
    capabilities: {
      endpoints: [...nativeOperations, 'messages', ...(spec.responses ? [] : (['responses'] as const))],
      streaming: true,
      tools: true,
      vision: true,
      embeddings: !!spec.embeddings,
      auth: spec.keyOptional ? ['bearer (optional)'] : ['bearer'],
    },
    chat: { ...json('/v1/chat/completions'), stream: openAIChatStream },
    completions: spec.completions ? { ...json('/v1/completions'), stream: openAIChatStream } : undefined,
    embeddings: spec.embeddings ? json('/v1/embeddings') : undefined,
    nativeOperations,
    protocolHeaders: spec.protocolHeaders,
    passthrough: (path, target) => ({ url: joinUpstreamUrl(base(target), path), headers: authHeaders(spec, target) }),
    mapError: mapOpenAIError(spec.id),
  };
}

/** The OpenAI-compatible family: providers that differ from OpenAI only by base URL. */
export const OPENAI_COMPATIBLE_SPECS: OpenAICompatibleSpec[] = [
  { id: 'groq', name: 'Groq', baseUrl: 'https://api.groq.com/openai/v1', responses: true },
  { id: 'together-ai', name: 'Together AI', baseUrl: 'https://api.together.xyz/v1', embeddings: true, completions: true },
  { id: 'fireworks-ai', name: 'Fireworks AI', baseUrl: 'https://api.fireworks.ai/inference/v1', embeddings: true, completions: true },
  { id: 'deepseek', name: 'DeepSeek', baseUrl: 'https://api.deepseek.com/v1', completions: true },
  { id: 'openrouter', name: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', completions: true },
  { id: 'perplexity-ai', name: 'Perplexity', baseUrl: 'https://api.perplexity.ai' },
  { id: 'x-ai', name: 'xAI', baseUrl: 'https://api.x.ai/v1', embeddings: true, responses: true },
  { id: 'cerebras', name: 'Cerebras', baseUrl: 'https://api.cerebras.ai/v1', completions: true },
  { id: 'vllm', name: 'vLLM (custom_host)', baseUrl: 'http://127.0.0.1:8000/v1', embeddings: true, completions: true, keyOptional: true },
  { id: 'lm-studio', name: 'LM Studio (custom_host)', baseUrl: 'http://127.0.0.1:1234/v1', embeddings: true, completions: true, keyOptional: true },
];

export const openAICompatibleProviders: Provider[] = OPENAI_COMPATIBLE_SPECS.map(createOpenAICompatibleProvider);
