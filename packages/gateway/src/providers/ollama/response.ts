import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatRequest, ChatToolCall, EmbeddingRequest, EmbeddingResponse, FinishReason, JsonObject, Usage } from '../types.js';

export interface OllamaChatResponse {
  model?: string;
  created_at?: string;
  message?: { role?: string; content?: string; thinking?: string; tool_calls?: Array<{ function?: { name?: string; arguments?: unknown } }>; images?: string[] };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
  [k: string]: unknown;
}

/** Ollama does not name tool calls; OpenAI clients need an id to answer them. */
export function newToolCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

export function ollamaCreated(createdAt: string | undefined): number {
  const ms = createdAt ? Date.parse(createdAt) : NaN;
  return Math.floor((Number.isFinite(ms) ? ms : Date.now()) / 1000);
}

export function ollamaUsage(r: OllamaChatResponse): Usage {
  const prompt = typeof r.prompt_eval_count === 'number' ? r.prompt_eval_count : 0;
  const completion = typeof r.eval_count === 'number' ? r.eval_count : 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function ollamaFinishReason(doneReason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (sawToolCalls) return 'tool_calls';
  if (doneReason === 'length') return 'length';
  return 'stop'; // stop, load, unload
}

export function toOpenAIToolCall(tc: { function?: { name?: string; arguments?: unknown } }): ChatToolCall {
  const args = tc.function?.arguments;
  return {
    id: newToolCallId(),
    type: 'function',
    function: { name: tc.function?.name ?? '', arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
  };
}

function asObject(body: unknown, what: string): OllamaChatResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError({ status: 502, type: 'upstream_error', provider: 'ollama', message: `ollama returned a ${what} that is not a JSON object; check that the target is an Ollama server.` });
  }
  const r = body as OllamaChatResponse;
  if (typeof r.error === 'string') throw new GatewayError({ status: 502, type: 'upstream_error', provider: 'ollama', message: `ollama error: ${r.error}` });
  return r;
}

/** Ollama /api/chat response (stream:false) → OpenAI chat completion. Pure apart from generated ids. */
export function fromOllamaChatResponse(body: unknown, req: ChatRequest): ChatCompletion {
  const r = asObject(body, 'chat response');
  const toolCalls = (r.message?.tool_calls ?? []).map(toOpenAIToolCall);
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: r.message?.content ?? '', refusal: null };
  if (toolCalls.length) {
    message.tool_calls = toolCalls;
    if (!message.content) message.content = null;
  }
  if (r.message?.thinking) message.reasoning_content = r.message.thinking;
  return {
    id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'chat.completion',
    created: ollamaCreated(r.created_at),
    model: r.model ?? req.model,
    choices: [{ index: 0, message, finish_reason: ollamaFinishReason(r.done_reason, toolCalls.length > 0), logprobs: null }],
    usage: ollamaUsage(r),
  };
}

/** OpenAI's base64 embedding format: little-endian float32 bytes. */
export function floatsToBase64(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}

/** Ollama /api/embed response → OpenAI embeddings response. Pure. */
export function fromOllamaEmbedResponse(body: unknown, req: EmbeddingRequest): EmbeddingResponse {
  const r = body as { model?: string; embeddings?: unknown; prompt_eval_count?: number; error?: string } & JsonObject;
  if (!r || typeof r !== 'object' || !Array.isArray(r.embeddings)) {
    throw new GatewayError({ status: 502, type: 'upstream_error', provider: 'ollama', message: `ollama returned an embed response without an embeddings array${typeof r?.error === 'string' ? `: ${r.error}` : ''}.` });
  }
  const base64 = req.encoding_format === 'base64';
  const tokens = typeof r.prompt_eval_count === 'number' ? r.prompt_eval_count : 0;
  return {
    object: 'list',
    data: (r.embeddings as number[][]).map((e, index) => ({ object: 'embedding', index, embedding: base64 ? floatsToBase64(e) : e })),
    model: r.model ?? req.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
