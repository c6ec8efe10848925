/** Anthropic SSE events → OpenAI chat chunks. Pure; state is per stream. */
import type { ChatChunk, FinishReason, FramedEvent, StreamMapping, Usage } from '../types.js';
import { anthropicStreamError, badStreamEvent, truncatedStreamError } from './errors.js';
import { finishReasonFromAnthropic, usageFromAnthropic } from './response.js';
import { isObject, type AnthropicUsage } from './wire.js';

type Delta = ChatChunk['choices'][number]['delta'];

export interface AnthropicStreamState {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  /** Anthropic content-block index → OpenAI tool_calls index, for tool_use blocks. */
  toolIndex: Map<number, number>;
  toolCount: number;
  usage: AnthropicUsage;
  finishReason: FinishReason;
  /** Text of each open thinking block, by content-block index: it goes out whole with the block's signature. */
  thinking: Map<number, string>;
  started: boolean;
  stopped: boolean;
  lastEvent?: string;
}

export function createAnthropicStreamState(req: { model: string; includeUsage: boolean }): AnthropicStreamState {
  return {
    id: 'msg_unknown',
    model: req.model,
    created: Math.floor(Date.now() / 1000),
    includeUsage: req.includeUsage,
    toolIndex: new Map(),
    toolCount: 0,
    usage: {},
    finishReason: null,
    thinking: new Map(),
    started: false,
    stopped: false,
  };
}

function chunk(s: AnthropicStreamState, delta: Delta, finish: FinishReason = null): ChatChunk {
  return { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

/** Anthropic's message_delta usage is cumulative: later non-null counts replace earlier ones. */
export function mergeAnthropicUsage(into: AnthropicUsage, u: unknown): void {
  if (!isObject(u)) return;
  for (const [k, v] of Object.entries(u)) if (v !== null && v !== undefined) into[k] = v;
}

export function parseEventData(ev: FramedEvent): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(ev.data);
  } catch {
    throw badStreamEvent(ev.event, `data is not JSON: ${ev.data.slice(0, 120)}`);
  }
  if (!isObject(data)) throw badStreamEvent(ev.event, 'data is not a JSON object');
  return data;
}

export function fromAnthropicStreamEvent(s: AnthropicStreamState, ev: FramedEvent): ChatChunk[] {
  if (ev.data === '' || ev.data === undefined) return [];
  const data = parseEventData(ev);
  const type = typeof data.type === 'string' ? data.type : ev.event;
  s.lastEvent = type;
  switch (type) {
    case 'message_start': {
      const m = isObject(data.message) ? data.message : {};
      if (typeof m.id === 'string') s.id = m.id;
      if (typeof m.model === 'string') s.model = m.model;
      mergeAnthropicUsage(s.usage, m.usage);
      s.started = true;
      return [chunk(s, { role: 'assistant', content: '' })];
    }
    case 'content_block_start': {
      const b = isObject(data.content_block) ? data.content_block : {};
      const index = Number(data.index);
      if (b.type === 'text' && typeof b.text === 'string' && b.text) return [chunk(s, { content: b.text })];
      if (b.type === 'thinking') {
        const text = typeof b.thinking === 'string' ? b.thinking : '';
        s.thinking.set(index, text);
        return text ? [chunk(s, { reasoning_content: text })] : [];
      }
      // Redacted thinking has no text to show, but must go back to Anthropic on the next turn.
      if (b.type === 'redacted_thinking' && typeof b.data === 'string') return [chunk(s, { thinking_blocks: [{ type: 'redacted_thinking', data: b.data }] })];
      if (b.type === 'tool_use') {
        const ti = s.toolCount++;
        s.toolIndex.set(index, ti);
        const args = isObject(b.input) && Object.keys(b.input).length > 0 ? JSON.stringify(b.input) : '';
        return [chunk(s, { tool_calls: [{ index: ti, id: String(b.id), type: 'function', function: { name: String(b.name), arguments: args } }] })];
      }
      return [];
    }
    case 'content_block_delta': {
      const d = isObject(data.delta) ? data.delta : {};
      if (d.type === 'text_delta' && typeof d.text === 'string') return d.text ? [chunk(s, { content: d.text })] : [];
      if (d.type === 'thinking_delta' && typeof d.thinking === 'string') {
        const index = Number(data.index);
        s.thinking.set(index, (s.thinking.get(index) ?? '') + d.thinking);
        return d.thinking ? [chunk(s, { reasoning_content: d.thinking })] : [];
      }
      if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') {
        const ti = s.toolIndex.get(Number(data.index));
        if (ti === undefined) throw badStreamEvent(type, `input_json_delta for block ${String(data.index)} that did not start as tool_use`);
        return d.partial_json ? [chunk(s, { tool_calls: [{ index: ti, function: { arguments: d.partial_json } }] })] : [];
      }
      if (d.type === 'signature_delta' && typeof d.signature === 'string') {
        // The signed block, whole, as in non-streamed responses: a client sends it back in thinking_blocks
        // on the next turn (Anthropic requires that with tools and extended thinking).
        const index = Number(data.index);
        const text = s.thinking.get(index) ?? '';
        s.thinking.delete(index);
        return [chunk(s, { thinking_blocks: [{ type: 'thinking', thinking: text, signature: d.signature }] })];
      }
      return [];
    }
    case 'message_delta': {
      mergeAnthropicUsage(s.usage, data.usage);
      const d = isObject(data.delta) ? data.delta : {};
      const fr = finishReasonFromAnthropic(d.stop_reason);
      if (fr === null) return [];
      s.finishReason = fr;
      return [chunk(s, {}, fr)];
    }
    case 'message_stop': {
      s.stopped = true;
      if (!s.includeUsage) return [];
      return [{ id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [], usage: usageFromAnthropic(s.usage) }];
    }
    case 'error':
      throw anthropicStreamError(data);
    default:
      // ping, content_block_stop and event types added later carry nothing for an OpenAI client.
      return [];
  }
}

export function finishAnthropicStream(s: AnthropicStreamState): ChatChunk[] {
  if (!s.stopped) throw truncatedStreamError(s.lastEvent);
  return [];
}

/** Usage seen so far on a translated stream (for the log document, whether or not the client asked). */
export function anthropicStreamUsage(s: AnthropicStreamState): Usage | undefined {
  return s.started ? usageFromAnthropic(s.usage) : undefined;
}

export const anthropicChatStream: StreamMapping<AnthropicStreamState, ChatChunk> = {
  framer: 'sse',
  createState: createAnthropicStreamState,
  fromEvent: fromAnthropicStreamEvent,
  finish: finishAnthropicStream,
};
