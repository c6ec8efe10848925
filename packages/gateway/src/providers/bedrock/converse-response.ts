/** Bedrock Converse response → OpenAI chat completion, plus the stop-reason and usage mappings streams share. Pure. */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatToolCall, FinishReason, JsonObject, Usage } from '../types.js';
import { usageWithCacheCounts } from '../usage.js';
import { isObject, type ConverseTokenUsage } from './wire.js';

export function finishReasonFromBedrock(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case null:
    case undefined:
      return null;
    default:
      // malformed_model_output, malformed_tool_use and future reasons: the turn ended.
      return 'stop';
  }
}

/** Converse TokenUsage → OpenAI usage, cache reads and writes included in prompt_tokens. */
export function usageFromBedrock(u: ConverseTokenUsage): Usage {
  const usage = usageWithCacheCounts(u.inputTokens, u.outputTokens, u.cacheReadInputTokens, u.cacheWriteInputTokens);
  return usage;
}

export function newChatId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
}

export function fromBedrockConverseResponse(body: unknown, model: string): ChatCompletion {
  const message = isObject(body) && isObject(body.output) && isObject(body.output.message) ? body.output.message : undefined;
  if (!message || !Array.isArray(message.content)) {
    throw new GatewayError({
      status: 502,
      type: 'upstream_error',
      provider: 'bedrock',
      message: 'bedrock error: the response is not a Converse response (expected {"output":{"message":{"content":[...]}}}); check custom_host points at a bedrock-runtime endpoint',
    });
  }
  const b = body as { stopReason?: unknown; usage?: unknown };
  let text = '';
  let reasoning = '';
  const thinkingBlocks: JsonObject[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const block of message.content as unknown[]) {
    if (!isObject(block)) continue;
    if (typeof block.text === 'string') text += block.text;
    else if (isObject(block.toolUse)) {
      const t = block.toolUse;
      toolCalls.push({ id: String(t.toolUseId), type: 'function', function: { name: String(t.name), arguments: JSON.stringify(t.input ?? {}) } });
    } else if (isObject(block.reasoningContent)) {
      const rc = block.reasoningContent;
      if (isObject(rc.reasoningText) && typeof rc.reasoningText.text === 'string') {
        reasoning += rc.reasoningText.text;
        thinkingBlocks.push({ type: 'thinking', thinking: rc.reasoningText.text, signature: typeof rc.reasoningText.signature === 'string' ? rc.reasoningText.signature : '' });
      } else if (typeof rc.redactedContent === 'string') thinkingBlocks.push({ type: 'redacted_thinking', data: rc.redactedContent });
    }
  }
  const out: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  if (reasoning) out.reasoning_content = reasoning;
  // Same convention as the anthropic provider: signed thinking a client sends back on the next turn.
  if (thinkingBlocks.length > 0) out.thinking_blocks = thinkingBlocks;
  return {
    id: newChatId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: out, finish_reason: finishReasonFromBedrock(b.stopReason) ?? 'stop', logprobs: null }],
    usage: usageFromBedrock(isObject(b.usage) ? b.usage : {}),
  };
}
