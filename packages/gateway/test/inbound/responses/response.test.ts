import { describe, expect, it } from 'vitest';
import { GatewayError, badRequest } from '../../../src/errors.js';
import { toResponsesError, toResponsesResponse } from '../../../src/inbound/responses/index.js';
import type { ChatCompletion } from '../../../src/providers/types.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { usage } from './fixtures.js';

function completion(message: ChatCompletion['choices'][number]['message'], finish: ChatCompletion['choices'][number]['finish_reason'] = 'stop'): ChatCompletion {
  const c: ChatCompletion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1764300000,
    model: 'claude-sonnet-4-5-20250929',
    choices: [{ index: 0, message: { refusal: null, ...message }, finish_reason: finish, logprobs: null }],
    usage,
  };
  assertOpenAI('CreateChatCompletionResponse', c);
  return c;
}

const echo = {
  model: 'claude-sonnet-4-5',
  instructions: 'Be brief.',
  temperature: 0.3,
  max_output_tokens: 500,
  metadata: { team: 'search' },
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }],
  tool_choice: 'auto',
  text: { format: { type: 'text' } },
  reasoning: { effort: 'low' },
};

describe('toResponsesResponse', () => {
  it('builds a completed Response with a message item and usage', () => {
    const r = toResponsesResponse(completion({ role: 'assistant', content: 'Hello!' }), echo);
    assertOpenAI('Response', r);
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r).toMatchObject({
      object: 'response',
      created_at: 1764300000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      model: 'claude-sonnet-4-5-20250929',
      temperature: 0.3,
      max_output_tokens: 500,
      metadata: { team: 'search' },
      reasoning: { effort: 'low', summary: null },
      store: false,
      previous_response_id: null,
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: null }],
    });
    expect(r.completed_at).toBeGreaterThanOrEqual(r.created_at);
    expect(r.output).toEqual([
      { type: 'message', id: expect.stringMatching(/^msg_/), role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }] },
    ]);
    expect(r.usage).toEqual({
      input_tokens: 42,
      input_tokens_details: { cached_tokens: 10, cache_write_tokens: 0 },
      output_tokens: 17,
      output_tokens_details: { reasoning_tokens: 5 },
      total_tokens: 59,
    });
  });

  it('emits reasoning, text and function_call items in order', () => {
    const r = toResponsesResponse(
      completion(
        {
          role: 'assistant',
          content: 'Checking both.',
          reasoning_content: 'Two cities, two calls.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      echo,
    );
    assertOpenAI('Response', r);
    expect(r.status).toBe('completed');
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(r.output[0]).toMatchObject({ summary: [], content: [{ type: 'reasoning_text', text: 'Two cities, two calls.' }] });
    expect(r.output[2]).toMatchObject({ call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed', id: expect.stringMatching(/^fc_/) });
    expect(r.output[3]).toMatchObject({ call_id: 'call_2', arguments: '{"city":"Rome"}' });
  });

  it('marks length and content_filter as incomplete with the reason', () => {
    const long = toResponsesResponse(completion({ role: 'assistant', content: 'Once upon a' }, 'length'), { model: 'm' });
    assertOpenAI('Response', long);
    expect(long).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null });
    expect(long.output[0].status).toBe('incomplete');
    const filtered = toResponsesResponse(completion({ role: 'assistant', content: null }, 'content_filter'), { model: 'm' });
    assertOpenAI('Response', filtered);
    expect(filtered).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [] });
  });

  it('keeps a refusal as a refusal part and carries cache-write tokens', () => {
    const c = completion({ role: 'assistant', content: null, refusal: 'I cannot help with that.' });
    c.usage = { ...usage, cache_creation_input_tokens: 7 };
    const r = toResponsesResponse(c, { model: 'm' });
    assertOpenAI('Response', r);
    expect(r.output[0]).toMatchObject({ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] });
    expect(r.usage?.input_tokens_details.cache_write_tokens).toBe(7);
  });

  it('fills defaults for a minimal echo', () => {
    const c = completion({ role: 'assistant', content: 'ok' });
    delete c.usage;
    const r = toResponsesResponse(c, { model: 'm' });
    assertOpenAI('Response', r);
    expect(r).toMatchObject({ instructions: null, tools: [], tool_choice: 'auto', metadata: {}, parallel_tool_calls: true, text: { format: { type: 'text' } } });
    expect(r.usage).toBeUndefined();
  });
});

describe('toResponsesError', () => {
  it('renders OpenAI error bodies with param and code present', () => {
    const body = toResponsesError(badRequest('tools[1]: built-in tool', 'tools[1].type', 'unsupported_tool'));
    assertOpenAI('ErrorResponse', body);
    expect(body).toEqual({ error: { message: 'tools[1]: built-in tool', type: 'invalid_request_error', param: 'tools[1].type', code: 'unsupported_tool' } });
    const upstream = toResponsesError(new GatewayError({ status: 503, message: 'anthropic error: Overloaded', provider: 'anthropic' }));
    assertOpenAI('ErrorResponse', upstream);
    expect(upstream.error).toEqual({ message: 'anthropic error: Overloaded', type: 'api_error', param: null, code: null });
  });
});
