import { badRequest, type GatewayError } from '../errors.js';
import type { ChatChunk, ChatRequest } from '../providers/types.js';
import { encodeSseEvent } from '../streaming/framers/sse.js';
import type { InboundApi, StreamEncoder } from './types.js';

/** OpenAI's own formats: /v1/chat/completions, /v1/completions, /v1/embeddings and passthrough. */

export function renderOpenAIError(err: GatewayError): { status: number; body: unknown } {
  return { status: err.status, body: err.toBody() };
}

const streamOf = (body: Record<string, unknown> | undefined) => body?.stream === true;
const modelOf = (body: Record<string, unknown> | undefined) => (typeof body?.model === 'string' ? body.model : undefined);

/** Validates the parts of a chat request the gateway relies on; everything else passes through. */
export function validateChatRequest(body: Record<string, unknown>): ChatRequest {
  if (typeof body.model !== 'string' || body.model.length === 0) throw badRequest('model is required: name the model to call, e.g. "gpt-4o-mini"', 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw badRequest('messages must be a non-empty array of {role, content} objects', 'messages');
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i] as { role?: unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.role !== 'string') throw badRequest(`messages[${i}] must be an object with a string role`, `messages[${i}].role`);
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw badRequest('stream must be true or false', 'stream');
  return body as ChatRequest;
}

/** OpenAI SSE: `data: {chunk}` frames and `data: [DONE]`; the usage-only chunk only when asked for. */
export function createOpenAIStreamEncoder(includeUsage: boolean): StreamEncoder {
  return {
    encode(chunk: ChatChunk) {
      if (!includeUsage && chunk.choices.length === 0 && chunk.usage) return '';
      if (!includeUsage && chunk.usage) {
        const { usage: _omit, ...rest } = chunk;
        return encodeSseEvent(JSON.stringify(rest));
      }
      return encodeSseEvent(JSON.stringify(chunk));
    },
    end: () => 'data: [DONE]\n\n',
    error: (err) => encodeSseEvent(JSON.stringify(err.toBody())),
  };
}

export const openAIChatApi: InboundApi = {
  op: 'chat',
  validate: validateChatRequest,
  // The parse stage already ran validate(); the body is the chat request.
  toChat: (body) => body as ChatRequest,
  fromChat: (res) => res,
  createStreamEncoder: ({ includeUsage }) => createOpenAIStreamEncoder(includeUsage),
  renderError: renderOpenAIError,
  isStream: streamOf,
  modelOf,
};

/**
 * Legacy completions SSE for providers whose completion streams map to chat chunks (Mistral FIM):
 * each chunk becomes a text_completion chunk carrying delta.content as `text`.
 */
export function createTextCompletionStreamEncoder(includeUsage: boolean): StreamEncoder {
  return {
    encode(chunk: ChatChunk) {
      if (chunk.choices.length === 0) return includeUsage && chunk.usage ? encodeSseEvent(JSON.stringify({ id: chunk.id, object: 'text_completion', created: chunk.created, model: chunk.model, choices: [], usage: chunk.usage })) : '';
      const choices = chunk.choices.map((c) => ({ text: c.delta.content ?? '', index: c.index, logprobs: null, finish_reason: c.finish_reason }));
      return encodeSseEvent(JSON.stringify({ id: chunk.id, object: 'text_completion', created: chunk.created, model: chunk.model, choices }));
    },
    end: () => 'data: [DONE]\n\n',
    error: (err) => encodeSseEvent(JSON.stringify(err.toBody())),
  };
}

export const openAICompletionsApi: InboundApi = {
  op: 'completions',
  createStreamEncoder: ({ includeUsage }) => createTextCompletionStreamEncoder(includeUsage),
  renderError: renderOpenAIError,
  isStream: streamOf,
  modelOf,
};

export const openAIEmbeddingsApi: InboundApi = {
  op: 'embeddings',
  renderError: renderOpenAIError,
  isStream: () => false,
  modelOf,
};

export const passthroughApi: InboundApi = {
  op: 'passthrough',
  renderError: renderOpenAIError,
  isStream: streamOf,
  modelOf,
};
