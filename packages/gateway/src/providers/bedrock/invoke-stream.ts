/**
 * InvokeModelWithResponseStream for Anthropic models → OpenAI chunks. Each event-stream `chunk` event
 * carries `{"bytes":"<base64>"}`, and the bytes are one Anthropic stream event (message_start ...
 * message_stop). Pure.
 */
import { upstreamError, tryParseJson } from '../upstream-error.js';
import { finishReasonFromAnthropic, usageFromAnthropic } from '../anthropic/response.js';
import type { ChatChunk, FramedEvent } from '../types.js';
import { badEvent, deltaChunk, reasoningText, redactedReasoning, signedReasoning, toolIndex, truncated, usageChunk, type BedrockStreamState } from './stream-state.js';
import { isObject } from './wire.js';

/** Status of Anthropic error types that can arrive inside the stream. */
const ANTHROPIC_STREAM_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/** Decodes the Anthropic event inside a `chunk` payload. */
export function decodeInvokeChunk(data: string): Record<string, unknown> {
  const p = tryParseJson(data);
  if (!isObject(p) || typeof p.bytes !== 'string') throw badEvent('chunk', 'has no base64 "bytes" member');
  const inner = tryParseJson(Buffer.from(p.bytes, 'base64').toString('utf8'));
  if (!isObject(inner) || typeof inner.type !== 'string') throw badEvent('chunk', 'bytes do not hold an Anthropic stream event');
  return inner;
}

export function fromInvokeStreamEvent(s: BedrockStreamState, ev: FramedEvent): ChatChunk[] {
  const eventType = ev.headers?.[':event-type'] ?? ev.event ?? '';
  if (eventType !== 'chunk') return [];
  const e = decodeInvokeChunk(ev.data);
  const type = String(e.type);
  s.lastEvent = `chunk/${type}`;
  switch (type) {
    case 'message_start': {
      const msg = isObject(e.message) ? e.message : {};
      if (isObject(msg.usage)) Object.assign(s.anthropicUsage, msg.usage);
      return [deltaChunk(s, { content: '' })];
    }
    case 'content_block_start': {
      const b = isObject(e.content_block) ? e.content_block : {};
      const block = Number(e.index ?? 0);
      if (b.type === 'tool_use') {
        const { index } = toolIndex(s, block);
        return [deltaChunk(s, { tool_calls: [{ index, id: String(b.id), type: 'function', function: { name: String(b.name), arguments: '' } }] })];
      }
      if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') return [deltaChunk(s, { content: b.text })];
      if (b.type === 'thinking') return reasoningText(s, block, typeof b.thinking === 'string' ? b.thinking : '');
      if (b.type === 'redacted_thinking' && typeof b.data === 'string') return redactedReasoning(s, b.data);
      return [];
    }
    case 'content_block_delta': {
      const d = isObject(e.delta) ? e.delta : {};
      if (d.type === 'text_delta' && typeof d.text === 'string') return d.text === '' ? [] : [deltaChunk(s, { content: d.text })];
      if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') {
        const block = Number(e.index ?? 0);
        const known = s.toolIndexByBlock.get(block);
        if (known === undefined) throw badEvent('content_block_delta', `carries tool input for block ${block}, which no content_block_start opened`);
        return d.partial_json === '' ? [] : [deltaChunk(s, { tool_calls: [{ index: known, function: { arguments: d.partial_json } }] })];
      }
      if (d.type === 'thinking_delta' && typeof d.thinking === 'string') return reasoningText(s, Number(e.index ?? 0), d.thinking);
      if (d.type === 'signature_delta' && typeof d.signature === 'string') return signedReasoning(s, Number(e.index ?? 0), d.signature);
      return []; // citations_delta
    }
    case 'content_block_stop':
    case 'ping':
      return [];
    case 'message_delta': {
      if (isObject(e.usage)) for (const [k, v] of Object.entries(e.usage)) if (v !== null && v !== undefined) s.anthropicUsage[k] = v;
      const delta = isObject(e.delta) ? e.delta : {};
      if (delta.stop_reason === undefined || delta.stop_reason === null) return [];
      s.finishReason = finishReasonFromAnthropic(delta.stop_reason) ?? 'stop';
      return [deltaChunk(s, {}, s.finishReason)];
    }
    case 'message_stop': {
      s.stopped = true;
      // Bedrock appends its own token counts; they back-fill usage if the Anthropic events lacked it.
      const m = e['amazon-bedrock-invocationMetrics'];
      if (isObject(m)) {
        if (s.anthropicUsage.input_tokens === undefined && typeof m.inputTokenCount === 'number') s.anthropicUsage.input_tokens = m.inputTokenCount;
        if (s.anthropicUsage.output_tokens === undefined && typeof m.outputTokenCount === 'number') s.anthropicUsage.output_tokens = m.outputTokenCount;
      }
      s.usage = usageFromAnthropic(s.anthropicUsage);
      const out: ChatChunk[] = [];
      if (s.finishReason === null) {
        s.finishReason = 'stop';
        out.push(deltaChunk(s, {}, 'stop'));
      }
      if (s.includeUsage) out.push(usageChunk(s, s.usage));
      return out;
    }
    case 'error': {
      const err = isObject(e.error) ? e.error : {};
      const et = typeof err.type === 'string' ? err.type : 'api_error';
      const msg = typeof err.message === 'string' ? err.message : 'no message';
      throw upstreamError('bedrock', ANTHROPIC_STREAM_STATUS[et] ?? 502, `${et} during the stream: ${msg}`, { code: et });
    }
    default:
      return [];
  }
}

export function finishInvokeStream(s: BedrockStreamState): ChatChunk[] {
  if (!s.stopped) throw truncated('message_stop', s);
  return [];
}
