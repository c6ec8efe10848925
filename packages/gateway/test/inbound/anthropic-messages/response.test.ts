/** Inbound /v1/messages: OpenAI completion → Anthropic Message, and GatewayError → Anthropic error body. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { toAnthropicError, toAnthropicMessage } from '../../../src/inbound/anthropic-messages/index.js';
import { anthropicProvider } from '../../../src/providers/anthropic/index.js';
import type { ChatCompletion } from '../../../src/providers/types.js';
import { assertAnthropic } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

/** Recorded OpenAI completions (published format). */
const text: ChatCompletion = {
  id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
  object: 'chat.completion',
  created: 1741569952,
  model: 'gpt-4.1-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I assist you today?', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1019, completion_tokens: 10, total_tokens: 1029, prompt_tokens_details: { cached_tokens: 1000, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
};
const tools: ChatCompletion = {
  id: 'chatcmpl-abc123',
  object: 'chat.completion',
  created: 1699896916,
  model: 'gpt-4o-mini',
  choices: [{
    index: 0,
    message: { role: 'assistant', content: null, refusal: null, tool_calls: [
      { id: 'call_abc123', type: 'function', function: { name: 'get_current_weather', arguments: '{\n"location": "Boston, MA"\n}' } },
      { id: 'call_def456', type: 'function', function: { name: 'get_current_weather', arguments: '{"location": "Paris"}' } },
    ] },
    logprobs: null,
    finish_reason: 'tool_calls',
  }],
  usage: { prompt_tokens: 82, completion_tokens: 17, total_tokens: 99 },
};

describe('toAnthropicMessage', () => {
  it('the recorded completions are valid OpenAI responses', () => {
    assertOpenAI('CreateChatCompletionResponse', text);
    assertOpenAI('CreateChatCompletionResponse', tools);
  });

  it('maps text, usage (cache reads out of input_tokens) and stop_reason', () => {
    const m = toAnthropicMessage(text);
    assertAnthropic('Message', m);
    expect(m).toEqual({
      id: 'msg_B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      type: 'message',
      role: 'assistant',
      model: 'gpt-4.1-2025-04-14',
      content: [{ type: 'text', text: 'Hello! How can I assist you today?' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 19, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000 },
    });
  });

  it('maps tool_calls to tool_use blocks with parsed input', () => {
    const m = toAnthropicMessage(tools);
    assertAnthropic('Message', m);
    expect(m.stop_reason).toBe('tool_use');
    expect(m.content).toEqual([
      { type: 'tool_use', id: 'call_abc123', name: 'get_current_weather', input: { location: 'Boston, MA' }, caller: { type: 'direct' } },
      { type: 'tool_use', id: 'call_def456', name: 'get_current_weather', input: { location: 'Paris' }, caller: { type: 'direct' } },
    ]);
  });

  it.each([['length', 'max_tokens'], ['content_filter', 'refusal'], ['function_call', 'tool_use'], [null, 'end_turn']] as const)('maps finish_reason %s to %s', (finish, stop) => {
    const m = toAnthropicMessage({ ...text, choices: [{ ...text.choices[0], finish_reason: finish }] });
    expect(m.stop_reason).toBe(stop);
    assertAnthropic('Message', m);
  });

  it('puts reasoning first as a thinking block, and round-trips an Anthropic message through the provider', () => {
    const m = toAnthropicMessage({ ...text, choices: [{ ...text.choices[0], message: { ...text.choices[0].message, reasoning_content: 'thinking...' } }] });
    assertAnthropic('Message', m);
    expect((m.content as unknown[])[0]).toEqual({ type: 'thinking', thinking: 'thinking...', signature: '' });

    const native = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', stop_reason: 'end_turn', stop_sequence: null,
      content: [{ type: 'thinking', thinking: 't', signature: 'sig' }, { type: 'text', text: 'hi' }],
      usage: { input_tokens: 5, output_tokens: 3, cache_read_input_tokens: 7, cache_creation_input_tokens: 2 } };
    const back = toAnthropicMessage(anthropicProvider.chat!.fromResponse(native, { model: 'm', messages: [] }, { provider: 'anthropic', settings: {} }));
    expect(back).toMatchObject({ id: 'msg_1', content: native.content, usage: native.usage, stop_reason: 'end_turn' });
  });

  it('never returns an empty content array', () => {
    const m = toAnthropicMessage({ ...text, choices: [{ ...text.choices[0], message: { role: 'assistant', content: '' } }] });
    expect(m.content).toEqual([{ type: 'text', text: '' }]);
  });
});

describe('toAnthropicError', () => {
  it.each([
    [new GatewayError({ status: 400, message: 'messages: field required' }), 400, 'invalid_request_error'],
    [new GatewayError({ status: 401, message: 'x-portkey-api-key is invalid' }), 401, 'authentication_error'],
    [new GatewayError({ status: 403, message: 'no' }), 403, 'permission_error'],
    [new GatewayError({ status: 404, message: 'no' }), 404, 'not_found_error'],
    [new GatewayError({ status: 408, message: 'request_timeout of 100 ms exceeded' }), 408, 'timeout_error'],
    [new GatewayError({ status: 413, message: 'too big' }), 413, 'invalid_request_error'],
    [new GatewayError({ status: 429, message: 'slow down' }), 429, 'rate_limit_error'],
    [new GatewayError({ status: 502, message: 'openai error: bad gateway', type: 'upstream_error' }), 502, 'api_error'],
    [anthropicProvider.mapError(529, JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), {}), 529, 'overloaded_error'],
  ])('renders %s in Anthropic error shape', (err, status, type) => {
    const out = toAnthropicError(err);
    assertAnthropic('ErrorResponse', out.body);
    expect(out.status).toBe(status);
    expect(out.body).toEqual({ type: 'error', error: { type, message: err.message } });
  });
});
