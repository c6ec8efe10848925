import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatRequest, ChatToolCall, EmbeddingRequest, EmbeddingResponse, FinishReason, JsonObject, Usage } from '../types.js';

export function mistralError(message: string): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_generation_error', provider: 'mistral-ai', message });
}

type MistralContent = string | null | undefined | Array<{ type?: string; text?: string; thinking?: Array<{ type?: string; text?: string }> }>;

/** Mistral content (string, or text / thinking chunks) → text and reasoning text. */
export function splitMistralContent(c: MistralContent): { text: string | null; reasoning: string } {
  if (c == null) return { text: null, reasoning: '' };
  if (typeof c === 'string') return { text: c, reasoning: '' };
  let text = '';
  let reasoning = '';
  for (const part of c) {
    if (part.type === 'text') text += part.text ?? '';
    else if (part.type === 'thinking') reasoning += (part.thinking ?? []).map((t) => t.text ?? '').join('');
  }
  return { text, reasoning };
}

/** model_length is Mistral's "hit the context window"; error means the generation failed. */
export function mistralFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case null:
    case undefined:
      return null;
    case 'length':
    case 'model_length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'error':
      throw mistralError('mistral stopped generating with finish_reason "error"; the response is incomplete. Retry the request.');
    default:
      return 'stop';
  }
}

export function mistralToolCall(tc: { id?: string; function?: { name?: string; arguments?: unknown } }): ChatToolCall {
  const args = tc.function?.arguments;
  return { id: tc.id ?? '', type: 'function', function: { name: tc.function?.name ?? '', arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) } };
}

export function mistralUsage(u: unknown): Usage | undefined {
  if (!u || typeof u !== 'object') return undefined;
  const x = u as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  const prompt = x.prompt_tokens ?? 0;
  const completion = x.completion_tokens ?? 0;
  return { ...(u as JsonObject), prompt_tokens: prompt, completion_tokens: completion, total_tokens: x.total_tokens ?? prompt + completion };
}

interface MistralChoice {
  index?: number;
  message?: { content?: MistralContent; tool_calls?: Array<{ id?: string; function?: { name?: string; arguments?: unknown } }> | null };
  finish_reason?: string | null;
}

function asResponse(body: unknown): { id?: string; created?: number; model?: string; choices?: MistralChoice[]; usage?: unknown } {
  if (!body || typeof body !== 'object' || !Array.isArray((body as { choices?: unknown }).choices)) {
    throw mistralError('mistral returned a response without a choices array; check that the target is the Mistral API.');
  }
  return body as { id?: string; created?: number; model?: string; choices: MistralChoice[]; usage?: unknown };
}

/** Mistral chat response → OpenAI chat completion. Pure. */
export function fromMistralChatResponse(body: unknown, req: ChatRequest): ChatCompletion {
  const r = asResponse(body);
  const out: ChatCompletion = {
    id: r.id ?? '',
    object: 'chat.completion',
    created: r.created ?? Math.floor(Date.now() / 1000),
    model: r.model ?? req.model,
    choices: (r.choices ?? []).map((c, i) => {
      const { text, reasoning } = splitMistralContent(c.message?.content);
      const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text, refusal: null };
      if (c.message?.tool_calls?.length) message.tool_calls = c.message.tool_calls.map(mistralToolCall);
      if (reasoning) message.reasoning_content = reasoning;
      return { index: c.index ?? i, message, finish_reason: mistralFinishReason(c.finish_reason) ?? 'stop', logprobs: null };
    }),
  };
  const usage = mistralUsage(r.usage);
  if (usage) out.usage = usage;
  return out;
}

/** Mistral FIM response (chat-shaped) → OpenAI text_completion. Pure. */
export function fromMistralFimResponse(body: unknown, req: { model: string }): JsonObject {
  const r = asResponse(body);
  const out: JsonObject = {
    id: r.id ?? '',
    object: 'text_completion',
    created: r.created ?? Math.floor(Date.now() / 1000),
    model: r.model ?? req.model,
    choices: (r.choices ?? []).map((c, i) => ({
      index: c.index ?? i,
      text: splitMistralContent(c.message?.content).text ?? '',
      finish_reason: mistralFinishReason(c.finish_reason) ?? 'stop',
      logprobs: null,
    })),
  };
  const usage = mistralUsage(r.usage);
  if (usage) out.usage = usage;
  return out;
}

/** Mistral embeddings response → OpenAI embeddings response (usage without completion_tokens). Pure. */
export function fromMistralEmbeddingsResponse(body: unknown, req: EmbeddingRequest): EmbeddingResponse {
  const r = body as { model?: string; data?: Array<{ index?: number; embedding?: number[] | string }>; usage?: { prompt_tokens?: number; total_tokens?: number } };
  if (!r || !Array.isArray(r.data)) throw mistralError('mistral returned an embeddings response without a data array.');
  const prompt = r.usage?.prompt_tokens ?? 0;
  return {
    object: 'list',
    data: r.data.map((d, i) => ({ object: 'embedding', index: d.index ?? i, embedding: d.embedding ?? [] })),
    model: r.model ?? req.model,
    usage: { prompt_tokens: prompt, total_tokens: r.usage?.total_tokens ?? prompt },
  };
}
