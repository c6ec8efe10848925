import { badRequest } from '../../errors.js';
import type { Provider, ProviderTarget } from '../types.js';
import { mapOpenAIError, openAIChatStream } from '../openai-compatible/mapping.js';
import { authorizeWithEntra } from './entra.js';
import { AZURE_ENTRA_AUTH_MODES } from './identity.js';
import { azureModelName } from './foundry-headers.js';

/**
 * Azure OpenAI: https://{resource_name}.openai.azure.com/openai/deployments/{deployment_id}/{op}?api-version=...
 * Auth: `api-key` header, or an Entra ID bearer token when azure_auth_mode is "entra" (the token is the
 * request's credential). Wire format is OpenAI's.
 */
const DEFAULT_API_VERSION = '2024-10-21';
/** The Realtime API is in preview versions only. */
const DEFAULT_REALTIME_API_VERSION = '2024-10-01-preview';

export function toAzureBaseUrl(target: ProviderTarget): string {
  if (target.customHost) return target.customHost.replace(/\/$/, '');
  const resource = target.settings.resource_name;
  if (!resource) throw badRequest('azure-openai needs resource_name: set it in the config target or the x-portkey-azure-resource-name header', 'resource_name');
  if (!/^[a-zA-Z0-9-]{2,64}$/.test(resource)) throw badRequest('azure-openai resource_name may contain only letters, digits and hyphens', 'resource_name');
  return `https://${resource}.openai.azure.com/openai`;
}

export function toAzureUrl(target: ProviderTarget, operation: string): string {
  const deployment = target.settings.deployment_id;
  const apiVersion = target.settings.api_version || DEFAULT_API_VERSION;
  if (operation === 'responses') return `${toAzureBaseUrl(target)}/responses?api-version=${encodeURIComponent(apiVersion)}`;
  if (!deployment) throw badRequest('azure-openai needs deployment_id: set it in the config target or the x-portkey-azure-deployment-id header', 'deployment_id');
  return `${toAzureBaseUrl(target)}/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${encodeURIComponent(apiVersion)}`;
}

export function toAzureAuthHeaders(target: ProviderTarget): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const mode = target.settings.azure_auth_mode ?? (target.settings.azure_ad_token ? 'entra' : 'api-key');
  const token = target.settings.azure_ad_token ?? target.apiKey;
  if (!token) return headers;
  if (mode === 'entra') headers.authorization = `Bearer ${token.replace(/^Bearer\s+/i, '')}`;
  else headers['api-key'] = token;
  return headers;
}

const opFor = (path: string): string => path.replace(/^\/v1\//, '');

/** Azure's Realtime API: {base}/realtime?api-version=...&deployment=... (the deployment names the model). */
export function toAzureRealtimeUrl(target: ProviderTarget): string {
  const deployment = target.settings.deployment_id;
  if (!deployment) throw badRequest('azure-openai needs deployment_id for realtime: set it in the config target or the x-portkey-azure-deployment-id header', 'deployment_id');
  const apiVersion = target.settings.api_version || DEFAULT_REALTIME_API_VERSION;
  return `${toAzureBaseUrl(target)}/realtime?api-version=${encodeURIComponent(apiVersion)}&deployment=${encodeURIComponent(deployment)}`;
}

export const azureOpenAIProvider: Provider = {
  id: 'azure-openai',
  name: 'Azure OpenAI',
  capabilities: {
    endpoints: ['chat', 'completions', 'embeddings', 'responses', 'messages', 'passthrough', 'images'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: true,
    auth: ['api-key', 'entra bearer', ...AZURE_ENTRA_AUTH_MODES],
    upstream: '`https://{resource_name}.openai.azure.com/openai/deployments/{deployment_id}/...?api-version=...` from x-portkey-azure-resource-name, -deployment-id, -api-version (default 2024-10-21); x-portkey-azure-model-name names the model for logs and pricing',
  },
  nativeOperations: ['chat', 'completions', 'embeddings', 'responses', 'passthrough', 'images'],
  protocolHeaders: ['openai-beta'],
  chat: {
    toRequest: (req, target) => ({ method: 'POST', url: toAzureUrl(target, 'chat/completions'), headers: toAzureAuthHeaders(target), body: JSON.stringify(req) }),
    fromResponse: (body) => body as never,
    stream: openAIChatStream,
  },
  completions: {
    toRequest: (req, target) => ({ method: 'POST', url: toAzureUrl(target, 'completions'), headers: toAzureAuthHeaders(target), body: JSON.stringify(req) }),
    fromResponse: (body) => body as never,
    stream: openAIChatStream,
  },
  embeddings: {
    toRequest: (req, target) => ({ method: 'POST', url: toAzureUrl(target, 'embeddings'), headers: toAzureAuthHeaders(target), body: JSON.stringify(req) }),
    fromResponse: (body) => body as never,
  },
  passthrough: (path, target) => ({ url: path.startsWith('/v1/realtime') ? toAzureRealtimeUrl(target) : toAzureUrl(target, opFor(path)), headers: toAzureAuthHeaders(target) }),
  // x-portkey-azure-model-name: the deployment's model, logged and priced in place of the body's.
  targetModel: (target) => azureModelName(target),
  authorize: authorizeWithEntra('azure-openai'),
  mapError: mapOpenAIError('azure-openai'),
};
