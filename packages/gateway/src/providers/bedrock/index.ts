/**
 * Amazon Bedrock (bedrock-runtime). Chat through Converse / ConverseStream by default, or InvokeModel /
 * InvokeModelWithResponseStream with Anthropic's messages body when the target sets `bedrock_api: invoke`
 * (Anthropic models only). Embeddings through InvokeModel (Titan, Cohere). Requests are SigV4-signed in
 * `authorize`; streams use the AWS event-stream framer.
 */
import type { ChatCompletion, ChatRequest, EmbeddingRequest, EmbeddingResponse, OperationMapping, Provider, ProviderTarget, RequestContext, UpstreamRequest } from '../types.js';
import { authorizeBedrock } from './auth.js';
import { toBedrockConverseRequest } from './converse-request.js';
import { fromBedrockConverseResponse } from './converse-response.js';
import { fromBedrockEmbeddingResponse, fromBedrockEmbeddingResponses, toBedrockEmbeddingRequest, toBedrockEmbeddingRequests } from './embeddings.js';
import { BEDROCK_PROVIDER_ID, bedrockChatApi, bedrockModelUrl, bedrockNamedModel } from './endpoint.js';
import { mapBedrockError } from './errors.js';
import { fromBedrockAnthropicResponse, toBedrockAnthropicBody } from './invoke-anthropic.js';
import { bedrockChatStream } from './stream.js';
import { fromBedrockRerankResponse, toBedrockRerankRequest } from './rerank.js';
import { fromBedrockImageResponse, toBedrockImageRequest } from './images.js';

const EVENTSTREAM = 'application/vnd.amazon.eventstream';

export function toBedrockChatRequest(req: ChatRequest, target: ProviderTarget, ctx: RequestContext): UpstreamRequest {
  const api = bedrockChatApi(target, req.model);
  if (api === 'invoke') {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: ctx.stream ? EVENTSTREAM : 'application/json' };
    // InvokeModelWithResponseStream takes the body's media type in X-Amzn-Bedrock-Accept.
    if (ctx.stream) headers['x-amzn-bedrock-accept'] = 'application/json';
    return {
      method: 'POST',
      url: bedrockModelUrl(target, req.model, ctx.stream ? 'invoke-with-response-stream' : 'invoke'),
      headers,
      body: JSON.stringify(toBedrockAnthropicBody(req)),
    };
  }
  return {
    method: 'POST',
    url: bedrockModelUrl(target, req.model, ctx.stream ? 'converse-stream' : 'converse'),
    headers: { 'content-type': 'application/json', accept: ctx.stream ? EVENTSTREAM : 'application/json' },
    body: JSON.stringify(toBedrockConverseRequest(req)),
  };
}

export function fromBedrockChatResponse(body: unknown, req: ChatRequest, target: ProviderTarget): ChatCompletion {
  return bedrockChatApi(target, req.model) === 'invoke' ? fromBedrockAnthropicResponse(body, req.model) : fromBedrockConverseResponse(body, req.model);
}

const chat: OperationMapping<ChatRequest, ChatCompletion> = {
  toRequest: toBedrockChatRequest,
  fromResponse: fromBedrockChatResponse,
  stream: bedrockChatStream,
};

const embeddings: OperationMapping<EmbeddingRequest, EmbeddingResponse> = {
  toRequest: (req, target) => toBedrockEmbeddingRequest(req, target),
  fromResponse: (body, req, _target, headers) => fromBedrockEmbeddingResponse(body, req, headers),
  toRequests: (req, target) => toBedrockEmbeddingRequests(req, target),
  fromResponses: (bodies, req, _target, headers) => fromBedrockEmbeddingResponses(bodies, req, headers),
};

export const bedrockProvider: Provider = {
  id: BEDROCK_PROVIDER_ID,
  name: 'Amazon Bedrock',
  capabilities: {
    endpoints: ['chat', 'embeddings', 'rerank', 'images'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: true,
    auth: ['aws-sigv4 with request keys (x-portkey-aws-*)', 'aws-sigv4 with an assumed role (x-portkey-aws-role-arn)', 'aws-sigv4 with the default chain (ECS task role)', 'bedrock api key (x-portkey-aws-auth-type: apiKey, Authorization: Bearer)'],
    upstream: '`https://bedrock-runtime.{aws_region}.amazonaws.com/model/{model}/converse[-stream]` (or invoke), the model id, inference profile or ARN percent-encoded; x-portkey-aws-bedrock-model names the model behind an application inference profile',
  },
  chat,
  embeddings,
  rerank: { toRequest: (req, target) => toBedrockRerankRequest(req, target), fromResponse: (body, req) => fromBedrockRerankResponse(body, req) },
  images: { toRequest: (req, target) => toBedrockImageRequest(req, target), fromResponse: (body, req) => fromBedrockImageResponse(body, req) },
  // The model behind an inference profile ARN, when x-portkey-aws-bedrock-model names it, is what is priced.
  targetModel: (target) => bedrockNamedModel(target),
  authorize: authorizeBedrock,
  mapError: mapBedrockError,
};

export { authorizeBedrock } from './auth.js';
export { toBedrockImageRequest, fromBedrockImageResponse } from './images.js';
export { toBedrockRerankRequest, fromBedrockRerankResponse, bedrockRerankModelArn } from './rerank.js';
export { bedrockCredentialCacheKeys, clearBedrockCredentialCache, resolveBedrockCredentials } from './credentials.js';
export type { AwsCredentials, AwsCredentialSource, ResolvedAwsCredentials } from './credentials.js';
export { toBedrockConverseRequest } from './converse-request.js';
export { fromBedrockConverseResponse, finishReasonFromBedrock, usageFromBedrock } from './converse-response.js';
export { fromBedrockEmbeddingResponse, fromBedrockEmbeddingResponses, toBedrockEmbeddingRequest, toBedrockEmbeddingRequests } from './embeddings.js';
export { bedrockBaseUrl, bedrockChatApi, bedrockFoundationModel, bedrockModelUrl, bedrockRegion, encodeModelId, isAnthropicModel } from './endpoint.js';
export { bedrockStreamException, mapBedrockError } from './errors.js';
export { BEDROCK_ANTHROPIC_VERSION, fromBedrockAnthropicResponse, toBedrockAnthropicBody } from './invoke-anthropic.js';
export { bedrockChatStream, finishBedrockStream, fromBedrockStreamEvent } from './stream.js';
export { createBedrockStreamState } from './stream-state.js';
