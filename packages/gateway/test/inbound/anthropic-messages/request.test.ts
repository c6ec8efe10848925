/** Inbound /v1/messages: Anthropic request → OpenAI chat request, for any provider. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { fromAnthropicMessagesRequest } from '../../../src/inbound/anthropic-messages/index.js';
import { toAnthropicRequest } from '../../../src/providers/anthropic/index.js';
import { assertAnthropic } from '../../helpers/anthropic-schema.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** A recorded request in Anthropic's format: system blocks, image, tool use and results, tools, tool_choice. */
const recorded = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Weather where this photo was taken?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: [{ type: 'text', text: '18C' }] }, { type: 'text', text: 'Thanks, and tomorrow?' }] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }],
  tool_choice: { type: 'any', disable_parallel_tool_use: true },
  stop_sequences: ['STOP'],
  temperature: 0.5,
  top_p: 0.9,
  top_k: 10,
  metadata: { user_id: 'user-42' },
  stream: true,
};

describe('fromAnthropicMessagesRequest', () => {
  it('the recorded request is a valid MessageCreateParams', () => {
    assertAnthropic('MessageCreateParamsStreaming', recorded);
  });

  it('converts every field to an OpenAI chat request that OpenAI accepts', () => {
    const out = fromAnthropicMessagesRequest(recorded);
    const { thinking: _t, ...openaiShape } = out;
    expect(validateOpenAI('CreateChatCompletionRequest', openaiShape)).toEqual([]);
    expect(out).toEqual({
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      top_p: 0.9,
      stop: ['STOP'],
      user: 'user-42',
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: recorded.tools[0].input_schema } }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are a weather bot.', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'Weather where this photo was taken?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_01', content: '18C' },
        { role: 'user', content: 'Thanks, and tomorrow?' },
      ],
    });
  });

  it('round-trips through the anthropic provider back to an equivalent Anthropic request', () => {
    const back = toAnthropicRequest(fromAnthropicMessagesRequest({ ...recorded, stream: false }));
    assertAnthropic('MessageCreateParamsNonStreaming', back);
    expect(back.messages).toEqual([
      recorded.messages[0],
      recorded.messages[1],
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '18C' }, { type: 'text', text: 'Thanks, and tomorrow?' }] },
    ]);
    expect(back).toMatchObject({ system: recorded.system, tools: recorded.tools, tool_choice: recorded.tool_choice, stop_sequences: ['STOP'], metadata: { user_id: 'user-42' } });
  });

  it('maps tool_choice variants, url images, errors in tool results, thinking and assistant thinking blocks', () => {
    const base = { model: 'm', max_tokens: 10, tools: recorded.tools };
    const msg = (content: unknown) => ({ ...base, messages: [{ role: 'user', content }] });
    expect(fromAnthropicMessagesRequest({ ...msg('x'), tool_choice: { type: 'auto' } }).tool_choice).toBe('auto');
    expect(fromAnthropicMessagesRequest({ ...msg('x'), tool_choice: { type: 'none' } }).tool_choice).toBe('none');
    expect(fromAnthropicMessagesRequest({ ...msg('x'), tool_choice: { type: 'tool', name: 'get_weather' } }).tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    const img = fromAnthropicMessagesRequest(msg([{ type: 'image', source: { type: 'url', url: 'https://e.com/a.jpg' } }]));
    expect(img.messages[0].content).toEqual([{ type: 'image_url', image_url: { url: 'https://e.com/a.jpg' } }]);
    const thinking = fromAnthropicMessagesRequest({
      ...base,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'tool_use', id: 't', name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', is_error: true, content: 'city unknown' }] },
      ],
    });
    expect(thinking.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(thinking.messages[1]).toEqual({ role: 'assistant', content: null, reasoning_content: 'hmm', thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 's' }], tool_calls: [{ id: 't', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] });
    expect(thinking.messages[2]).toEqual({ role: 'tool', tool_call_id: 't', content: 'Error: city unknown' });
    expect(thinking).not.toHaveProperty('top_k');
  });

  it.each([
    [null, null, 'JSON object'],
    [{ max_tokens: 5, messages: [{ role: 'user', content: 'a' }] }, 'model', 'model: field required'],
    [{ model: 'm', messages: [{ role: 'user', content: 'a' }] }, 'max_tokens', 'max_tokens: field required'],
    [{ model: 'm', max_tokens: 1.5, messages: [{ role: 'user', content: 'a' }] }, 'max_tokens', 'non-negative integer'],
    [{ model: 'm', max_tokens: 5 }, 'messages', 'messages: field required'],
    [{ model: 'm', max_tokens: 5, messages: [] }, 'messages', 'non-empty'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'a' }] }, 'messages.0.role', 'top-level system'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user' }] }, 'messages.0.content', 'field required'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'video' }] }] }, 'messages.0.content.0.type', '"video"'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools.0.type', 'only runs on Anthropic'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }], tools: [{ name: 'x' }] }, 'tools.0.input_schema', 'input_schema'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }], tool_choice: { type: 'maybe' } }, 'tool_choice.type', '"maybe"'],
    [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'a' }], stop_sequences: 'END' }, 'stop_sequences', 'array of strings'],
  ])('rejects a bad body with a 400 naming the field (%#)', (body, param, text) => {
    const err = (() => { try { fromAnthropicMessagesRequest(body); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).param).toBe(param);
    expect((err as GatewayError).message).toContain(text);
  });
});
