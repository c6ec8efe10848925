import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { bedrockProvider, fromBedrockConverseResponse, toBedrockConverseRequest } from '../../../src/providers/bedrock/index.js';
import type { ChatRequest, ProviderTarget } from '../../../src/providers/types.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';
import { assertBedrock } from './bedrock-schema.js';
import { converseBodyErrors } from './fake-validate.js';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const target = (settings: Record<string, string> = {}): ProviderTarget => ({ provider: 'bedrock', settings: { aws_region: 'us-west-2', ...settings } });

/** A body must satisfy both the Smithy-derived schema and Bedrock's documented conversation rules. */
function assertValidConverse(body: unknown): void {
  assertBedrock('ConverseRequest', body);
  expect(converseBodyErrors(body as Record<string, unknown>, false)).toEqual([]);
}

describe('toBedrockConverseRequest', () => {
  it('maps system, text, images, tool calls and tool results into alternating Converse turns', () => {
    const req: ChatRequest = {
      model: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        { role: 'user', content: [{ type: 'text', text: 'What is in this image, and the weather?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'tooluse_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'tooluse_abc123', content: '{"temp_c":21}' },
        { role: 'user', content: 'Thanks. Summarise.' },
      ],
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END'],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'required',
      top_k: 40,
      stream_options: { include_usage: true },
    };
    const body = toBedrockConverseRequest(req);
    assertValidConverse(body);
    expect(body).toEqual({
      system: [{ text: 'You are terse.' }, { text: 'Use metric units.' }],
      messages: [
        { role: 'user', content: [{ text: 'What is in this image, and the weather?' }, { image: { format: 'png', source: { bytes: PNG_1PX } } }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_abc123', name: 'get_weather', input: { city: 'Paris' } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_abc123', content: [{ text: '{"temp_c":21}' }] } }, { text: 'Thanks. Summarise.' }] },
      ],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      toolConfig: {
        tools: [{ toolSpec: { name: 'get_weather', description: 'Weather by city', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } } }],
        toolChoice: { any: {} },
      },
      additionalModelRequestFields: { top_k: 40 },
    });
  });

  it('maps tool_choice auto / named function / none', () => {
    const base: ChatRequest = { model: 'm.x', messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'function', function: { name: 'f' } }] };
    expect(toBedrockConverseRequest({ ...base }).toolConfig?.toolChoice).toEqual({ auto: {} });
    const named = toBedrockConverseRequest({ ...base, tool_choice: { type: 'function', function: { name: 'f' } } });
    expect(named.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object', properties: {} } } } }], toolChoice: { tool: { name: 'f' } } });
    assertValidConverse(named);
    expect(toBedrockConverseRequest({ ...base, tool_choice: 'none' }).toolConfig).toBeUndefined();
  });

  it('declares the tools a history used when the request sends none (Converse demands a toolConfig)', () => {
    const body = toBedrockConverseRequest({
      model: 'amazon.nova-pro-v1:0',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '' } }] },
        { role: 'tool', tool_call_id: 't1', content: 'sunny' },
      ],
    });
    assertValidConverse(body);
    expect(body.toolConfig).toEqual({ tools: [{ toolSpec: { name: 'lookup', inputSchema: { json: { type: 'object' } } } }] });
    expect(body.messages[1]!.content).toEqual([{ toolUse: { toolUseId: 't1', name: 'lookup', input: {} } }]);
  });

  it('maps response_format json_schema to outputConfig and keeps Converse-native fields', () => {
    const body = toBedrockConverseRequest({
      model: 'm.x',
      messages: [{ role: 'user', content: 'json please' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'number' } } } } },
      guardrailConfig: { guardrailIdentifier: 'gr1abc', guardrailVersion: '1' },
      max_completion_tokens: 50,
    });
    assertValidConverse(body);
    expect(body.outputConfig).toEqual({ textFormat: { type: 'json_schema', structure: { jsonSchema: { name: 'answer', schema: '{"type":"object","properties":{"a":{"type":"number"}}}' } } } });
    expect(body.guardrailConfig).toEqual({ guardrailIdentifier: 'gr1abc', guardrailVersion: '1' });
    expect(body.inferenceConfig).toEqual({ maxTokens: 50 });
    expect(body.additionalModelRequestFields).toBeUndefined();
  });

  it('rejects what Bedrock cannot take, naming the field', () => {
    const bad = (req: Partial<ChatRequest>) => () => toBedrockConverseRequest({ model: 'm.x', messages: [{ role: 'user', content: 'x' }], ...req } as ChatRequest);
    expect(bad({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }] })).toThrow(/base64 data URL/);
    expect(bad({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] }] })).toThrow(/png, jpeg, gif and webp/);
    expect(bad({ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] })).toThrow(/not valid JSON/);
    expect(bad({ n: 2 })).toThrow(GatewayError);
    expect(bad({ messages: [{ role: 'tool', content: 'x' }] })).toThrow(/tool_call_id/);
  });

  it('maps file parts to document blocks and signed thinking back to reasoningContent (first in the turn)', () => {
    const body = toBedrockConverseRequest({
      model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Summarise' }, { type: 'file', file: { filename: 'Q3 report (final).pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQK' } }] },
        {
          role: 'assistant',
          content: 'Calling.',
          thinking_blocks: [{ type: 'thinking', thinking: 'Plan.', signature: 'EqQBsig' }, { type: 'redacted_thinking', data: 'cmVkYWN0ZWQ=' }],
          tool_calls: [{ id: 'tooluse_9', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'tooluse_9', content: 'ok' },
      ],
      tools: [{ type: 'function', function: { name: 'f' } }],
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    assertValidConverse(body);
    expect(body.messages[0]!.content[1]).toEqual({ document: { format: 'pdf', name: 'Q3 report (final)', source: { bytes: 'JVBERi0xLjQK' } } });
    expect(body.messages[1]!.content).toEqual([
      { reasoningContent: { reasoningText: { text: 'Plan.', signature: 'EqQBsig' } } },
      { reasoningContent: { redactedContent: 'cmVkYWN0ZWQ=' } },
      { text: 'Calling.' },
      { toolUse: { toolUseId: 'tooluse_9', name: 'f', input: {} } },
    ]);
    expect(body.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 1024 } });
    expect(() => toBedrockConverseRequest({ model: 'm.x', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] })).toThrow(/file_data/);
  });

  it('accepts S3 image URIs as s3Location', () => {
    const body = toBedrockConverseRequest({ model: 'm.x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 's3://bucket/cat.JPG' } }] }] });
    assertValidConverse(body);
    expect(body.messages[0]!.content[0]).toEqual({ image: { format: 'jpeg', source: { s3Location: { uri: 's3://bucket/cat.JPG' } } } });
  });
});

describe('fromBedrockConverseResponse (recorded Converse responses)', () => {
  const recordedText = {
    output: { message: { role: 'assistant', content: [{ text: 'Paris is the capital of France.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 14, outputTokens: 9, totalTokens: 1043, cacheReadInputTokens: 1000, cacheWriteInputTokens: 20 },
    metrics: { latencyMs: 512 },
  };
  const recordedTool = {
    output: {
      message: {
        role: 'assistant',
        content: [
          { reasoningContent: { reasoningText: { text: 'The user wants weather; call the tool.', signature: 'EqQBCkYIAxgCIkA' } } },
          { text: 'Let me check.' },
          { toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'get_weather', input: { city: 'Paris', unit: 'c' } } },
        ],
      },
    },
    stopReason: 'tool_use',
    usage: { inputTokens: 420, outputTokens: 61, totalTokens: 481 },
    metrics: { latencyMs: 1200 },
  };

  it('maps text, usage with cache reads and writes, and finish_reason', () => {
    assertBedrock('ConverseResponse', recordedText);
    const out = fromBedrockConverseResponse(recordedText, 'us.anthropic.claude-3-5-sonnet-20241022-v2:0');
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Paris is the capital of France.' }, finish_reason: 'stop' });
    expect(out.model).toBe('us.anthropic.claude-3-5-sonnet-20241022-v2:0');
    expect(out.usage).toEqual({ prompt_tokens: 1034, completion_tokens: 9, total_tokens: 1043, prompt_tokens_details: { cached_tokens: 1000 }, cache_creation_input_tokens: 20 });
  });

  it('maps toolUse to tool_calls and reasoningContent to reasoning_content', () => {
    assertBedrock('ConverseResponse', recordedTool);
    const out = fromBedrockConverseResponse(recordedTool, 'anthropic.claude-3-7-sonnet-20250219-v1:0');
    assertOpenAI('CreateChatCompletionResponse', out);
    expect(out.choices[0]!.finish_reason).toBe('tool_calls');
    expect(out.choices[0]!.message.content).toBe('Let me check.');
    expect(out.choices[0]!.message.reasoning_content).toBe('The user wants weather; call the tool.');
    expect(out.choices[0]!.message.thinking_blocks).toEqual([{ type: 'thinking', thinking: 'The user wants weather; call the tool.', signature: 'EqQBCkYIAxgCIkA' }]);
    expect(out.choices[0]!.message.tool_calls).toEqual([{ id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } }]);
  });

  it.each([
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['max_tokens', 'length'],
    ['stop_sequence', 'stop'],
    ['model_context_window_exceeded', 'length'],
  ])('stopReason %s → finish_reason %s', (stopReason, finish) => {
    const body = { ...recordedText, stopReason };
    assertBedrock('ConverseResponse', body);
    expect(fromBedrockConverseResponse(body, 'm').choices[0]!.finish_reason).toBe(finish);
  });

  it('rejects a body that is not a Converse response', () => {
    expect(() => fromBedrockConverseResponse({ type: 'message', content: [] }, 'm')).toThrow(/not a Converse response/);
  });
});

describe('bedrockProvider.chat.toRequest', () => {
  it('targets converse / converse-stream with the model id percent-encoded', () => {
    const chat = bedrockProvider.chat!;
    const req: ChatRequest = { model: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0', messages: [{ role: 'user', content: 'hi' }] };
    const r = chat.toRequest(req, target(), { stream: false });
    expect(r.url).toBe('https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse');
    expect(r.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json' });
    const s = chat.toRequest(req, target(), { stream: true });
    expect(s.url).toMatch(/\/converse-stream$/);
    expect(s.headers.accept).toBe('application/vnd.amazon.eventstream');
    assertBedrock('ConverseStreamRequest', JSON.parse(String(s.body)));
    const arn = 'arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0';
    expect(chat.toRequest({ ...req, model: arn }, target({}), { stream: false }).url).toBe(
      'https://bedrock-runtime.us-west-2.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse',
    );
  });

  it('honours customHost and rejects a bad region or bedrock_api', () => {
    const chat = bedrockProvider.chat!;
    const req: ChatRequest = { model: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', content: 'hi' }] };
    expect(chat.toRequest(req, { ...target(), customHost: 'http://127.0.0.1:9999/' }, { stream: false }).url).toBe('http://127.0.0.1:9999/model/amazon.nova-lite-v1%3A0/converse');
    expect(() => chat.toRequest(req, target({ aws_region: 'mars' }), { stream: false })).toThrow(/not an AWS region/);
    expect(() => chat.toRequest(req, target({ bedrock_api: 'invoke' }), { stream: false })).toThrow(/Anthropic models only/);
    expect(() => chat.toRequest(req, target({ bedrock_api: 'chat' }), { stream: false })).toThrow(/must be "converse" or "invoke"/);
  });
});
