import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatRequest, ChatToolCall, FinishReason, Usage } from '../types.js';

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number; search_units?: number; classifications?: number };
  tokens?: { input_tokens?: number; output_tokens?: number };
  cached_tokens?: number;
}

export interface CohereChatResponse {
  id?: string;
  finish_reason?: string;
  message?: {
    role?: string;
    content?: Array<{ type?: string; text?: string; thinking?: string }>;
    tool_plan?: string;
    tool_calls?: Array<{ id?: string; type?: string; function?: { name?: string; arguments?: string } }>;
    citations?: unknown[];
  };
  usage?: CohereUsage;
  logprobs?: unknown;
}

/** Billed units are what Cohere charges for, so they drive cost; raw tokens are the fallback. */
export function cohereUsage(u: CohereUsage | undefined): Usage {
  const billed = u?.billed_units;
  const src = billed && (billed.input_tokens != null || billed.output_tokens != null) ? billed : u?.tokens;
  const prompt = src?.input_tokens ?? 0;
  const completion = src?.output_tokens ?? 0;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (typeof u?.cached_tokens === 'number') usage.prompt_tokens_details = { cached_tokens: u.cached_tokens };
  return usage;
}

export function cohereError(message: string): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_generation_error', provider: 'cohere', message });
}

/** COMPLETE / STOP_SEQUENCE / MAX_TOKENS / TOOL_CALL; ERROR and TIMEOUT are failures, not finishes. */
export function cohereFinishReason(reason: string | undefined, errorText?: string): FinishReason {
  switch (reason) {
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case 'ERROR':
    case 'ERROR_TOXIC':
    case 'ERROR_LIMIT':
    case 'TIMEOUT':
      throw cohereError(`cohere stopped generating with finish_reason ${reason}${errorText ? `: ${errorText}` : ''}. Retry the request; if it persists, shorten the input or change the model.`);
    default:
      return 'stop';
  }
}

/** Cohere v2 chat response → OpenAI chat completion. Pure. */
export function fromCohereChatResponse(body: unknown, req: ChatRequest): ChatCompletion {
  if (!body || typeof body !== 'object') throw cohereError('cohere returned a chat response that is not a JSON object.');
  const r = body as CohereChatResponse;
  const parts = r.message?.content ?? [];
  const text = parts.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('');
  const thinking = parts.filter((p) => p.type === 'thinking').map((p) => p.thinking ?? '').join('');
  const toolCalls: ChatToolCall[] = (r.message?.tool_calls ?? []).map((tc) => ({
    id: tc.id ?? '',
    type: 'function',
    function: { name: tc.function?.name ?? '', arguments: tc.function?.arguments ?? '{}' },
  }));
  const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text || r.message?.tool_plan || (toolCalls.length ? null : ''), refusal: null };
  if (toolCalls.length) message.tool_calls = toolCalls;
  if (thinking) message.reasoning_content = thinking;
  if (r.message?.citations?.length) message.citations = r.message.citations;
  return {
    id: r.id ?? '',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [{ index: 0, message, finish_reason: cohereFinishReason(r.finish_reason), logprobs: null }],
    usage: cohereUsage(r.usage),
  };
}
