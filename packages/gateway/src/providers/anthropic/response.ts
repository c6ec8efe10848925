/** Anthropic Message → OpenAI chat completion, and usage/finish-reason mappings shared with streams. Pure. */
import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatToolCall, FinishReason, Usage } from '../types.js';
import { usageWithCacheCounts } from '../usage.js';
import { isObject, type AnthropicBlock, type AnthropicMessage, type AnthropicUsage } from './wire.js';

export function finishReasonFromAnthropic(stop: unknown): FinishReason {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    case null:
    case undefined:
      return null;
    default:
      return 'stop';
  }
}

/** Anthropic usage → OpenAI usage, cache reads and writes included in prompt_tokens. */
export function usageFromAnthropic(u: AnthropicUsage): Usage {
  const usage = usageWithCacheCounts(u.input_tokens, u.output_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens);
  const thinking = isObject(u.output_tokens_details) ? u.output_tokens_details.thinking_tokens : undefined;
  if (typeof thinking === 'number') usage.completion_tokens_details = { reasoning_tokens: thinking };
  return usage;
}

/** Usage of a non-stream native /v1/messages response body, for the log document. */
export function usageFromAnthropicMessage(body: unknown): Usage | undefined {
  if (!isObject(body) || !isObject(body.usage)) return undefined;
  return usageFromAnthropic(body.usage as AnthropicUsage);
}

export function fromAnthropicResponse(body: unknown): ChatCompletion {
  if (!isObject(body) || body.type !== 'message' || !Array.isArray(body.content)) {
    throw new GatewayError({
      status: 502,
      type: 'upstream_error',
      provider: 'anthropic',
      message: 'anthropic error: the response is not a Messages API message (expected {"type":"message","content":[...]}); check custom_host points at an Anthropic endpoint',
    });
  }
  const msg = body as AnthropicMessage;
  let text = '';
  let reasoning = '';
  const thinkingBlocks: AnthropicBlock[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const b of msg.content) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'thinking') {
      reasoning += typeof b.thinking === 'string' ? b.thinking : '';
      thinkingBlocks.push(b);
    } else if (b.type === 'redacted_thinking') thinkingBlocks.push(b);
    else if (b.type === 'tool_use') {
      toolCalls.push({ id: String(b.id), type: 'function', function: { name: String(b.name), arguments: JSON.stringify(b.input ?? {}) } });
    }
  }
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning) message.reasoning_content = reasoning;
  // Kept so a client can send signed thinking back on the next turn (required with tools + thinking).
  if (thinkingBlocks.length > 0) message.thinking_blocks = thinkingBlocks;
  return {
    id: msg.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: msg.model,
    choices: [{ index: 0, message, finish_reason: finishReasonFromAnthropic(msg.stop_reason) ?? 'stop', logprobs: null }],
    usage: usageFromAnthropic(isObject(msg.usage) ? msg.usage : {}),
  };
}
