import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { createResponsesStreamEncoder } from '../../../src/inbound/responses/index.js';
import type { ChatChunk } from '../../../src/providers/types.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { chunk, parseSse, reasoningThenTextChunks, textChunks, toolCallChunks, usageChunk, usage, type SseEvent } from './fixtures.js';

const opts = { model: 'claude-sonnet-4-5', instructions: 'Be brief.', tools: [], createdAt: 1764300000 };

/** Runs chunks through a fresh encoder; checks framing, schema and sequence numbers of every event. */
function run(chunks: ChatChunk[], finish: 'end' | GatewayError = 'end'): SseEvent[] {
  const enc = createResponsesStreamEncoder(opts);
  let text = '';
  for (const c of chunks) text += enc.encode(c);
  text += finish === 'end' ? enc.end() : enc.error(finish);
  const events = parseSse(text);
  events.forEach((e, i) => {
    assertOpenAI('ResponseStreamEvent', e.data);
    expect(e.data.sequence_number).toBe(i);
  });
  return events;
}

const types = (events: SseEvent[]) => events.map((e) => e.event);
const last = (events: SseEvent[]) => events[events.length - 1].data;

describe('createResponsesStreamEncoder', () => {
  it('streams text with the full item lifecycle and completes with usage', () => {
    const events = run(textChunks(['Hel', 'lo', ' world']));
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const created = events[0].data.response as Record<string, unknown>;
    expect(created).toMatchObject({ status: 'in_progress', output: [], created_at: 1764300000, instructions: 'Be brief.', model: 'claude-sonnet-4-5' });
    expect(events.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta)).toEqual(['Hel', 'lo', ' world']);
    expect(events[7].data.text).toBe('Hello world');
    const done = last(events).response as Record<string, unknown>;
    expect(done.id).toBe(created.id);
    expect(done.status).toBe('completed');
    expect(done.output).toEqual([
      { type: 'message', id: events[2].data.item && (events[2].data.item as { id: string }).id, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello world', annotations: [], logprobs: [] }] },
    ]);
    expect(done.usage).toEqual({ input_tokens: 42, input_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 }, output_tokens: 17, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 59 });
  });

  it('streams parallel tool calls with argument deltas', () => {
    const events = run(toolCallChunks());
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2].data).toMatchObject({ output_index: 0, item: { type: 'function_call', call_id: 'call_paris', name: 'get_weather', arguments: '', status: 'in_progress' } });
    expect(events[8].data).toMatchObject({ output_index: 0, name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(events[10].data).toMatchObject({ output_index: 1, arguments: '{"city":"Rome"}' });
    const out = (last(events).response as { output: Array<Record<string, unknown>> }).output;
    expect(out.map((o) => [o.call_id, o.arguments, o.status])).toEqual([
      ['call_paris', '{"city":"Paris"}', 'completed'],
      ['call_rome', '{"city":"Rome"}', 'completed'],
    ]);
  });

  it('streams reasoning text as a reasoning item before the message', () => {
    const events = run(reasoningThenTextChunks());
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[6].data.text).toBe('The user wants a greeting.');
    expect(events[9].data.output_index).toBe(1);
    const out = (last(events).response as { output: Array<Record<string, unknown>> }).output;
    expect(out[0]).toMatchObject({ type: 'reasoning', content: [{ type: 'reasoning_text', text: 'The user wants a greeting.' }], status: 'completed' });
    expect(out[1]).toMatchObject({ type: 'message', content: [{ text: 'Hi there!' }] });
  });

  it('text followed by a tool call closes the message first', () => {
    const events = run([
      chunk({ role: 'assistant', content: 'Let me check.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      usageChunk(usage),
    ]);
    expect(types(events).slice(2)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('keeps interleaved argument deltas of parallel calls on their own items', () => {
    const tc = (index: number, args: string, id?: string) =>
      chunk({ tool_calls: [id ? { index, id, type: 'function', function: { name: `f${index}`, arguments: args } } : { index, function: { arguments: args } }] });
    const events = run([tc(0, '', 'call_a'), tc(1, '', 'call_b'), tc(0, '{"x"'), tc(1, '{"y"'), tc(0, ':1}'), tc(1, ':2}'), chunk({}, 'tool_calls')]);
    const deltas = events.filter((e) => e.event === 'response.function_call_arguments.delta').map((e) => [e.data.output_index, e.data.delta]);
    expect(deltas).toEqual([[0, '{"x"'], [1, '{"y"'], [0, ':1}'], [1, ':2}']]);
    const out = (last(events).response as { output: Array<Record<string, unknown>> }).output;
    expect(out.map((o) => [o.call_id, o.name, o.arguments])).toEqual([['call_a', 'f0', '{"x":1}'], ['call_b', 'f1', '{"y":2}']]);
    expect((last(events).response as Record<string, unknown>).usage).toBeUndefined();
  });

  it('ends as response.incomplete on length and content_filter', () => {
    const events = run(textChunks(['Once upon'], 'length'));
    expect(last(events)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    expect(events.find((e) => e.event === 'response.output_item.done')?.data.item).toMatchObject({ status: 'incomplete' });
    const filtered = run(textChunks([], 'content_filter'));
    expect(last(filtered)).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'content_filter' }, output: [] } });
  });

  it('turns a mid-stream error into response.failed and an error event', () => {
    const err = new GatewayError({ status: 529, message: 'anthropic error: Overloaded', type: 'upstream_error', code: 'overloaded_error', provider: 'anthropic' });
    const events = run(textChunks(['partial']).slice(0, 2), err);
    expect(types(events).slice(-2)).toEqual(['response.failed', 'error']);
    const failed = events[events.length - 2].data.response as Record<string, unknown>;
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'server_error', message: 'anthropic error: Overloaded' } });
    expect((failed.output as Array<{ status: string }>)[0].status).toBe('incomplete');
    expect(last(events)).toMatchObject({ code: 'overloaded_error', message: 'anthropic error: Overloaded', param: null, error: { type: 'upstream_error', code: 'overloaded_error' } });
    const limited = run([], new GatewayError({ status: 429, message: 'slow down' }));
    expect(types(limited)).toEqual(['error']);
  });

  it('is strict about its lifecycle', () => {
    const enc = createResponsesStreamEncoder(opts);
    expect(enc.encode(chunk({ role: 'assistant', content: '' }))).toContain('event: response.created\n');
    // an empty delta adds nothing
    expect(enc.encode(chunk({ content: '' }))).toBe('');
    expect(enc.end()).toContain('event: response.completed\n');
    expect(enc.end()).toBe('');
    expect(enc.error(new GatewayError({ status: 500, message: 'x' }))).toBe('');
    expect(() => enc.encode(chunk({ content: 'late' }))).toThrow(/after the stream ended/);
    // an upstream that produced no chunks still yields a valid, empty response
    const empty = run([]);
    expect(types(empty)).toEqual(['response.created', 'response.in_progress', 'response.completed']);
  });
});
