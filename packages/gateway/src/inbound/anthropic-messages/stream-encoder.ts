/**
 * OpenAI chat chunks → Anthropic Messages SSE text (`event: X\ndata: {...}\n\n`), for /v1/messages
 * served by any provider. Anthropic streams one content block at a time, so a block is closed before
 * the next opens; message_delta waits for the final usage chunk and goes out from end().
 */
import type { GatewayError } from '../../errors.js';
import type { ChatChunk, FinishReason, JsonObject, Usage } from '../../providers/types.js';
import { toAnthropicErrorBody } from './errors.js';
import { anthropicMessageId, anthropicUsageFromOpenAI, stopReasonFromFinish } from './response.js';

export interface AnthropicStreamEncoder {
  encode(chunk: ChatChunk): string;
  /** Closes the open block and sends message_delta (stop reason, usage) and message_stop. */
  end(): string;
  /** An Anthropic `error` event, for a failure after the stream started. No message_stop follows. */
  error(err: GatewayError): string;
}

type BlockKind = 'text' | 'thinking' | 'tool_use';

export function sse(event: string, data: JsonObject): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createAnthropicStreamEncoder(opts: { model: string; messageId?: string }): AnthropicStreamEncoder {
  let started = false;
  let finished = false;
  let nextIndex = 0;
  let open: { kind: BlockKind; index: number } | undefined;
  /** OpenAI tool_calls index → Anthropic block index. */
  const toolBlocks = new Map<number, number>();
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  let id = opts.messageId;
  let model = opts.model;

  const start = (c?: ChatChunk): string => {
    if (started) return '';
    started = true;
    id ??= anthropicMessageId(c?.id);
    if (c?.model) model = c.model;
    const message = {
      id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
      // Input tokens are known only from the final usage chunk; message_delta carries them.
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: null, cache_read_input_tokens: null },
    };
    return sse('message_start', { type: 'message_start', message }) + sse('ping', { type: 'ping' });
  };
  const close = (): string => {
    if (!open) return '';
    const s = sse('content_block_stop', { type: 'content_block_stop', index: open.index });
    open = undefined;
    return s;
  };
  const openBlock = (kind: BlockKind, block: JsonObject): string => {
    const s = close();
    open = { kind, index: nextIndex++ };
    return s + sse('content_block_start', { type: 'content_block_start', index: open.index, content_block: block });
  };
  const delta = (index: number, d: JsonObject): string => sse('content_block_delta', { type: 'content_block_delta', index, delta: d });

  return {
    encode(c) {
      if (finished) return '';
      let out = start(c);
      if (c.usage) usage = c.usage;
      const choice = c.choices.find((x) => x.index === 0);
      if (!choice) return out;
      const d = choice.delta ?? {};
      if (typeof d.reasoning_content === 'string' && d.reasoning_content) {
        if (open?.kind !== 'thinking') out += openBlock('thinking', { type: 'thinking', thinking: '', signature: '' });
        out += delta(open!.index, { type: 'thinking_delta', thinking: d.reasoning_content });
      }
      // A refusal is shown as text, as toAnthropicMessage does; stop_reason says refusal.
      for (const text of [d.content, d.refusal]) {
        if (typeof text !== 'string' || !text) continue;
        if (open?.kind !== 'text') out += openBlock('text', { type: 'text', text: '' });
        out += delta(open!.index, { type: 'text_delta', text });
      }
      for (const tc of d.tool_calls ?? []) {
        let index = toolBlocks.get(tc.index);
        if (index === undefined) {
          const name = tc.function?.name ?? '';
          out += openBlock('tool_use', { type: 'tool_use', id: tc.id ?? `toolu_${id}_${tc.index}`, name, input: {}, caller: { type: 'direct' } });
          index = open!.index;
          toolBlocks.set(tc.index, index);
        }
        // Interleaved tool calls: a delta for an earlier block keeps that block's index.
        const args = tc.function?.arguments;
        if (args) out += delta(index, { type: 'input_json_delta', partial_json: args });
      }
      if (choice.finish_reason) {
        finish = choice.finish_reason;
        out += close();
      }
      return out;
    },
    end() {
      if (finished) return '';
      finished = true;
      const stop = { stop_reason: stopReasonFromFinish(finish ?? undefined), stop_sequence: null };
      return (
        start() +
        close() +
        sse('message_delta', { type: 'message_delta', delta: stop, usage: anthropicUsageFromOpenAI(usage) }) +
        sse('message_stop', { type: 'message_stop' })
      );
    },
    error(err) {
      if (finished) return '';
      finished = true;
      return sse('error', toAnthropicErrorBody(err) as unknown as JsonObject);
    },
  };
}
