/** Anthropic Message → OpenAI chat completion, on recorded bodies in Anthropic's published format. */
import { describe, expect, it } from 'vitest';
import { fromAnthropicResponse, usageFromAnthropicMessage, anthropicProvider } from '../../../src/providers/anthropic/index.js';
import { assertAnthropic, validateAnthropic } from '../../helpers/anthropic-schema.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

const textMessage = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'Hello! How can I help?' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, cache_creation_input_tokens: 100, cache_read_input_tokens: 2000, output_tokens: 9, service_tier: 'standard' },
};

const toolMessage = {
  id: 'msg_01Aq9w938a90dw8q',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [
    { type: 'thinking', thinking: 'The user wants weather; call the tool.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
    { type: 'text', text: 'Let me check.' },
    { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' }, caller: { type: 'direct' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 472, output_tokens: 91, output_tokens_details: { thinking_tokens: 20 } },
};

describe('fromAnthropicResponse', () => {
  it('the recorded payloads are valid Anthropic Messages', () => {
    assertAnthropic('Message', textMessage);
    assertAnthropic('Message', toolMessage);
  });

  it('maps text and usage, counting cache reads and writes into prompt_tokens', () => {
    const out = fromAnthropicResponse(textMessage);
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.id).toBe('msg_01XFDUDYJgAACzvnptvVoYEL');
    expect(out.choices[0]).toMatchObject({ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hello! How can I help?' } });
    expect(out.usage).toEqual({ prompt_tokens: 2112, completion_tokens: 9, total_tokens: 2121, prompt_tokens_details: { cached_tokens: 2000 }, cache_creation_input_tokens: 100 });
  });

  it('maps tool_use to tool_calls with JSON-string arguments, thinking to reasoning_content', () => {
    const out = fromAnthropicResponse(toolMessage);
    assertOpenAI('CreateChatCompletionResponse', out);
    const m = out.choices[0].message;
    expect(out.choices[0].finish_reason).toBe('tool_calls');
    expect(m.content).toBe('Let me check.');
    expect(m.tool_calls).toEqual([{ id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' } }]);
    expect(m.reasoning_content).toBe('The user wants weather; call the tool.');
    expect(m.thinking_blocks).toEqual([toolMessage.content[0]]);
    expect(out.usage).toMatchObject({ prompt_tokens: 472, completion_tokens: 91, completion_tokens_details: { reasoning_tokens: 20 } });
  });

  it('gives null content when only tool calls came back', () => {
    const out = fromAnthropicResponse({ ...toolMessage, content: [toolMessage.content[2]] });
    expect(out.choices[0].message.content).toBeNull();
  });

  it.each([
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'], ['refusal', 'content_filter'], ['model_context_window_exceeded', 'length'], ['pause_turn', 'stop'],
  ])('maps stop_reason %s to finish_reason %s', (stop, finish) => {
    const body = { ...textMessage, stop_reason: stop };
    expect(validateAnthropic('Message', body)).toEqual([]);
    expect(fromAnthropicResponse(body).choices[0].finish_reason).toBe(finish);
  });

  it('rejects a body that is not a Message with a 502 that says where to look', () => {
    expect(() => fromAnthropicResponse({ error: 'x' })).toThrow(/not a Messages API message/);
    expect(() => anthropicProvider.chat!.fromResponse({ type: 'message' }, { model: 'm', messages: [] }, { provider: 'anthropic', settings: {} })).toThrow(/custom_host/);
  });

  it('usageFromAnthropicMessage reads native bodies', () => {
    expect(usageFromAnthropicMessage(textMessage)).toMatchObject({ prompt_tokens: 2112, completion_tokens: 9, total_tokens: 2121 });
    expect(usageFromAnthropicMessage({ type: 'error' })).toBeUndefined();
  });
});
