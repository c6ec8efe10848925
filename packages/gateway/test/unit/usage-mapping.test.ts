/** One usage mapping per provider, for bodies relayed in the provider's own format. */
import { describe, expect, it } from 'vitest';
import { anthropicProvider } from '../../src/providers/anthropic/index.js';
import { usageFromOpenAIBody } from '../../src/providers/usage.js';
import { createResponsesObserver } from '../../src/pipeline/native-observers.js';

describe('native usage', () => {
  it("Anthropic's keeps cache reads and writes apart from plain input", () => {
    const body = { type: 'message', usage: { input_tokens: 10, cache_read_input_tokens: 1000, cache_creation_input_tokens: 20, output_tokens: 5 } };
    expect(anthropicProvider.nativeUsage!('messages', body)).toEqual({
      prompt_tokens: 1030, completion_tokens: 5, total_tokens: 1035, prompt_tokens_details: { cached_tokens: 1000 }, cache_creation_input_tokens: 20,
    });
  });

  it("OpenAI's Responses API keeps its cached and reasoning counts, buffered or streamed", () => {
    const usage = { input_tokens: 100, input_tokens_details: { cached_tokens: 80 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 130 };
    const want = { prompt_tokens: 100, completion_tokens: 30, total_tokens: 130, prompt_tokens_details: { cached_tokens: 80 }, completion_tokens_details: { reasoning_tokens: 12 } };
    expect(usageFromOpenAIBody('responses', { object: 'response', usage })).toEqual(want);
    const observer = createResponsesObserver();
    observer.observe({ event: 'response.completed', data: JSON.stringify({ type: 'response.completed', response: { usage } }) });
    expect(observer.usage()).toEqual(want);
  });

  it("OpenAI's chat usage passes as it is", () => {
    const usage = { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21, prompt_tokens_details: { cached_tokens: 4 } };
    expect(usageFromOpenAIBody('chat', { usage })).toEqual(usage);
    expect(usageFromOpenAIBody('chat', {})).toBeUndefined();
  });
});
