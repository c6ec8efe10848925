/** OpenAI chat completion → Anthropic Message (inbound /v1/messages answered by any provider). Pure. */
import type { ChatCompletion, FinishReason, JsonObject, Usage } from '../../providers/types.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export function stopReasonFromFinish(f: FinishReason | string | undefined): AnthropicStopReason {
  switch (f) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

export function anthropicMessageId(id: string | undefined): string {
  if (id && id.startsWith('msg_')) return id;
  return `msg_${(id ?? '').replace(/^chatcmpl-/, '') || Date.now().toString(36)}`;
}

/** OpenAI usage → Anthropic usage; Anthropic's input_tokens excludes cache reads and writes. */
export function anthropicUsageFromOpenAI(u: Usage | null | undefined): JsonObject {
  const cacheRead = u?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = typeof u?.cache_creation_input_tokens === 'number' ? u.cache_creation_input_tokens : 0;
  return {
    input_tokens: Math.max(0, (u?.prompt_tokens ?? 0) - cacheRead - cacheWrite),
    output_tokens: u?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

function parseInput(args: string): unknown {
  if (!args) return {};
  try {
    return JSON.parse(args);
  } catch {
    // A provider that streamed broken JSON: keep the text so nothing is lost.
    return { _raw_arguments: args };
  }
}

export function toAnthropicMessage(res: ChatCompletion): JsonObject {
  const choice = res.choices[0];
  const msg = choice?.message;
  const content: JsonObject[] = [];
  const thinkingBlocks = Array.isArray(msg?.thinking_blocks) ? (msg.thinking_blocks as JsonObject[]) : undefined;
  if (thinkingBlocks && thinkingBlocks.length > 0) content.push(...thinkingBlocks);
  else if (msg?.reasoning_content) content.push({ type: 'thinking', thinking: msg.reasoning_content, signature: '' });
  const text = typeof msg?.content === 'string' ? msg.content : '';
  if (text) content.push({ type: 'text', text });
  for (const tc of msg?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseInput(tc.function.arguments), caller: { type: 'direct' } });
  }
  if (msg?.refusal && !text) content.push({ type: 'text', text: msg.refusal });
  if (content.length === 0) content.push({ type: 'text', text: '' });
  return {
    id: anthropicMessageId(res.id),
    type: 'message',
    role: 'assistant',
    model: res.model,
    content,
    stop_reason: stopReasonFromFinish(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageFromOpenAI(res.usage),
  };
}
