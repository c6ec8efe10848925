/** Anthropic SSE → OpenAI chunks, on recorded streams in Anthropic's published format. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import {
  anthropicChatStream,
  anthropicStreamUsage,
  createAnthropicNativeStreamObserver,
} from '../../../src/providers/anthropic/index.js';
import type { ChatChunk, FramedEvent } from '../../../src/providers/types.js';
import { assertAnthropicStreamEvent } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

const ev = (data: Record<string, unknown>): FramedEvent => ({ event: String(data.type), data: JSON.stringify(data) });

/** A recorded stream: thinking (with signature), text, then two tool_use blocks with input_json_delta. */
const recorded: FramedEvent[] = [
  ev({ type: 'message_start', message: { id: 'msg_014p7gG3wDgGV9EUtLvnow3U', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 10, cache_read_input_tokens: 300, output_tokens: 2 } } }),
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev({ type: 'ping' }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Need the weather ' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'for two cities.' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' } }),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Okay, let me ' } }),
  ev({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'check.' } }),
  ev({ type: 'content_block_stop', index: 1 }),
  ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {}, caller: { type: 'direct' } } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' } }),
  ev({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ncisco, CA"}' } }),
  ev({ type: 'content_block_stop', index: 2 }),
  ev({ type: 'content_block_start', index: 3, content_block: { type: 'tool_use', id: 'toolu_02', name: 'get_weather', input: {}, caller: { type: 'direct' } } }),
  ev({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{"location": "Rome"}' } }),
  ev({ type: 'content_block_stop', index: 3 }),
  ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
  ev({ type: 'message_stop' }),
];

function run(events: FramedEvent[], includeUsage = true): { chunks: ChatChunk[]; state: ReturnType<typeof anthropicChatStream.createState> } {
  const state = anthropicChatStream.createState({ model: 'requested-model', includeUsage });
  const chunks = events.flatMap((e) => anthropicChatStream.fromEvent(state, e));
  chunks.push(...anthropicChatStream.finish(state));
  return { chunks, state };
}

describe('anthropic stream mapping', () => {
  it('the recorded events are valid RawMessageStreamEvents', () => {
    for (const e of recorded) assertAnthropicStreamEvent(JSON.parse(e.data));
  });

  it('maps every event to schema-valid OpenAI chunks: role, reasoning, text, tool-call deltas, finish, usage', () => {
    expect(anthropicChatStream.framer).toBe('sse');
    const { chunks, state } = run(recorded);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.every((c) => c.id === 'msg_014p7gG3wDgGV9EUtLvnow3U' && c.model === 'claude-sonnet-4-6')).toBe(true);
    const deltas = chunks.flatMap((c) => c.choices.map((x) => x.delta));
    expect(deltas.map((d) => d.reasoning_content ?? '').join('')).toBe('Need the weather for two cities.');
    expect(deltas.map((d) => d.content ?? '').join('')).toBe('Okay, let me check.');
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } });
    const args = (i: number) => calls.filter((c) => c.index === i).map((c) => c.function?.arguments ?? '').join('');
    expect(JSON.parse(args(0))).toEqual({ location: 'San Francisco, CA' });
    expect(JSON.parse(args(1))).toEqual({ location: 'Rome' });
    expect(calls.find((c) => c.index === 1)?.id).toBe('toolu_02');
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0].finish_reason)).toEqual(['tool_calls']);
    const last = chunks[chunks.length - 1];
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 782, completion_tokens: 89, total_tokens: 871, prompt_tokens_details: { cached_tokens: 300 }, cache_creation_input_tokens: 10 });
    // The signed thinking block goes out whole once, for the client to send back on the next turn.
    expect(deltas.flatMap((d) => (d.thinking_blocks as unknown[] | undefined) ?? [])).toEqual([
      { type: 'thinking', thinking: 'Need the weather for two cities.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
    ]);
    expect(anthropicStreamUsage(state)?.completion_tokens).toBe(89);
  });

  it('passes redacted thinking on as a thinking block, with no text to show', () => {
    const redacted = [
      recorded[0],
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ...recorded.slice(-2),
    ];
    const { chunks } = run(redacted, false);
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const blocks = chunks.flatMap((c) => c.choices.flatMap((x) => (x.delta.thinking_blocks as unknown[] | undefined) ?? []));
    expect(blocks).toEqual([{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj' }]);
    expect(chunks.some((c) => c.choices.some((x) => x.delta.reasoning_content))).toBe(false);
  });

  it('omits the usage chunk when the client did not ask, but still tracks usage', () => {
    const { chunks, state } = run(recorded, false);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(anthropicStreamUsage(state)?.total_tokens).toBe(871);
  });

  it('maps max_tokens to length and refusal to content_filter', () => {
    const base = recorded.slice(0, 1);
    const stop = (r: string) => run([...base, ev({ type: 'message_delta', delta: { stop_reason: r, stop_sequence: null }, usage: { output_tokens: 1 } }), ev({ type: 'message_stop' })]).chunks;
    expect(stop('max_tokens').find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('length');
    expect(stop('refusal').find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe('content_filter');
  });

  it('throws a 529 GatewayError for an overloaded_error event mid-stream', () => {
    const state = anthropicChatStream.createState({ model: 'm', includeUsage: false });
    anthropicChatStream.fromEvent(state, recorded[0]);
    const err = (() => { try { anthropicChatStream.fromEvent(state, ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(529);
    expect((err as GatewayError).message).toContain('Overloaded');
    expect((err as GatewayError).type).toBe('overloaded_error');
  });

  it('finish() throws when the stream ended before message_stop', () => {
    const state = anthropicChatStream.createState({ model: 'm', includeUsage: true });
    for (const e of recorded.slice(0, 9)) anthropicChatStream.fromEvent(state, e);
    expect(() => anthropicChatStream.finish(state)).toThrow(/ended before message_stop \(last event: content_block_delta\)/);
  });

  it('rejects non-JSON data and deltas for unknown tool blocks; ignores unknown event types', () => {
    const state = anthropicChatStream.createState({ model: 'm', includeUsage: true });
    expect(() => anthropicChatStream.fromEvent(state, { event: 'message_start', data: '{oops' })).toThrow(/not JSON/);
    expect(() => anthropicChatStream.fromEvent(state, ev({ type: 'content_block_delta', index: 7, delta: { type: 'input_json_delta', partial_json: '{}' } }))).toThrow(/did not start as tool_use/);
    expect(anthropicChatStream.fromEvent(state, ev({ type: 'some_future_event' }))).toEqual([]);
  });
});

describe('createAnthropicNativeStreamObserver', () => {
  it('collects cumulative usage and sees message_stop', () => {
    const o = createAnthropicNativeStreamObserver();
    expect(o.usage()).toBeUndefined();
    for (const e of recorded) o.observe(e);
    expect(o.completed()).toBe(true);
    expect(o.error()).toBeUndefined();
    expect(o.usage()).toMatchObject({ prompt_tokens: 782, completion_tokens: 89, total_tokens: 871 });
  });

  it('keeps the text output only when asked to (output guardrails), as an Anthropic message content', () => {
    const plain = createAnthropicNativeStreamObserver();
    const collecting = createAnthropicNativeStreamObserver(true);
    for (const e of recorded) {
      plain.observe(e);
      collecting.observe(e);
    }
    expect(plain.output).toBeUndefined();
    expect(collecting.output!()).toEqual({ content: [{ type: 'text', text: 'Okay, let me check.' }] });
  });

  it('reports truncation and error events without throwing', () => {
    const cut = createAnthropicNativeStreamObserver();
    for (const e of recorded.slice(0, 5)) cut.observe(e);
    expect(cut.completed()).toBe(false);
    expect(cut.error()).toBeUndefined();
    expect(cut.incompleteError().message).toMatch(/ended before message_stop/);
    expect(cut.usage()?.prompt_tokens).toBe(782);

    const failed = createAnthropicNativeStreamObserver();
    failed.observe(recorded[0]);
    failed.observe(ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    expect(failed.completed()).toBe(false);
    expect(failed.error()?.status).toBe(529);
    failed.observe({ event: 'x', data: 'not json' });
    expect(failed.error()?.status).toBe(529);
  });
});
