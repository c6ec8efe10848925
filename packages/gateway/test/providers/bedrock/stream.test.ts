import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { bedrockChatStream } from '../../../src/providers/bedrock/index.js';
import type { ChatChunk, FramedEvent } from '../../../src/providers/types.js';
import { createAwsEventStreamFramer } from '../../../src/streaming/framers/aws-eventstream.js';
import { assertAnthropicStreamEvent } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { validateBedrock, validateConverseStreamEvent } from './bedrock-schema.js';
import { encodeAwsEventStreamMessage, encodeEvent, encodeException } from './eventstream-encoder.js';

/** Recorded ConverseStream (anthropic.claude-3-5-sonnet via us-west-2), with Bedrock's "p" padding. */
const RECORDED_CONVERSE: Array<[string, Record<string, unknown>]> = [
  ['messageStart', { p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN', role: 'assistant' }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Need weather.' } }, p: 'abcdef' }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'EqQBCkYIAxgC' } }, p: 'ab' }],
  ['contentBlockStop', { contentBlockIndex: 0, p: 'abcdefghijk' }],
  ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Checking the' }, p: 'abcdefghijklmnopq' }],
  ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: ' weather.' }, p: 'abcdefgh' }],
  ['contentBlockStop', { contentBlockIndex: 1, p: 'abcdefghijklmnopqrstu' }],
  ['contentBlockStart', { contentBlockIndex: 2, p: 'abcdefghijklmnop', start: { toolUse: { name: 'get_weather', toolUseId: 'tooluse_3fTgQ9' } } }],
  ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '' } }, p: 'abcdefghijklmnopqrstuvwxyz' }],
  ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '{"city": "Pa' } }, p: 'abcdefghijklmnopqr' }],
  ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: 'ris"}' } }, p: 'abcdefghijkl' }],
  ['contentBlockStop', { contentBlockIndex: 2, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGH' }],
  ['messageStop', { p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW', stopReason: 'tool_use' }],
  ['metadata', { metrics: { latencyMs: 2216 }, p: 'abcdefghijklmnopqrstuvwxyzABCDEF', usage: { inputTokens: 405, outputTokens: 71, totalTokens: 1476, cacheReadInputTokens: 1000 } }],
];

function run(events: FramedEvent[], includeUsage = true): ChatChunk[] {
  const s = bedrockChatStream.createState({ model: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', includeUsage });
  const out: ChatChunk[] = [];
  for (const ev of events) out.push(...bedrockChatStream.fromEvent(s, ev));
  out.push(...bedrockChatStream.finish(s));
  return out;
}

/** Real bytes through the real framer, so the mapping sees what the gateway will feed it. */
function framed(messages: Uint8Array[]): FramedEvent[] {
  const f = createAwsEventStreamFramer();
  const out: FramedEvent[] = [];
  for (const m of messages) out.push(...f.push(m));
  out.push(...f.end());
  return out;
}

const converseFrames = () => framed(RECORDED_CONVERSE.map(([t, p]) => encodeEvent(t, p)));

describe('ConverseStream → OpenAI chunks', () => {
  it('the recorded events match the Smithy model', () => {
    for (const [type, payload] of RECORDED_CONVERSE) expect(validateConverseStreamEvent(type, payload), type).toEqual([]);
  });

  it('streams reasoning, text, one tool call with arguments, the finish reason and a final usage chunk', () => {
    const chunks = run(converseFrames());
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    const deltas = chunks.flatMap((c) => c.choices.map((x) => x.delta));
    expect(deltas.map((d) => d.reasoning_content ?? '').join('')).toBe('Need weather.');
    expect(deltas.flatMap((d) => (d.thinking_blocks as unknown[] | undefined) ?? [])).toEqual([{ type: 'thinking', thinking: 'Need weather.', signature: 'EqQBCkYIAxgC' }]);
    expect(deltas.map((d) => d.content ?? '').join('')).toBe('Checking the weather.');
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: 'tooluse_3fTgQ9', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.map((c) => c.function?.arguments ?? '').join('')).toBe('{"city": "Paris"}');
    expect(calls.every((c) => c.index === 0)).toBe(true);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(['tool_calls']);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 1405, completion_tokens: 71, total_tokens: 1476, prompt_tokens_details: { cached_tokens: 1000 } });
  });

  it('passes redacted reasoning on as a redacted_thinking block', () => {
    const redacted: Array<[string, Record<string, unknown>]> = [
      RECORDED_CONVERSE[0]!,
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'cmVkYWN0ZWQ=' } }, p: 'abc' }],
      ['contentBlockStop', { contentBlockIndex: 0, p: 'abcdefghijk' }],
      ...RECORDED_CONVERSE.slice(-2),
    ];
    for (const [type, payload] of redacted) expect(validateConverseStreamEvent(type, payload), type).toEqual([]);
    const chunks = run(framed(redacted.map(([t, p]) => encodeEvent(t, p))));
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    expect(chunks.flatMap((c) => c.choices.flatMap((x) => (x.delta.thinking_blocks as unknown[] | undefined) ?? []))).toEqual([{ type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' }]);
  });

  it('omits the usage chunk when the client did not ask, but still requires the metadata event', () => {
    expect(run(converseFrames(), false).some((c) => c.usage)).toBe(false);
    const noMeta = converseFrames().slice(0, -1);
    expect(() => run(noMeta)).toThrow(/before its metadata event/);
  });

  it('finish() throws when messageStop never arrived (a cut stream is never a clean finish)', () => {
    const cut = converseFrames().slice(0, 6);
    let err: unknown;
    try {
      run(cut);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(502);
    expect((err as GatewayError).message).toMatch(/before messageStop \(last event: contentBlockDelta\)/);
    expect(() => run([])).toThrow(/before its first event/);
  });

  it.each([
    ['throttlingException', 429],
    ['validationException', 400],
    ['modelStreamErrorException', 424],
    ['internalServerException', 500],
    ['serviceUnavailableException', 503],
    ['modelTimeoutException', 408],
  ])('a mid-stream %s becomes a GatewayError %i', (type, status) => {
    const shape = type.charAt(0).toUpperCase() + type.slice(1);
    expect(validateBedrock(shape, { message: 'Too many tokens, please wait.' })).toEqual([]);
    const events = framed([encodeEvent('messageStart', { role: 'assistant' }), encodeException(type, 'Too many tokens, please wait.')]);
    const s = bedrockChatStream.createState({ model: 'm', includeUsage: true });
    expect(bedrockChatStream.fromEvent(s, events[0]!)).toHaveLength(1);
    let err: unknown;
    try {
      bedrockChatStream.fromEvent(s, events[1]!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(status);
    expect((err as GatewayError).code).toBe(shape);
    expect((err as GatewayError).message).toContain('Too many tokens, please wait.');
  });

  it('an unmodeled error message (:message-type error) becomes a GatewayError', () => {
    const [ev] = framed([encodeAwsEventStreamMessage({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'boom' }, new Uint8Array(0))]);
    expect(() => run([ev!])).toThrow(/InternalFailure during the stream: boom/);
  });

  it('maps guardrail stops to content_filter', () => {
    const events = framed([
      encodeEvent('messageStart', { role: 'assistant' }),
      encodeEvent('messageStop', { stopReason: 'guardrail_intervened' }),
      encodeEvent('metadata', { usage: { inputTokens: 3, outputTokens: 0, totalTokens: 3 }, metrics: { latencyMs: 5 } }),
    ]);
    expect(run(events).find((c) => c.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('content_filter');
  });
});

/** Recorded InvokeModelWithResponseStream chunks for anthropic.claude-3-haiku: Anthropic events in base64. */
const RECORDED_ANTHROPIC = [
  { type: 'message_start', message: { id: 'msg_bdrk_01Xk', type: 'message', role: 'assistant', model: 'claude-3-haiku-20240307', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 22, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' there' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_bdrk_01', name: 'lookup', input: {} } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"q":' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"x"}' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 31 } },
  { type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 22, outputTokenCount: 31, invocationLatency: 730, firstByteLatency: 301 } },
];

const chunkFrames = (events: unknown[]) => framed(events.map((e) => encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(e)).toString('base64'), p: 'abcd' })));

describe('InvokeModelWithResponseStream (Anthropic) → OpenAI chunks', () => {
  it('the recorded events match Anthropic\'s stream schema and the chunk payload matches PayloadPart', () => {
    for (const e of RECORDED_ANTHROPIC) {
      const { 'amazon-bedrock-invocationMetrics': _m, ...plain } = e as Record<string, unknown>;
      // SDK 0.137's types require `caller` on tool_use blocks, a newer field than Bedrock's Claude sends.
      const cb = plain.content_block as Record<string, unknown> | undefined;
      if (cb?.type === 'tool_use') plain.content_block = { ...cb, caller: { type: 'direct' } };
      assertAnthropicStreamEvent(plain);
    }
    expect(validateBedrock('PayloadPart', { bytes: Buffer.from('{}').toString('base64') })).toEqual([]);
  });

  it('streams text and tool calls, finishes with tool_calls, and reports usage', () => {
    const chunks = run(chunkFrames(RECORDED_ANTHROPIC));
    for (const c of chunks) assertOpenAI('CreateChatCompletionStreamResponse', c);
    const deltas = chunks.flatMap((c) => c.choices.map((x) => x.delta));
    expect(deltas.map((d) => d.content ?? '').join('')).toBe('Hi there');
    const calls = deltas.flatMap((d) => d.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'toolu_bdrk_01', function: { name: 'lookup' } });
    expect(calls.map((c) => c.function?.arguments ?? '').join('')).toBe('{"q":"x"}');
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual(['tool_calls']);
    expect(chunks[chunks.length - 1]!.usage).toMatchObject({ prompt_tokens: 22, completion_tokens: 31, total_tokens: 53 });
  });

  it('throws when message_stop never arrived, and on an Anthropic error event inside a chunk', () => {
    expect(() => run(chunkFrames(RECORDED_ANTHROPIC.slice(0, 4)))).toThrow(/before message_stop/);
    const err = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect(() => run(chunkFrames([RECORDED_ANTHROPIC[0], err]))).toThrow(/overloaded_error during the stream: Overloaded/);
  });

  it('maps InvokeModelWithResponseStream exceptions too', () => {
    const events = framed([encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(RECORDED_ANTHROPIC[0])).toString('base64') }), encodeException('modelTimeoutException', 'Model timed out')]);
    const s = bedrockChatStream.createState({ model: 'm', includeUsage: false });
    bedrockChatStream.fromEvent(s, events[0]!);
    expect(() => bedrockChatStream.fromEvent(s, events[1]!)).toThrow(expect.objectContaining({ status: 408 }));
  });
});
