import { describe, expect, it } from 'vitest';
import { fromGeminiFinishReason, fromGeminiResponse, fromGeminiUsage } from '../../../src/providers/google/index.js';
import { googleProvider } from '../../../src/providers/google/index.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';
import * as fx from './fixtures.js';

const ok = (body: unknown) => expect(validateOpenAI('CreateChatCompletionResponse', body)).toEqual([]);

describe('fromGeminiResponse', () => {
  it('maps text, finish reason, usage and the response id', () => {
    const r = fromGeminiResponse(fx.textResponse, 'gemini-2.0-flash');
    ok(r);
    expect(r.id).toBe('chatcmpl-pYf4aKXJHoWZ1dkP4aWJ6Ac');
    expect(r.model).toBe('gemini-2.0-flash');
    expect(r.choices).toEqual([{ index: 0, message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null }, finish_reason: 'stop', logprobs: null }]);
    expect(r.usage).toEqual({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
  });

  it('maps functionCall parts to tool_calls with generated ids, keeping thought signatures', () => {
    const r = fromGeminiResponse(fx.toolCallResponse, 'gemini-2.5-flash');
    ok(r);
    const m = r.choices[0].message;
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(m.content).toBeNull();
    expect(m.tool_calls).toHaveLength(2);
    expect(m.tool_calls![0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"location":"Boston, MA","unit":"celsius"}' }, extra_content: { google: { thought_signature: 'CiQBVKhc7hZx0Y5Vd2lhc2lnbmF0dXJl' } } });
    expect(m.tool_calls![0].id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(m.tool_calls![0].id).not.toBe(m.tool_calls![1].id);
    expect(JSON.parse(m.tool_calls![1].function.arguments)).toEqual({ tz: 'America/New_York' });
    // Reasoning tokens count as completion tokens, as in OpenAI's usage.
    expect(r.usage).toEqual({ prompt_tokens: 70, completion_tokens: 70, total_tokens: 140, prompt_tokens_details: { cached_tokens: 32 }, completion_tokens_details: { reasoning_tokens: 48 } });
  });

  it('keeps thought parts apart as reasoning_content', () => {
    const r = fromGeminiResponse(fx.thinkingResponse, 'gemini-2.5-pro');
    ok(r);
    expect(r.choices[0].message).toEqual({ role: 'assistant', content: '4', refusal: null, reasoning_content: 'User asks for 2+2; trivial.' });
    expect(r.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 12 });
  });

  it('maps MAX_TOKENS to length and safety stops to content_filter', () => {
    expect(fromGeminiResponse(fx.maxTokensResponse, 'm').choices[0].finish_reason).toBe('length');
    const s = fromGeminiResponse(fx.candidateSafetyResponse, 'm');
    ok(s);
    expect(s.choices[0]).toEqual({ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'content_filter', logprobs: null });
  });

  it('a blocked prompt becomes content_filter with empty content', () => {
    const r = fromGeminiResponse(fx.promptBlockedResponse, 'm');
    ok(r);
    expect(r.choices).toEqual([{ index: 0, message: { role: 'assistant', content: '', refusal: null }, finish_reason: 'content_filter', logprobs: null }]);
    expect(r.usage).toEqual({ prompt_tokens: 10, completion_tokens: 0, total_tokens: 10 });
  });

  it('finish reasons', () => {
    expect(fromGeminiFinishReason('STOP', false)).toBe('stop');
    expect(fromGeminiFinishReason('STOP', true)).toBe('tool_calls');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) expect(fromGeminiFinishReason(r, false)).toBe('content_filter');
    expect(fromGeminiFinishReason('MAX_TOKENS', true)).toBe('length');
    expect(fromGeminiFinishReason(undefined, false)).toBeNull();
    expect(fromGeminiFinishReason('MALFORMED_FUNCTION_CALL', false)).toBe('stop');
  });

  it('usage without details stays minimal, and absent usage is undefined', () => {
    expect(fromGeminiUsage(undefined)).toBeUndefined();
    expect(fromGeminiUsage({ promptTokenCount: 3, toolUsePromptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 6 })).toEqual({ prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 });
  });

  it('rejects a body that is not an object with a 502', () => {
    expect(() => fromGeminiResponse('oops', 'm')).toThrow(/not a JSON object/);
    expect(() => googleProvider.chat!.fromResponse([], { model: 'm', messages: [] }, { provider: 'google', settings: {} })).toThrow(expect.objectContaining({ status: 502 }));
  });
});
