import { createAnthropicNativeStreamObserver } from '../providers/anthropic/index.js';
import { registerNativeObserver } from '../pipeline/native-observers.js';
import { createAnthropicStreamEncoder, fromAnthropicMessagesRequest, toAnthropicError, toAnthropicMessage } from './anthropic-messages/index.js';
import { createResponsesStreamEncoder, fromResponsesRequest, toResponsesResponse } from './responses/index.js';
import { renderOpenAIError } from './openai-chat.js';
import type { ResponsesEcho } from './responses/index.js';
import type { InboundApi } from './types.js';

export { openAIChatApi, openAICompletionsApi, openAIEmbeddingsApi, passthroughApi } from './openai-chat.js';

const modelOf = (body: Record<string, unknown> | undefined) => (typeof body?.model === 'string' ? body.model : undefined);
const streamOf = (body: Record<string, unknown> | undefined) => body?.stream === true;

/** Anthropic's Messages API inbound: native for Anthropic, translated through chat for everyone else. */
export const anthropicMessagesApi: InboundApi = {
  op: 'messages',
  toChat: fromAnthropicMessagesRequest,
  fromChat: (res) => toAnthropicMessage(res),
  createStreamEncoder: ({ model }) => createAnthropicStreamEncoder({ model }),
  renderError: toAnthropicError,
  isStream: streamOf,
  modelOf,
};

/** OpenAI's Responses API inbound: native for OpenAI and Azure, translated for everyone else (state: pipeline/responses-stage.ts). */
export const responsesApi: InboundApi = {
  op: 'responses',
  toChat: fromResponsesRequest,
  fromChat: (res, body) => toResponsesResponse(res, body as ResponsesEcho),
  createStreamEncoder: ({ body, finished }) => createResponsesStreamEncoder(body as ResponsesEcho, { onEnd: finished as ((r: unknown) => void) | undefined }),
  renderError: renderOpenAIError,
  isStream: streamOf,
  modelOf,
};

registerNativeObserver('anthropic', 'messages', createAnthropicNativeStreamObserver);
