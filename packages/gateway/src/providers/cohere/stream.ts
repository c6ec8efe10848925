import type { ChatChunk, FramedEvent, StreamMapping, Usage } from '../types.js';
import { cohereError, cohereFinishReason, cohereUsage, type CohereUsage } from './response.js';

export interface CohereStreamState {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  sentRole: boolean;
  /** Cohere tool-call block index → OpenAI tool_calls index. */
  toolIndex: Map<number, number>;
  ended: boolean;
  usage?: Usage;
}

/** The parts of a v2 stream event this mapping reads. */
interface CohereStreamEvent {
  type?: string;
  id?: string;
  index?: number;
  delta?: {
    message?: {
      content?: { type?: string; text?: string; thinking?: string };
      tool_plan?: string;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } };
    };
    finish_reason?: string;
    usage?: CohereUsage;
    error?: string;
  };
}

type Delta = ChatChunk['choices'][number]['delta'];

export function createCohereStreamState(req: { model: string; includeUsage: boolean }): CohereStreamState {
  return { id: '', model: req.model, created: Math.floor(Date.now() / 1000), includeUsage: req.includeUsage, sentRole: false, toolIndex: new Map(), ended: false };
}

function chunk(s: CohereStreamState, delta: Delta, finish: ChatChunk['choices'][number]['finish_reason'] = null): ChatChunk {
  if (!s.sentRole) {
    delta = { role: 'assistant', ...delta };
    s.sentRole = true;
  }
  return { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** One v2 SSE event (`event: <type>` + `data: {...}`) → OpenAI chunks. */
export function fromCohereStreamEvent(s: CohereStreamState, ev: FramedEvent): ChatChunk[] {
  let e: CohereStreamEvent;
  try {
    e = JSON.parse(ev.data) as CohereStreamEvent;
  } catch {
    throw cohereError(`cohere stream sent an event that is not JSON: ${ev.data.slice(0, 200)}`);
  }
  const type = e.type ?? ev.event;
  const msg = e.delta?.message;
  switch (type) {
    case 'message-start':
      if (e.id) s.id = e.id;
      return [chunk(s, { content: '' })];
    case 'content-start':
    case 'content-delta': {
      const c = msg?.content;
      if (c?.thinking) return [chunk(s, { reasoning_content: c.thinking })];
      if (c?.text) return [chunk(s, { content: c.text })];
      return [];
    }
    case 'tool-plan-delta':
      // The tool plan is the assistant's text before its tool calls (see fromCohereChatResponse).
      return msg?.tool_plan ? [chunk(s, { content: msg.tool_plan })] : [];
    case 'tool-call-start': {
      const tc = msg?.tool_calls;
      const index = s.toolIndex.size;
      s.toolIndex.set(e.index ?? index, index);
      return [chunk(s, { tool_calls: [{ index, id: tc?.id ?? '', type: 'function', function: { name: tc?.function?.name ?? '', arguments: tc?.function?.arguments ?? '' } }] })];
    }
    case 'tool-call-delta': {
      const args = msg?.tool_calls?.function?.arguments;
      if (!args) return [];
      const index = s.toolIndex.get(e.index ?? -1) ?? Math.max(0, s.toolIndex.size - 1);
      return [chunk(s, { tool_calls: [{ index, function: { arguments: args } }] })];
    }
    case 'message-end': {
      const d = e.delta ?? {};
      if (d.error) throw cohereError(`cohere error mid-stream: ${d.error}`);
      const finish = cohereFinishReason(d.finish_reason);
      s.ended = true;
      s.usage = cohereUsage(d.usage);
      const fin = chunk(s, {}, finish);
      if (s.includeUsage) return [fin, { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [], usage: s.usage }];
      return [{ ...fin, usage: s.usage }]; // usage rides on the last chunk for the gateway's logs
    }
    // content-end, tool-call-end, citation-start/end, debug: nothing for an OpenAI client.
    default:
      return [];
  }
}

export function finishCohereStream(s: CohereStreamState): ChatChunk[] {
  if (!s.ended) throw cohereError('cohere stream ended before its message-end event; the response is incomplete. Retry the request.');
  return [];
}

export const cohereChatStream: StreamMapping<CohereStreamState, ChatChunk> = {
  framer: 'sse',
  createState: createCohereStreamState,
  fromEvent: fromCohereStreamEvent,
  finish: finishCohereStream,
};
