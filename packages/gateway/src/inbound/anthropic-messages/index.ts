/** The Anthropic Messages API (/v1/messages) served by any provider, by translation through OpenAI chat. */
export { fromAnthropicMessagesRequest } from './request.js';
export { toAnthropicMessage, stopReasonFromFinish, anthropicUsageFromOpenAI, anthropicMessageId } from './response.js';
export { createAnthropicStreamEncoder, type AnthropicStreamEncoder } from './stream-encoder.js';
export { toAnthropicError, toAnthropicErrorBody, anthropicErrorType, type AnthropicErrorPayload } from './errors.js';
