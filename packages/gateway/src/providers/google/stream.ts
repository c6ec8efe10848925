/**
 * streamGenerateContent?alt=sse → OpenAI chunks. Every frame is a partial GenerateContentResponse:
 * text deltas, complete functionCall parts, a finishReason on the last candidate frame, and
 * usageMetadata (cumulative; the last one is final). No [DONE]: the finishReason is the terminal marker.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { ChatChunk, FramedEvent, FinishReason, StreamMapping, Usage } from '../types.js';
import { googleRpcToGatewayError, parseGoogleRpcError } from './errors.js';
import { fromGeminiFinishReason, fromGeminiUsage, mapGeminiParts } from './response.js';
import type { GeminiResponse } from './types.js';

export interface GeminiStreamState {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
  provider: string;
  /** Choice indexes that have sent their role, tool-call counts per choice, finished choices. */
  started: Set<number>;
  toolCalls: Map<number, number>;
  finished: Map<number, FinishReason>;
  usage?: Usage;
}

export function createGeminiStreamState(req: { model: string; includeUsage: boolean }, provider = 'google'): GeminiStreamState {
  return {
    id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: req.model, includeUsage: req.includeUsage, provider,
    started: new Set(), toolCalls: new Map(), finished: new Map(),
  };
}

export function fromGeminiStreamEvent(state: GeminiStreamState, event: FramedEvent): ChatChunk[] {
  const data = event.data.trim();
  if (!data) return [];
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    throw new GatewayError({ status: 502, provider: state.provider, type: 'upstream_error', message: `${state.provider} error: the stream sent a frame that is not JSON; the upstream response is corrupt. Retry the request.` });
  }
  const err = parseGoogleRpcError(frame);
  if (err) throw googleRpcToGatewayError(state.provider, 500, err);
  const res = frame as GeminiResponse;
  const usage = fromGeminiUsage(res.usageMetadata);
  if (usage) state.usage = usage;
  const out: ChatChunk[] = [];

  if (!res.candidates?.length) {
    if (res.promptFeedback?.blockReason && !state.finished.has(0)) {
      state.finished.set(0, 'content_filter');
      out.push(chunk(state, 0, { role: 'assistant', content: '' }, 'content_filter'));
    }
    return out;
  }
  res.candidates.forEach((c, i) => {
    const index = c.index ?? i;
    const parts = mapGeminiParts(c.content?.parts);
    const delta: ChatChunk['choices'][number]['delta'] = {};
    if (!state.started.has(index)) {
      state.started.add(index);
      delta.role = 'assistant';
    }
    if (parts.content !== null) delta.content = parts.content;
    if (parts.reasoning !== null) delta.reasoning_content = parts.reasoning;
    if (parts.toolCalls.length) {
      let n = state.toolCalls.get(index) ?? 0;
      // Gemini sends each call whole, so one delta carries id, name and all arguments.
      delta.tool_calls = parts.toolCalls.map((tc) => ({ ...tc, index: n++ }));
      state.toolCalls.set(index, n);
    }
    let finish: FinishReason = null;
    if (c.finishReason) {
      finish = fromGeminiFinishReason(c.finishReason, (state.toolCalls.get(index) ?? 0) > 0);
      if (finish) state.finished.set(index, finish);
    }
    const hasDelta = Object.keys(delta).length > 0;
    if (hasDelta || finish) out.push(chunk(state, index, delta, finish));
  });
  return out;
}

export function finishGeminiStream(state: GeminiStreamState): ChatChunk[] {
  if (state.finished.size === 0) {
    throw new GatewayError({
      status: 502, provider: state.provider, type: 'upstream_error',
      message: `${state.provider} error: the stream ended before any candidate carried a finishReason, so the answer is truncated. Retry the request.`,
    });
  }
  if (!state.includeUsage) return [];
  return [{
    id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [],
    usage: state.usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  }];
}

/** Usage seen so far (the latest usageMetadata), for the log document whether or not the client asked. */
export function geminiStreamUsage(state: GeminiStreamState): Usage | undefined {
  return state.usage;
}

function chunk(state: GeminiStreamState, index: number, delta: ChatChunk['choices'][number]['delta'], finish: FinishReason): ChatChunk {
  return { id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [{ index, delta, finish_reason: finish, logprobs: null }] };
}

/** The StreamMapping for a provider id ('google', 'vertex-ai'), so errors name the right provider. */
export function geminiStreamMapping(provider = 'google'): StreamMapping<GeminiStreamState> {
  return {
    framer: 'sse',
    createState: (req) => createGeminiStreamState(req, provider),
    fromEvent: fromGeminiStreamEvent,
    finish: finishGeminiStream,
  };
}
