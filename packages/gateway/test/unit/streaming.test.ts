import { describe, expect, it } from 'vitest';
import { createSseFramer } from '../../src/streaming/framers/sse.js';
import { ChunkAssembler, completionToChunks } from '../../src/streaming/chunk-assembler.js';
import { openAIChatStream } from '../../src/providers/openai-compatible/mapping.js';
import { createOpenAIStreamEncoder } from '../../src/inbound/openai-chat.js';
import type { ChatChunk, ChatCompletion, ChatToolCall } from '../../src/providers/types.js';

const enc = new TextEncoder();

describe('SSE framer', () => {
  const wire = 'event: message_start\ndata: {"a":1}\n\n: comment\ndata: line1\ndata: line2\n\r\ndata: [DONE]\r\n\r\n';
  it('frames events whatever the chunk boundaries', () => {
    for (let cut = 1; cut < wire.length; cut++) {
      const f = createSseFramer();
      const events = [...f.push(enc.encode(wire.slice(0, cut))), ...f.push(enc.encode(wire.slice(cut))), ...f.end()];
      expect(events).toEqual([{ event: 'message_start', data: '{"a":1}' }, { data: 'line1\nline2' }, { data: '[DONE]' }]);
    }
  });
  it('handles multi-byte characters split across chunks', () => {
    const bytes = enc.encode('data: héllo 🌍\n\n');
    const f = createSseFramer();
    const out = [...f.push(bytes.slice(0, 8)), ...f.push(bytes.slice(8, 15)), ...f.push(bytes.slice(15))];
    expect(out).toEqual([{ data: 'héllo 🌍' }]);
  });
  it('frames byte by byte and at every two-way split, with BOM, CR-only line ends and multi-byte characters', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const text = 'event: é\rdata: a\uFEFFb 🌍\r\rdata: x\r\ndata: y\n\n';
    const bytes = new Uint8Array([...bom, ...enc.encode(text)]);
    const want = [{ event: 'é', data: 'a\uFEFFb 🌍' }, { data: 'x\ny' }];
    const one = createSseFramer();
    const byByte = [...Array.from(bytes, (b) => one.push(new Uint8Array([b]))).flat(), ...one.end()];
    expect(byByte).toEqual(want);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const f = createSseFramer();
      expect([...f.push(bytes.slice(0, cut)), ...f.push(bytes.slice(cut)), ...f.end()]).toEqual(want);
    }
    // Only a leading BOM is dropped. Later, the same bytes are text: that line's field is "\uFEFFdata", no field at all.
    const f = createSseFramer();
    expect([...f.push(enc.encode('data: a\n\n')), ...f.push(new Uint8Array([...bom, ...enc.encode('data: b\n\ndata: c\n\n')])), ...f.end()]).toEqual([{ data: 'a' }, { data: 'c' }]);
  });
  it('refuses an unbounded frame', () => {
    const f = createSseFramer();
    expect(() => f.push(enc.encode('data: ' + 'x'.repeat(9 * 1024 * 1024)))).toThrow(/larger than 8 MiB/);
  });
});

describe('OpenAI stream mapping', () => {
  it('throws when the stream ends before [DONE]', () => {
    const state = openAIChatStream.createState({ model: 'm', includeUsage: true });
    openAIChatStream.fromEvent(state, { data: '{"id":"1","object":"chat.completion.chunk","created":1,"model":"m","choices":[]}' });
    expect(() => openAIChatStream.finish(state)).toThrow(/before \[DONE\]/);
  });
  it('turns an error event into a GatewayError', () => {
    const state = openAIChatStream.createState({ model: 'm', includeUsage: true });
    expect(() => openAIChatStream.fromEvent(state, { data: '{"error":{"message":"boom","type":"server_error"}}' })).toThrow(/boom/);
  });
  it('encoder drops the usage chunk unless asked', () => {
    const usageChunk: ChatChunk = { id: '1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
    expect(createOpenAIStreamEncoder(false).encode(usageChunk)).toBe('');
    expect(createOpenAIStreamEncoder(true).encode(usageChunk)).toContain('"usage"');
    expect(createOpenAIStreamEncoder(false).end()).toBe('data: [DONE]\n\n');
  });
});

describe('chunk assembler', () => {
  it('round-trips a completion with text, tool calls and usage', () => {
    const completion: ChatCompletion = {
      id: 'c1', object: 'chat.completion', created: 5, model: 'm',
      choices: [{
        index: 0,
        message: {
          role: 'assistant', content: 'hello world',
          tool_calls: [
            { id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            // Gemini's thought signature must survive a cached replay, or the next turn is refused.
            { id: 't2', type: 'function', function: { name: 'g', arguments: '{}' }, extra_content: { google: { thought_signature: 'c2ln' } } } as ChatToolCall,
          ],
        },
        finish_reason: 'tool_calls', logprobs: null,
      }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    };
    const a = new ChunkAssembler();
    for (const c of completionToChunks(completion)) a.push(c);
    expect(a.result()).toEqual(completion);
  });
  it('round-trips reasoning and signed thinking blocks, so a cached hit can be continued', () => {
    const completion: ChatCompletion = {
      id: 'c2', object: 'chat.completion', created: 5, model: 'm',
      choices: [{
        index: 0,
        message: { role: 'assistant', content: 'done', reasoning_content: 'think', thinking_blocks: [{ type: 'thinking', thinking: 'think', signature: 'sig' }, { type: 'redacted_thinking', data: 'xyz' }] },
        finish_reason: 'stop', logprobs: null,
      }],
    };
    const a = new ChunkAssembler();
    for (const c of completionToChunks(completion)) a.push(c);
    expect(a.result()).toEqual(completion);
  });
  it('gives up past its byte bound', () => {
    const a = new ChunkAssembler(10);
    a.push({ id: '1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'x'.repeat(20) }, finish_reason: null }] });
    expect(a.result()).toBeUndefined();
  });
});
