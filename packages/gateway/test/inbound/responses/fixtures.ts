/**
 * Realistic OpenAI chat stream chunk sequences (the shapes api.openai.com sends with
 * stream_options.include_usage), each chunk checked against CreateChatCompletionStreamResponse,
 * and a strict parser for the Responses SSE the encoder writes.
 */
import type { ChatChunk, ChatChunkToolCallDelta, FinishReason, Usage } from '../../../src/providers/types.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

const base = { id: 'chatcmpl-Bx1', object: 'chat.completion.chunk' as const, created: 1764300000, model: 'claude-sonnet-4-5', system_fingerprint: 'fp_portico' };

type Delta = ChatChunk['choices'][number]['delta'];

export function chunk(delta: Delta, finish: FinishReason = null): ChatChunk {
  const c: ChatChunk = { ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
  // reasoning_content is not in OpenAI's schema but no schema forbids extra fields
  assertOpenAI('CreateChatCompletionStreamResponse', c);
  return c;
}

export function usageChunk(u: Usage): ChatChunk {
  const c: ChatChunk = { ...base, choices: [], usage: u };
  assertOpenAI('CreateChatCompletionStreamResponse', c);
  return c;
}

export const usage: Usage = {
  prompt_tokens: 42,
  completion_tokens: 17,
  total_tokens: 59,
  prompt_tokens_details: { cached_tokens: 10, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 5, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

export function textChunks(parts: string[], finish: FinishReason = 'stop'): ChatChunk[] {
  return [
    chunk({ role: 'assistant', content: '', refusal: null }),
    ...parts.map((p) => chunk({ content: p })),
    chunk({}, finish),
    usageChunk(usage),
  ];
}

export function toolCallChunks(): ChatChunk[] {
  const tc = (d: ChatChunkToolCallDelta) => chunk({ tool_calls: [d] });
  return [
    chunk({ role: 'assistant', content: null, refusal: null }),
    tc({ index: 0, id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '' } }),
    tc({ index: 0, function: { arguments: '{"ci' } }),
    tc({ index: 0, function: { arguments: 'ty":"Paris"}' } }),
    tc({ index: 1, id: 'call_rome', type: 'function', function: { name: 'get_weather', arguments: '' } }),
    tc({ index: 1, function: { arguments: '{"city":' } }),
    tc({ index: 1, function: { arguments: '"Rome"}' } }),
    chunk({}, 'tool_calls'),
    usageChunk(usage),
  ];
}

export function reasoningThenTextChunks(): ChatChunk[] {
  return [
    chunk({ role: 'assistant', content: '' }),
    chunk({ reasoning_content: 'The user wants ' }),
    chunk({ reasoning_content: 'a greeting.' }),
    chunk({ content: 'Hi' }),
    chunk({ content: ' there!' }),
    chunk({}, 'stop'),
    usageChunk(usage),
  ];
}

export interface SseEvent { event: string; data: Record<string, unknown> }

/** Parses `event: X\ndata: {...}\n\n` frames; throws on anything else (wrong framing is a bug). */
export function parseSse(text: string): SseEvent[] {
  if (text === '') return [];
  if (!text.endsWith('\n\n')) throw new Error(`SSE text must end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((frame) => {
      const m = /^event: ([a-z_.]+)\ndata: (\{.*\})$/.exec(frame);
      if (!m) throw new Error(`malformed SSE frame: ${JSON.stringify(frame)}`);
      const data = JSON.parse(m[2]) as Record<string, unknown>;
      if (data.type !== m[1]) throw new Error(`event name ${m[1]} differs from data.type ${String(data.type)}`);
      return { event: m[1], data };
    });
}
