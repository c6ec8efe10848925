import { describe, expect, it } from 'vitest';
import { geminiStreamMapping, geminiStreamUsage } from '../../../src/providers/google/index.js';
import type { ChatChunk } from '../../../src/providers/types.js';
import { createSseFramer } from '../../../src/streaming/framers/sse.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import * as fx from './fixtures.js';

const mapping = geminiStreamMapping('google');

/** Runs SSE text through the real framer and the mapping, in small byte pieces like a socket would. */
function run(body: string, includeUsage = true): ChatChunk[] {
  const framer = createSseFramer();
  const state = mapping.createState({ model: 'gemini-2.0-flash', includeUsage });
  const out: ChatChunk[] = [];
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += 37) for (const ev of framer.push(bytes.subarray(i, i + 37))) out.push(...mapping.fromEvent(state, ev));
  for (const ev of framer.end()) out.push(...mapping.fromEvent(state, ev));
  out.push(...mapping.finish(state));
  for (const c of out) expect(validateOpenAI('CreateChatCompletionStreamResponse', c)).toEqual([]);
  return out;
}

describe('Gemini stream mapping', () => {
  it('uses the sse framer', () => expect(mapping.framer).toBe('sse'));

  it('maps text deltas, the finish reason and a final usage chunk', () => {
    const chunks = run(fx.sseBody(fx.sseTextStream));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['The', ' capital of France', ' is Paris.', null]);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks[1].choices[0].delta.role).toBeUndefined();
    expect(chunks[2].choices[0].finish_reason).toBe('stop');
    expect(chunks[3]).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16, prompt_tokens_details: { cached_tokens: 4 } } });
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('without include_usage no usage chunk is sent, but the usage is kept for the log', () => {
    const chunks = run(fx.sseBody(fx.sseTextStream), false);
    expect(chunks).toHaveLength(3);
    expect(chunks.every((c) => !c.usage)).toBe(true);
    const state = mapping.createState({ model: 'm', includeUsage: false });
    for (const f of fx.sseTextStream) mapping.fromEvent(state, { data: JSON.stringify(f) });
    expect(geminiStreamUsage(state)).toMatchObject({ prompt_tokens: 9, completion_tokens: 7 });
  });

  it('function calls arrive whole, as tool-call deltas with increasing indexes; STOP → tool_calls', () => {
    const chunks = run(fx.sseBody(fx.sseToolStream));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } });
    expect(calls[1]).toMatchObject({ index: 1, function: { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' } });
    expect(calls[0].id).toMatch(/^call_/);
    expect(chunks[2].choices[0].finish_reason).toBe('tool_calls');
    expect(chunks[chunks.length - 1].usage).toEqual({ prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 });
  });

  it('a stream without a finishReason is truncated: finish() throws', () => {
    expect(() => run(fx.sseBody(fx.sseTextStream.slice(0, 2)))).toThrow(/ended before any candidate carried a finishReason/);
  });

  it('an error frame mid-stream throws a GatewayError with the mapped status', () => {
    const body = fx.sseBody([fx.sseTextStream[0], fx.rpcErrors.unavailable]);
    expect(() => run(body)).toThrow(expect.objectContaining({ status: 503, message: expect.stringMatching(/overloaded.*UNAVAILABLE/) }));
  });

  it('a blocked prompt ends the stream with content_filter', () => {
    const chunks = run(fx.sseBody([fx.promptBlockedResponse]));
    expect(chunks[0].choices[0]).toMatchObject({ delta: { role: 'assistant', content: '' }, finish_reason: 'content_filter' });
    expect(chunks[1].usage).toEqual({ prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 });
  });

  it('a candidate stopped for SAFETY ends with content_filter', () => {
    const chunks = run(fx.sseBody([fx.sseTextStream[0], fx.candidateSafetyResponse]));
    expect(chunks[1].choices[0].finish_reason).toBe('content_filter');
  });

  it('thought parts stream as reasoning_content', () => {
    const chunks = run(fx.sseBody([fx.thinkingResponse]));
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '4', reasoning_content: 'User asks for 2+2; trivial.' });
    expect(chunks[1].usage?.completion_tokens_details).toEqual({ reasoning_tokens: 12 });
  });

  it('a frame that is not JSON is a 502', () => {
    expect(() => run('data: {"candidates": [\r\n\r\n')).toThrow(expect.objectContaining({ status: 502 }));
  });
});
