/** Per-stream state and chunk builders shared by the ConverseStream and InvokeModelWithResponseStream mappings. */
import { GatewayError } from '../../errors.js';
import type { ChatChunk, FinishReason, Usage } from '../types.js';
import { newChatId } from './converse-response.js';

export interface BedrockStreamState {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
  /** Which API the events came from; set by the first event. */
  api?: 'converse' | 'invoke';
  roleSent: boolean;
  /** Upstream content-block index → OpenAI tool_calls index. */
  toolIndexByBlock: Map<number, number>;
  nextToolIndex: number;
  finishReason: FinishReason;
  /** messageStop (Converse) or message_stop (Anthropic) arrived. */
  stopped: boolean;
  /** Converse metadata (the usage event) arrived. */
  metadataSeen: boolean;
  usage?: Usage;
  /** Anthropic usage fields gathered from message_start and message_delta. */
  anthropicUsage: Record<string, unknown>;
  /** Text of each open reasoning block, by content-block index: it goes out whole with the block's signature. */
  thinking: Map<number, string>;
  lastEvent?: string;
}

export function createBedrockStreamState(req: { model: string; includeUsage: boolean }): BedrockStreamState {
  return {
    id: newChatId(),
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    includeUsage: req.includeUsage,
    roleSent: false,
    toolIndexByBlock: new Map(),
    nextToolIndex: 0,
    finishReason: null,
    stopped: false,
    metadataSeen: false,
    anthropicUsage: {},
    thinking: new Map(),
  };
}

export function deltaChunk(s: BedrockStreamState, delta: ChatChunk['choices'][number]['delta'], finish: FinishReason = null): ChatChunk {
  if (!s.roleSent) {
    s.roleSent = true;
    delta = { role: 'assistant', ...delta };
  }
  return { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
}

/** The OpenAI final usage chunk (`choices: []`), sent when the client asked with stream_options.include_usage. */
export function usageChunk(s: BedrockStreamState, usage: Usage): ChatChunk {
  return { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [], usage };
}

export function toolIndex(s: BedrockStreamState, block: number): { index: number; isNew: boolean } {
  const known = s.toolIndexByBlock.get(block);
  if (known !== undefined) return { index: known, isNew: false };
  const index = s.nextToolIndex++;
  s.toolIndexByBlock.set(block, index);
  return { index, isNew: true };
}

export function truncated(what: string, s: BedrockStreamState): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'stream_truncated',
    provider: 'bedrock',
    message: `bedrock error: the stream ended before ${what}${s.lastEvent ? ` (last event: ${s.lastEvent})` : ''}; the answer is incomplete, retry the request`,
  });
}

export function badEvent(event: string, why: string): GatewayError {
  return new GatewayError({
    status: 502,
    type: 'upstream_error',
    code: 'invalid_stream_event',
    provider: 'bedrock',
    message: `bedrock error: stream event "${event}" ${why}; the upstream does not speak the Bedrock stream format`,
  });
}

/** Adds streamed reasoning text to its block; the text goes out as a reasoning_content delta. */
export function reasoningText(s: BedrockStreamState, block: number, text: string): ChatChunk[] {
  s.thinking.set(block, (s.thinking.get(block) ?? '') + text);
  return text === '' ? [] : [deltaChunk(s, { reasoning_content: text })];
}

/**
 * The block's signature arrived: the signed block goes out whole, as thinking_blocks in non-streamed
 * responses, for the client to send back on the next turn.
 */
export function signedReasoning(s: BedrockStreamState, block: number, signature: string): ChatChunk[] {
  const thinking = s.thinking.get(block) ?? '';
  s.thinking.delete(block);
  return [deltaChunk(s, { thinking_blocks: [{ type: 'thinking', thinking, signature }] })];
}

export function redactedReasoning(s: BedrockStreamState, data: string): ChatChunk[] {
  return [deltaChunk(s, { thinking_blocks: [{ type: 'redacted_thinking', data }] })];
}
