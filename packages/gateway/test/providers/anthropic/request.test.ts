/** OpenAI chat → Anthropic Messages request, each body checked against MessageCreateParams. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { anthropicProvider, toAnthropicRequest } from '../../../src/providers/anthropic/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { assertAnthropic } from '../../helpers/anthropic-schema.js';

const valid = (body: object) => assertAnthropic((body as { stream?: boolean }).stream ? 'MessageCreateParamsStreaming' : 'MessageCreateParamsNonStreaming', body);
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('toAnthropicRequest', () => {
  it('lifts system and developer messages to top-level system and applies the default max_tokens', () => {
    const out = toAnthropicRequest({ model: 'claude-sonnet-4-6', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'Answer in French.' }, { role: 'user', content: 'Hi' }] });
    valid(out);
    expect(out).toEqual({ model: 'claude-sonnet-4-6', max_tokens: 4096, system: 'Be brief.\n\nAnswer in French.', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('keeps cache_control on system parts as text blocks', () => {
    const out = toAnthropicRequest({ model: 'm', messages: [{ role: 'system', content: [{ type: 'text', text: 'long doc', cache_control: { type: 'ephemeral' } }] }, { role: 'user', content: 'q' }] });
    valid(out);
    expect(out.system).toEqual([{ type: 'text', text: 'long doc', cache_control: { type: 'ephemeral' } }]);
  });

  it('uses max_tokens, else max_completion_tokens, and maps stop, temperature, top_p, user, stream', () => {
    const out = toAnthropicRequest({ model: 'm', max_completion_tokens: 77, stop: 'END', temperature: 0.2, top_p: 0.9, user: 'u-1', stream: true, stream_options: { include_usage: true }, presence_penalty: 0.5, messages: [{ role: 'user', content: 'x' }] });
    valid(out);
    expect(out).toMatchObject({ max_tokens: 77, stop_sequences: ['END'], temperature: 0.2, top_p: 0.9, metadata: { user_id: 'u-1' }, stream: true });
    expect(out).not.toHaveProperty('presence_penalty');
    expect(out).not.toHaveProperty('stream_options');
    expect(toAnthropicRequest({ model: 'm', max_tokens: 5, max_completion_tokens: 9, stop: ['a', 'b'], messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ max_tokens: 5, stop_sequences: ['a', 'b'] });
  });

  it('maps images: data URLs to base64 sources, https URLs to url sources', () => {
    const out = toAnthropicRequest({
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }, { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } }] }],
    });
    valid(out);
    expect(out.messages[0].content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    expect(() => toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }] })).toThrow(/http\(s\) URL or a base64 data: URL/);
    expect(() => toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).toThrow(/"input_audio" is not supported by anthropic/);
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const base: ChatRequest = {
      model: 'm',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }, { type: 'function', function: { name: 'noargs' } }],
    };
    const auto = toAnthropicRequest({ ...base, tool_choice: 'auto' });
    valid(auto);
    expect(auto.tools).toEqual([
      { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'noargs', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(auto.tool_choice).toEqual({ type: 'auto' });
    expect(toAnthropicRequest({ ...base, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(toAnthropicRequest({ ...base, tool_choice: 'required', parallel_tool_calls: false }).tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    const named = toAnthropicRequest({ ...base, tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    valid(named);
    expect(named.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
    expect(toAnthropicRequest({ ...base, parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(toAnthropicRequest(base)).not.toHaveProperty('tool_choice');
  });

  it('turns assistant tool_calls into tool_use and tool messages into merged user tool_result turns', () => {
    const out = toAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'user', content: 'weather in Paris and Rome?' },
        { role: 'assistant', content: 'Checking.', tool_calls: [
          { id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_b', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ] },
        { role: 'tool', tool_call_id: 'toolu_a', content: 'sunny' },
        { role: 'tool', tool_call_id: 'toolu_b', content: [{ type: 'text', text: 'rain' }] },
        { role: 'user', content: 'and tomorrow?' },
      ],
    });
    valid(out);
    expect(out.messages).toEqual([
      { role: 'user', content: 'weather in Paris and Rome?' },
      { role: 'assistant', content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: {} },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_a', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: 'rain' }] },
        { type: 'text', text: 'and tomorrow?' },
      ] },
    ]);
  });

  it('merges consecutive user turns and drops empty assistant turns', () => {
    const out = toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: '' }, { role: 'user', content: 'b' }] });
    valid(out);
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }]);
  });

  it('rejects bad tool arguments, a tool message without id, legacy function role and n>1 with 400s naming the field', () => {
    const cases: Array<[ChatRequest, string]> = [
      [{ model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{bad' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
      [{ model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role'],
      [{ model: 'm', n: 3, messages: [{ role: 'user', content: 'x' }] }, 'n'],
    ];
    for (const [req, param] of cases) {
      const err = (() => { try { toAnthropicRequest(req); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as GatewayError).param).toBe(param);
    }
  });

  it('passes thinking through, raises max_tokens above its budget, and sends signed thinking back first', () => {
    const out = toAnthropicRequest({
      model: 'm',
      thinking: { type: 'enabled', budget_tokens: 8000 },
      top_k: 5,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: null, reasoning_content: 'hmm', thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }], tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'ok' },
      ],
    });
    valid(out);
    expect(out.thinking).toEqual({ type: 'enabled', budget_tokens: 8000 });
    expect(out.max_tokens).toBe(12096);
    expect(out.top_k).toBe(5);
    expect(out.messages[1].content).toEqual([{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'f', input: {} }]);
  });

  it('maps response_format json_schema to output_config.format and PDF files to documents', () => {
    const out = toAnthropicRequest({
      model: 'm',
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } } } } },
      messages: [{ role: 'user', content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }, { type: 'text', text: 'summarise' }] }],
    });
    valid(out);
    expect(out.output_config).toEqual({ format: { type: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } } });
    expect((out.messages[0].content as unknown[])[0]).toEqual({ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } });
  });
});

describe('anthropicProvider request building', () => {
  const target: ProviderTarget = { provider: 'anthropic', apiKey: 'Bearer sk-ant-secret', settings: {} };

  it('POSTs to api.anthropic.com/v1/messages with x-api-key and anthropic-version', () => {
    const r = anthropicProvider.chat!.toRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, target, { stream: true });
    expect(r.url).toBe('https://api.anthropic.com/v1/messages');
    expect(r.headers).toEqual({ 'content-type': 'application/json', 'x-api-key': 'sk-ant-secret', 'anthropic-version': '2023-06-01' });
    expect(JSON.parse(r.body as string)).toMatchObject({ stream: true, max_tokens: 4096 });
  });

  it('honours custom_host, anthropic_version and anthropic_beta settings, and passthrough paths', () => {
    const t: ProviderTarget = { provider: 'anthropic', apiKey: 'k', customHost: 'http://127.0.0.1:9/v1/', settings: { anthropic_version: '2023-01-01', anthropic_beta: 'prompt-caching-2024-07-31' } };
    const r = anthropicProvider.chat!.toRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, t, { stream: false });
    expect(r.url).toBe('http://127.0.0.1:9/v1/messages');
    expect(r.headers).toMatchObject({ 'anthropic-version': '2023-01-01', 'anthropic-beta': 'prompt-caching-2024-07-31' });
    expect(anthropicProvider.passthrough!('/v1/messages/count_tokens', target)).toEqual({
      url: 'https://api.anthropic.com/v1/messages/count_tokens',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-secret', 'anthropic-version': '2023-06-01' },
    });
    expect(anthropicProvider.nativeOperations).toEqual(['messages']);
  });

  it('refuses to build a request without a key, and never echoes one', () => {
    expect(() => anthropicProvider.passthrough!('/v1/messages', { provider: 'anthropic', settings: {} })).toThrow(/no API key/);
    try {
      anthropicProvider.chat!.toRequest({ model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: 'x' } }] }] }, target, { stream: false });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('sk-ant-secret');
    }
  });
});
