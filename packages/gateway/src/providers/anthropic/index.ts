/** Anthropic (Messages API, anthropic-version 2023-06-01): translated chat, plus native /v1/messages passthrough. */
import type { ChatCompletion, ChatRequest, OperationMapping, Provider } from '../types.js';
import { mapAnthropicError } from './errors.js';
import { anthropicHeaders, anthropicUrl } from './http.js';
import { toAnthropicRequest } from './request.js';
import { fromAnthropicResponse, usageFromAnthropicMessage } from './response.js';
import { anthropicChatStream } from './stream.js';

const chat: OperationMapping<ChatRequest, ChatCompletion> = {
  toRequest(req, target, ctx) {
    const body = toAnthropicRequest({ ...req, stream: ctx.stream || req.stream === true });
    return { method: 'POST', url: anthropicUrl(target, '/v1/messages'), headers: anthropicHeaders(target), body: JSON.stringify(body) };
  },
  fromResponse: (body) => fromAnthropicResponse(body),
  stream: anthropicChatStream,
};

export const anthropicProvider: Provider = {
  id: 'anthropic',
  name: 'Anthropic',
  capabilities: {
    endpoints: ['chat', 'messages', 'passthrough'],
    streaming: true,
    tools: true,
    vision: true,
    embeddings: false,
    auth: ['x-api-key'],
  },
  chat,
  passthrough: (path, target) => ({ url: anthropicUrl(target, path), headers: anthropicHeaders(target) }),
  nativeOperations: ['messages'],
  // Beta features (prompt caching variants, long outputs, files) are opted into per request.
  protocolHeaders: ['anthropic-beta'],
  // Cache reads and writes count in the prompt, and are kept apart so each is priced at its own rate.
  nativeUsage: (_op, body) => usageFromAnthropicMessage(body),
  mapError: mapAnthropicError,
};

export { toAnthropicRequest } from './request.js';
export { fromAnthropicResponse, usageFromAnthropic, usageFromAnthropicMessage, finishReasonFromAnthropic } from './response.js';
export {
  anthropicChatStream,
  createAnthropicStreamState,
  fromAnthropicStreamEvent,
  finishAnthropicStream,
  anthropicStreamUsage,
  type AnthropicStreamState,
} from './stream.js';
export { createAnthropicNativeStreamObserver, type AnthropicNativeStreamObserver } from './native-stream.js';
export { mapAnthropicError, anthropicStreamError, parseAnthropicError, ANTHROPIC_ERROR_STATUS } from './errors.js';
export { anthropicHeaders, anthropicUrl } from './http.js';
export { ANTHROPIC_VERSION, ANTHROPIC_BASE_URL, DEFAULT_MAX_TOKENS } from './wire.js';
export type * from './wire.js';
