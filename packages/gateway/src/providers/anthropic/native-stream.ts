/**
 * Watches an Anthropic SSE stream that the gateway forwards unchanged (native /v1/messages), to
 * collect usage for the log and tell a clean finish from a cut stream. Never throws on bad input:
 * the bytes still go to the client as they came; problems are reported through error().
 */
import type { GatewayError } from '../../errors.js';
import type { FramedEvent, Usage } from '../types.js';
import { anthropicStreamError, badStreamEvent, truncatedStreamError } from './errors.js';
import { usageFromAnthropic } from './response.js';
import { mergeAnthropicUsage } from './stream.js';
import { isObject, type AnthropicUsage } from './wire.js';

export interface AnthropicNativeStreamObserver {
  observe(ev: FramedEvent): void;
  usage(): Usage | undefined;
  completed(): boolean;
  /** The error event received or a malformed event, so far. */
  error(): GatewayError | undefined;
  /** The truncation error for a stream that ended without message_stop. */
  incompleteError(): GatewayError;
  /** The text so far as an Anthropic message's content, when created with collectOutput. */
  output?(): { content: Array<{ type: 'text'; text: string }> };
}

export function createAnthropicNativeStreamObserver(collectOutput = false): AnthropicNativeStreamObserver {
  const usage: AnthropicUsage = {};
  let text = '';
  let started = false;
  let stopped = false;
  let lastEvent: string | undefined;
  let failure: GatewayError | undefined;
  return {
    observe(ev) {
      if (!ev.data) return;
      let data: unknown;
      try {
        data = JSON.parse(ev.data);
      } catch {
        failure ??= badStreamEvent(ev.event, 'data is not JSON');
        return;
      }
      if (!isObject(data)) return;
      const type = typeof data.type === 'string' ? data.type : ev.event;
      lastEvent = type;
      if (type === 'message_start') {
        started = true;
        if (isObject(data.message)) mergeAnthropicUsage(usage, data.message.usage);
      } else if (type === 'message_delta') mergeAnthropicUsage(usage, data.usage);
      else if (type === 'message_stop') stopped = true;
      else if (collectOutput && type === 'content_block_delta' && isObject(data.delta) && data.delta.type === 'text_delta' && typeof data.delta.text === 'string') text += data.delta.text;
      else if (type === 'error') failure ??= anthropicStreamError(data);
    },
    usage: () => (started ? usageFromAnthropic(usage) : undefined),
    completed: () => stopped && !failure,
    error: () => failure,
    incompleteError: () => failure ?? truncatedStreamError(lastEvent),
    output: collectOutput ? () => ({ content: [{ type: 'text', text }] }) : undefined,
  };
}
