import type { ChatChunk, ChatChunkToolCallDelta, FramedEvent, StreamMapping, Usage } from '../types.js';
import { mistralError, mistralFinishReason, mistralUsage, splitMistralContent } from './response.js';

export interface MistralStreamState {
  model: string;
  includeUsage: boolean;
  done: boolean;
  usage?: Usage;
}

interface MistralChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  usage?: unknown;
  choices?: Array<{
    index?: number;
    delta?: { role?: string | null; content?: Parameters<typeof splitMistralContent>[0]; tool_calls?: Array<{ id?: string; index?: number; function?: { name?: string; arguments?: unknown } }> | null };
    finish_reason?: string | null;
  }>;
  message?: unknown;
  error?: unknown;
}

export function createMistralStreamState(req: { model: string; includeUsage: boolean }): MistralStreamState {
  return { model: req.model, includeUsage: req.includeUsage, done: false };
}

function errorText(e: MistralChunk): string {
  const m = e.message ?? (e.error && typeof e.error === 'object' ? (e.error as { message?: unknown }).message : e.error);
  return typeof m === 'string' ? m : JSON.stringify(m ?? e).slice(0, 300);
}

/** One `data:` frame of Mistral's OpenAI-style stream → OpenAI chunks; `[DONE]` ends it. */
export function fromMistralStreamEvent(s: MistralStreamState, ev: FramedEvent): ChatChunk[] {
  const data = ev.data.trim();
  if (data === '[DONE]') {
    s.done = true;
    return [];
  }
  let c: MistralChunk;
  try {
    c = JSON.parse(data) as MistralChunk;
  } catch {
    throw mistralError(`mistral stream sent an event that is not JSON: ${data.slice(0, 200)}`);
  }
  if (c.object === 'error' || c.error !== undefined || !Array.isArray(c.choices)) throw mistralError(`mistral error mid-stream: ${errorText(c)}`);
  const base = { id: c.id ?? '', object: 'chat.completion.chunk' as const, created: c.created ?? Math.floor(Date.now() / 1000), model: c.model ?? s.model };
  const choices = c.choices.map((ch, i): ChatChunk['choices'][number] => {
    const delta: ChatChunk['choices'][number]['delta'] = {};
    const d = ch.delta ?? {};
    if (d.role === 'assistant') delta.role = 'assistant';
    if (d.content !== undefined) {
      const { text, reasoning } = splitMistralContent(d.content);
      if (reasoning) delta.reasoning_content = reasoning;
      if (text !== null && (text !== '' || !reasoning)) delta.content = text;
    }
    if (d.tool_calls?.length) {
      delta.tool_calls = d.tool_calls.map((tc, j): ChatChunkToolCallDelta => {
        const out: ChatChunkToolCallDelta = { index: tc.index ?? j };
        if (tc.id && tc.id !== 'null') out.id = tc.id;
        if (tc.function?.name) {
          out.type = 'function';
          out.function = { name: tc.function.name };
        }
        const args = tc.function?.arguments;
        if (args !== undefined) out.function = { ...out.function, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
        return out;
      });
    }
    return { index: ch.index ?? i, delta, finish_reason: mistralFinishReason(ch.finish_reason) };
  });
  const usage = mistralUsage(c.usage);
  if (!usage) return [{ ...base, choices }];
  s.usage = usage;
  if (s.includeUsage) return [{ ...base, choices }, { ...base, choices: [], usage }];
  return [{ ...base, choices, usage }]; // usage rides on the last chunk for the gateway's logs
}

export function finishMistralStream(s: MistralStreamState): ChatChunk[] {
  if (!s.done) throw mistralError('mistral stream ended before its data: [DONE] line; the response is incomplete. Retry the request.');
  return [];
}

/** Chat and FIM share the chunk format (FIM chunks carry delta.content). */
export const mistralChatStream: StreamMapping<MistralStreamState, ChatChunk> = {
  framer: 'sse',
  createState: createMistralStreamState,
  fromEvent: fromMistralStreamEvent,
  finish: finishMistralStream,
};
