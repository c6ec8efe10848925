/** OpenAI chunks → Anthropic SSE: every event schema-valid, and the official SDK rebuilds the message. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { createAnthropicStreamEncoder } from '../../../src/inbound/anthropic-messages/index.js';
import { anthropicChatStream } from '../../../src/providers/anthropic/index.js';
import type { ChatChunk } from '../../../src/providers/types.js';
import { assertAnthropicStreamEvent, parseAnthropicSse } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

const base = { id: 'chatcmpl-123', object: 'chat.completion.chunk' as const, created: 1694268190, model: 'gpt-4o-mini', system_fingerprint: 'fp_44709d6fcb' };
const c = (delta: ChatChunk['choices'][number]['delta'], finish: ChatChunk['choices'][number]['finish_reason'] = null): ChatChunk => ({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const usage = (p: number, o: number, cached = 0): ChatChunk => ({ ...base, choices: [], usage: { prompt_tokens: p, completion_tokens: o, total_tokens: p + o, prompt_tokens_details: { cached_tokens: cached } } });

/** Recorded OpenAI streams (published chunk format). */
const textStream: ChatChunk[] = [c({ role: 'assistant', content: '', refusal: null }), c({ content: 'Hello' }), c({ content: ' there!' }), c({}, 'stop'), usage(20, 3, 8)];
const toolStream: ChatChunk[] = [
  c({ role: 'assistant', content: null }),
  c({ tool_calls: [{ index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  c({ tool_calls: [{ index: 0, function: { arguments: '{"lo' } }] }),
  c({ tool_calls: [{ index: 0, function: { arguments: 'cation":"Paris"}' } }] }),
  c({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  c({ tool_calls: [{ index: 1, function: { arguments: '{"location":"Rome"}' } }] }),
  c({}, 'tool_calls'),
  usage(50, 30),
];
const reasoningStream: ChatChunk[] = [c({ role: 'assistant', content: '' }), c({ reasoning_content: 'Let me think' }), c({ reasoning_content: ' hard.' }), c({ content: 'Answer: 4' }), c({}, 'length'), usage(5, 9)];

function encodeAll(chunks: ChatChunk[], messageId?: string): string {
  const enc = createAnthropicStreamEncoder({ model: 'gpt-4o-mini', messageId });
  return chunks.map((x) => enc.encode(x)).join('') + enc.end();
}

let server: http.Server;
let sseBody = '';
let client: Anthropic;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(sseBody);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new Anthropic({ apiKey: 'k', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function sdkFinal(body: string) {
  sseBody = body;
  return client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
}

describe('createAnthropicStreamEncoder', () => {
  it('the recorded chunks are valid OpenAI stream chunks', () => {
    for (const x of [...textStream, ...toolStream, ...reasoningStream]) assertOpenAI('CreateChatCompletionStreamResponse', x);
  });

  it('encodes a text stream as the exact Anthropic event sequence', async () => {
    const out = encodeAll(textStream, 'msg_fixed');
    const events = parseAnthropicSse(out);
    for (const e of events) assertAnthropicStreamEvent(e.data);
    expect(out.startsWith('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_fixed"')).toBe(true);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(events[6].data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 12, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 8 } });
    const final = await sdkFinal(out);
    expect(final).toMatchObject({ id: 'msg_fixed', model: 'gpt-4o-mini', content: [{ type: 'text', text: 'Hello there!' }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 8 } });
  });

  it('encodes parallel tool calls as separate tool_use blocks that the SDK parses', async () => {
    const out = encodeAll(toolStream);
    const events = parseAnthropicSse(out);
    for (const e of events) assertAnthropicStreamEvent(e.data);
    const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data.index);
    expect(starts).toEqual([0, 1]);
    const final = await sdkFinal(out);
    expect(final.id).toBe('msg_123');
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', input: { location: 'Paris' }, caller: { type: 'direct' } },
      { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { location: 'Rome' }, caller: { type: 'direct' } },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 50, output_tokens: 30 });
  });

  it('encodes reasoning as a thinking block before the text, and length as max_tokens', async () => {
    const out = encodeAll(reasoningStream);
    for (const e of parseAnthropicSse(out)) assertAnthropicStreamEvent(e.data);
    const final = await sdkFinal(out);
    expect(final.content).toEqual([{ type: 'thinking', thinking: 'Let me think hard.', signature: '' }, { type: 'text', text: 'Answer: 4' }]);
    expect(final.stop_reason).toBe('max_tokens');
  });

  it('streams a refusal as text with stop_reason refusal', async () => {
    const final = await sdkFinal(encodeAll([c({ role: 'assistant', refusal: "I can't help with that." }), c({}, 'content_filter'), usage(3, 4)]));
    expect(final).toMatchObject({ content: [{ type: 'text', text: "I can't help with that." }], stop_reason: 'refusal' });
  });

  it('still produces a complete message for an empty upstream stream', () => {
    const enc = createAnthropicStreamEncoder({ model: 'm' });
    const events = parseAnthropicSse(enc.end());
    expect(events.map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
    for (const e of events) assertAnthropicStreamEvent(e.data);
    expect(enc.end()).toBe('');
  });

  it('ends a failed stream with an Anthropic error event (never message_stop) that the SDK raises', async () => {
    const enc = createAnthropicStreamEncoder({ model: 'm' });
    let out = enc.encode(textStream[0]) + enc.encode(textStream[1]);
    out += enc.error(new GatewayError({ status: 529, message: 'anthropic error: Overloaded', type: 'overloaded_error', code: 'overloaded_error' }));
    expect(enc.end()).toBe('');
    expect(enc.encode(textStream[2])).toBe('');
    const events = parseAnthropicSse(out);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta', 'error']);
    assertAnthropicStreamEvent(events[4].data);
    expect(events[4].data).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'anthropic error: Overloaded' } });
    await expect(sdkFinal(out)).rejects.toThrow(/Overloaded/);
  });

  it('re-encodes a translated Anthropic stream losslessly (anthropic → OpenAI chunks → Anthropic SSE)', async () => {
    const upstream = [
      { type: 'message_start', message: { id: 'msg_rt', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 7 } },
      { type: 'message_stop' },
    ];
    const state = anthropicChatStream.createState({ model: 'm', includeUsage: true });
    const chunks = upstream.flatMap((d) => anthropicChatStream.fromEvent(state, { event: d.type, data: JSON.stringify(d) }));
    const final = await sdkFinal(encodeAll(chunks));
    expect(final).toMatchObject({ id: 'msg_rt', model: 'claude-sonnet-4-6', stop_reason: 'tool_use', usage: { input_tokens: 10, output_tokens: 7 } });
    expect(final.content).toEqual([{ type: 'text', text: 'Hi' }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 }, caller: { type: 'direct' } }]);
  });
});
