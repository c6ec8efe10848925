/**
 * OpenAI chat chunks → Responses API server-sent events (`event: response.<kind>` + `data:` with a
 * monotonically increasing `sequence_number`). One encoder per stream.
 *
 * Item order follows the chunks: reasoning_content opens a reasoning item, content a message item,
 * each tool call index a function_call item. A reasoning or message item closes when something else
 * starts; function calls close at the end (providers may interleave parallel calls' argument deltas).
 */
import type { GatewayError } from '../../errors.js';
import type { ChatChunk, ChatChunkToolCallDelta, FinishReason, Usage } from '../../providers/types.js';
import { baseResponse, newId, responseErrorFor, statusFor, toResponsesUsage } from './response.js';
import type { FunctionCallItem, MessageItem, OutputItem, ReasoningItem, ResponsesEcho, ResponsesResponse } from './types.js';

export interface ResponsesStreamEncoderOptions extends ResponsesEcho {
  /** Response id; generated (resp_...) when absent. */
  id?: string;
  /** created_at in Unix seconds; now when absent. */
  createdAt?: number;
}

export interface ResponsesStreamEncoder {
  /** SSE text for one chat chunk (may be empty). Throws if called after end() or error(). */
  encode(chunk: ChatChunk): string;
  /** Closes open items and emits response.completed or response.incomplete. Idempotent. */
  end(): string;
  /** Emits response.failed (when the response had started) and an `error` event. Idempotent with end(). */
  error(err: GatewayError): string;
}

interface MessageState { kind: 'message'; index: number; item: MessageItem; text: number; refusal: number }
interface ReasoningState { kind: 'reasoning'; index: number; item: ReasoningItem }
interface CallState { kind: 'call'; index: number; item: FunctionCallItem; open: boolean }

export interface ResponsesStreamHooks {
  /** The final Response object, at a clean end (response.completed or response.incomplete). */
  onEnd?(response: ResponsesResponse): void;
}

export function createResponsesStreamEncoder(opts: ResponsesStreamEncoderOptions, hooks: ResponsesStreamHooks = {}): ResponsesStreamEncoder {
  let seq = 0;
  let started = false;
  let ended = false;
  let response: ResponsesResponse | undefined;
  const output: OutputItem[] = [];
  let current: MessageState | ReasoningState | undefined;
  const calls = new Map<number, CallState>();
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  let out = '';

  const emit = (type: string, payload: Record<string, unknown>): void => {
    out += `event: ${type}\ndata: ${JSON.stringify({ type, ...payload, sequence_number: seq++ })}\n\n`;
  };
  const take = (): string => {
    const s = out;
    out = '';
    return s;
  };

  function start(model: string | undefined): void {
    if (started) return;
    started = true;
    const createdAt = opts.createdAt ?? Math.floor(Date.now() / 1000);
    response = baseResponse(opts, opts.id ?? newId('resp'), createdAt, model || opts.model);
    emit('response.created', { response });
    emit('response.in_progress', { response });
  }

  function closeCurrent(status: 'completed' | 'incomplete' = 'completed'): void {
    const c = current;
    if (!c) return;
    current = undefined;
    const item_id = c.item.id;
    const output_index = c.index;
    if (c.kind === 'message') {
      c.item.content.forEach((part, content_index) => {
        if (part.type === 'output_text') {
          emit('response.output_text.done', { item_id, output_index, content_index, text: part.text, logprobs: [] });
        } else {
          emit('response.refusal.done', { item_id, output_index, content_index, refusal: part.refusal });
        }
        emit('response.content_part.done', { item_id, output_index, content_index, part });
      });
    } else {
      const part = c.item.content[0];
      emit('response.reasoning_text.done', { item_id, output_index, content_index: 0, text: part.text });
      emit('response.content_part.done', { item_id, output_index, content_index: 0, part });
    }
    c.item.status = status;
    emit('response.output_item.done', { output_index, item: c.item });
  }

  function addItem(item: OutputItem): number {
    output.push(item);
    const index = output.length - 1;
    // The added item is empty: its content arrives through part and delta events.
    const empty = item.type === 'function_call' ? item : { ...item, content: [] };
    emit('response.output_item.added', { output_index: index, item: empty });
    return index;
  }

  function reasoningDelta(delta: string): void {
    if (current?.kind !== 'reasoning') {
      closeCurrent();
      const item: ReasoningItem = { type: 'reasoning', id: newId('rs'), status: 'in_progress', summary: [], content: [{ type: 'reasoning_text', text: '' }] };
      const index = addItem(item);
      current = { kind: 'reasoning', index, item };
      emit('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part: { type: 'reasoning_text', text: '' } });
    }
    current.item.content[0].text += delta;
    emit('response.reasoning_text.delta', { item_id: current.item.id, output_index: current.index, content_index: 0, delta });
  }

  function messageState(): MessageState {
    if (current?.kind === 'message') return current;
    closeCurrent();
    const item: MessageItem = { type: 'message', id: newId('msg'), role: 'assistant', status: 'in_progress', content: [] };
    const index = addItem(item);
    const state: MessageState = { kind: 'message', index, item, text: -1, refusal: -1 };
    current = state;
    return state;
  }

  function textDelta(delta: string, kind: 'text' | 'refusal'): void {
    const m = messageState();
    let ci = kind === 'text' ? m.text : m.refusal;
    if (ci < 0) {
      const part = kind === 'text' ? { type: 'output_text' as const, text: '', annotations: [], logprobs: [] } : { type: 'refusal' as const, refusal: '' };
      m.item.content.push(part);
      ci = m.item.content.length - 1;
      if (kind === 'text') m.text = ci;
      else m.refusal = ci;
      emit('response.content_part.added', { item_id: m.item.id, output_index: m.index, content_index: ci, part });
    }
    const part = m.item.content[ci];
    if (part.type === 'output_text') {
      part.text += delta;
      emit('response.output_text.delta', { item_id: m.item.id, output_index: m.index, content_index: ci, delta, logprobs: [] });
    } else {
      part.refusal += delta;
      emit('response.refusal.delta', { item_id: m.item.id, output_index: m.index, content_index: ci, delta });
    }
  }

  function toolCallDelta(tc: ChatChunkToolCallDelta): void {
    const key = typeof tc.index === 'number' ? tc.index : calls.size;
    let c = calls.get(key);
    if (!c) {
      closeCurrent();
      const item: FunctionCallItem = {
        type: 'function_call',
        id: newId('fc'),
        call_id: tc.id || newId('call'),
        name: tc.function?.name ?? '',
        arguments: '',
        status: 'in_progress',
      };
      const index = addItem(item);
      c = { kind: 'call', index, item, open: true };
      calls.set(key, c);
    } else if (!c.item.name && tc.function?.name) {
      c.item.name = tc.function.name;
    }
    const delta = tc.function?.arguments;
    if (typeof delta === 'string' && delta !== '') {
      c.item.arguments += delta;
      emit('response.function_call_arguments.delta', { item_id: c.item.id, output_index: c.index, delta });
    }
  }

  function closeCalls(status: 'completed' | 'incomplete'): void {
    for (const c of [...calls.values()].sort((a, b) => a.index - b.index)) {
      if (!c.open) continue;
      c.open = false;
      c.item.status = status;
      emit('response.function_call_arguments.done', { item_id: c.item.id, output_index: c.index, name: c.item.name, arguments: c.item.arguments });
      emit('response.output_item.done', { output_index: c.index, item: c.item });
    }
  }

  return {
    encode(chunk) {
      if (ended) throw new Error('Responses stream encoder: encode() called after the stream ended');
      start(chunk.model);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
      if (choice) {
        const d = choice.delta ?? {};
        if (typeof d.reasoning_content === 'string' && d.reasoning_content !== '') reasoningDelta(d.reasoning_content);
        if (typeof d.content === 'string' && d.content !== '') textDelta(d.content, 'text');
        if (typeof d.refusal === 'string' && d.refusal !== '') textDelta(d.refusal, 'refusal');
        for (const tc of d.tool_calls ?? []) toolCallDelta(tc);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      return take();
    },

    end() {
      if (ended) return '';
      start(undefined);
      ended = true;
      const { status, incomplete_details } = statusFor(finish ?? 'stop');
      const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
      closeCurrent(itemStatus);
      closeCalls(itemStatus);
      const r = response as ResponsesResponse;
      r.status = status;
      r.incomplete_details = incomplete_details;
      r.completed_at = status === 'completed' ? Math.floor(Date.now() / 1000) : null;
      r.output = output;
      if (usage) r.usage = toResponsesUsage(usage);
      emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: r });
      hooks.onEnd?.(r);
      return take();
    },

    error(err) {
      if (ended) return '';
      ended = true;
      const body = { code: err.code ?? null, message: err.message, param: err.param ?? null };
      if (started) {
        const r = response as ResponsesResponse;
        r.status = 'failed';
        r.error = responseErrorFor(err);
        r.output = output.map((item) => (item.status === 'in_progress' ? { ...item, status: 'incomplete' } : item));
        if (usage) r.usage = toResponsesUsage(usage);
        emit('response.failed', { response: r });
      }
      // Flat fields per the published schema; the nested `error` is what the API actually sends and
      // what makes the official SDKs raise an APIError.
      emit('error', { ...body, error: { type: err.type, ...body } });
      return take();
    },
  };
}
