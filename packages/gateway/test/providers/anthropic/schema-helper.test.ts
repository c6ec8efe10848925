/** The Anthropic schema oracle itself: it must find the spec, relax only nullable-required fields, and reject bad bodies. */
import { describe, expect, it } from 'vitest';
import { requireSpec } from '../../helpers/specs.js';
import { anthropicSpecPath, assertAnthropic, parseAnthropicSse, validateAnthropic, validateAnthropicStreamEvent } from '../../helpers/anthropic-schema.js';

const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 1, output_tokens: 1 } };

describe('anthropic-schema helper', () => {
  it('finds the spec beside the repository', () => {
    expect(anthropicSpecPath()).toMatch(/shared\/specs\/anthropic\/anthropic-messages-2023-06-01\.sdk0\.137\.0\.schema\.json$/);
    expect(requireSpec('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json')).toBe(anthropicSpecPath());
  });

  it('accepts a real Message that omits nullable fields, but not one missing required ones', () => {
    expect(validateAnthropic('Message', message)).toEqual([]);
    const { usage: _u, ...noUsage } = message;
    expect(validateAnthropic('Message', noUsage).join('\n')).toContain("'usage'");
    expect(validateAnthropic('Message', { ...message, stop_reason: 'done' }).length).toBeGreaterThan(0);
    expect(validateAnthropic('Message', { ...message, extra: 1 }).join('\n')).toContain('additional');
  });

  it('rejects request bodies with OpenAI-only fields or wrong blocks', () => {
    const ok = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    expect(validateAnthropic('MessageCreateParamsNonStreaming', ok)).toEqual([]);
    expect(validateAnthropic('MessageCreateParamsNonStreaming', { ...ok, stop: ['x'] }).length).toBeGreaterThan(0);
    expect(validateAnthropic('MessageCreateParamsNonStreaming', { ...ok, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }).length).toBeGreaterThan(0);
    expect(() => assertAnthropic('MessageCreateParamsNonStreaming', { ...ok, max_tokens: 'x' })).toThrow(/MessageCreateParamsNonStreaming[\s\S]*max_tokens/);
  });

  it('validates stream events by type, including ping and error, and parses SSE strictly', () => {
    expect(validateAnthropicStreamEvent({ type: 'ping' })).toEqual([]);
    expect(validateAnthropicStreamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a' } })).toEqual([]);
    expect(validateAnthropicStreamEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta' } }).length).toBeGreaterThan(0);
    expect(validateAnthropicStreamEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn' } }).join('\n')).toContain("'usage'");
    expect(validateAnthropicStreamEvent({ type: 'bogus' })[0]).toContain('no RawMessageStreamEvent variant');
    expect(validateAnthropicStreamEvent({ type: 'error', error: { type: 'nope', message: 'x' } }).length).toBeGreaterThan(0);
    expect(() => parseAnthropicSse('event: ping\ndata: {"type":"message_stop"}\n\n')).toThrow(/carries data.type/);
    expect(() => validateAnthropic('NoSuchSchema', {})).toThrow(/no schema named "NoSuchSchema"/);
  });
});
