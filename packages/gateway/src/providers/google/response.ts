/** Gemini GenerateContentResponse → OpenAI chat completion. Pure (ids are random, nothing else). */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { ChatCompletion, ChatToolCall, FinishReason, Usage } from '../types.js';
import { isObject } from './schema.js';
import type { GeminiCandidate, GeminiPart, GeminiResponse, GeminiUsageMetadata } from './types.js';

const FILTERED = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION', 'LANGUAGE',
]);

/**
 * Maps a Gemini finishReason. `hadToolCalls` turns STOP into tool_calls, because Gemini reports STOP
 * after a function call. Unknown reasons (OTHER, MALFORMED_FUNCTION_CALL...) map to stop.
 */
export function fromGeminiFinishReason(reason: string | undefined, hadToolCalls: boolean): FinishReason {
  if (!reason || reason === 'FINISH_REASON_UNSPECIFIED') return null;
  if (reason === 'MAX_TOKENS') return 'length';
  if (FILTERED.has(reason)) return 'content_filter';
  return hadToolCalls ? 'tool_calls' : 'stop';
}

export function fromGeminiUsage(u: GeminiUsageMetadata | undefined): Usage | undefined {
  if (!u) return undefined;
  const prompt = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  // OpenAI counts reasoning tokens inside completion_tokens; Gemini counts them apart.
  const completion = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: u.totalTokenCount ?? prompt + completion };
  if (u.cachedContentTokenCount !== undefined) usage.prompt_tokens_details = { cached_tokens: u.cachedContentTokenCount };
  if (u.thoughtsTokenCount !== undefined) usage.completion_tokens_details = { reasoning_tokens: u.thoughtsTokenCount };
  return usage;
}

export interface MappedParts {
  content: string | null;
  reasoning: string | null;
  toolCalls: ChatToolCall[];
}

/** Splits a candidate's parts into text, thought text and tool calls (ids generated when Gemini gives none). */
export function mapGeminiParts(parts: GeminiPart[] | undefined): MappedParts {
  let content: string | null = null;
  let reasoning: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  for (const p of parts ?? []) {
    if (p.functionCall) {
      const call: ChatToolCall & { extra_content?: unknown } = {
        id: p.functionCall.id || `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
        type: 'function',
        function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) },
      };
      if (p.thoughtSignature) call.extra_content = { google: { thought_signature: p.thoughtSignature } };
      toolCalls.push(call);
    } else if (typeof p.text === 'string') {
      if (p.thought) reasoning = (reasoning ?? '') + p.text;
      else content = (content ?? '') + p.text;
    } else if (p.executableCode?.code) {
      content = `${content ?? ''}\n\`\`\`${(p.executableCode.language ?? '').toLowerCase() === 'python' ? 'python' : ''}\n${p.executableCode.code}\n\`\`\`\n`;
    } else if (p.codeExecutionResult?.output !== undefined) {
      content = `${content ?? ''}\n\`\`\`\n${p.codeExecutionResult.output}\n\`\`\`\n`;
    }
  }
  return { content, reasoning, toolCalls };
}

export function fromGeminiResponse(body: unknown, model: string, provider = 'google'): ChatCompletion {
  if (!isObject(body)) {
    throw new GatewayError({ status: 502, provider, message: `${provider} error: upstream returned a body that is not a JSON object; retry, or report it if it persists.`, type: 'upstream_error' });
  }
  const res = body as GeminiResponse;
  const id = res.responseId ? `chatcmpl-${res.responseId}` : `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const out: ChatCompletion = { id, object: 'chat.completion', created, model: res.modelVersion ?? model, choices: [] };
  const usage = fromGeminiUsage(res.usageMetadata);
  if (usage) out.usage = usage;

  if (!res.candidates?.length) {
    // Prompt blocked: no candidates, only promptFeedback.blockReason.
    out.choices.push({ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: res.promptFeedback?.blockReason ? 'content_filter' : 'stop', logprobs: null });
    return out;
  }
  res.candidates.forEach((c: GeminiCandidate, i) => {
    const parts = mapGeminiParts(c.content?.parts);
    const message: ChatCompletion['choices'][number]['message'] = { role: 'assistant', content: parts.content, refusal: null };
    if (parts.toolCalls.length) message.tool_calls = parts.toolCalls;
    if (parts.reasoning !== null) message.reasoning_content = parts.reasoning;
    const finish = fromGeminiFinishReason(c.finishReason, parts.toolCalls.length > 0) ?? 'stop';
    if (finish === 'content_filter' && message.content === null) message.content = '';
    out.choices.push({ index: c.index ?? i, message, finish_reason: finish, logprobs: null });
  });
  return out;
}
