/**
 * The one StreamMapping for Bedrock chat. ConverseStream and InvokeModelWithResponseStream share the
 * event-stream framing; the first event tells which API is talking (`chunk` events are InvokeModel's).
 * Exceptions (`:message-type` exception / error) throw a GatewayError wherever they arrive. Pure.
 */
import type { ChatChunk, FramedEvent, StreamMapping } from '../types.js';
import { finishConverseStream, fromConverseStreamEvent } from './converse-stream.js';
import { bedrockStreamException } from './errors.js';
import { finishInvokeStream, fromInvokeStreamEvent } from './invoke-stream.js';
import { createBedrockStreamState, type BedrockStreamState } from './stream-state.js';
import { truncated } from './stream-state.js';

export function fromBedrockStreamEvent(s: BedrockStreamState, ev: FramedEvent): ChatChunk[] {
  const err = bedrockStreamException(ev);
  if (err) throw err;
  const type = ev.headers?.[':event-type'] ?? ev.event ?? '';
  if (s.api === undefined) s.api = type === 'chunk' ? 'invoke' : 'converse';
  return s.api === 'invoke' ? fromInvokeStreamEvent(s, ev) : fromConverseStreamEvent(s, ev);
}

export function finishBedrockStream(s: BedrockStreamState): ChatChunk[] {
  if (s.api === undefined) throw truncated('its first event', s);
  return s.api === 'invoke' ? finishInvokeStream(s) : finishConverseStream(s);
}

export const bedrockChatStream: StreamMapping<BedrockStreamState, ChatChunk> = {
  framer: 'eventstream',
  createState: createBedrockStreamState,
  fromEvent: fromBedrockStreamEvent,
  finish: finishBedrockStream,
};
