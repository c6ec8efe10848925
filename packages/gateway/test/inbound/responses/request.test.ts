import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { fromResponsesRequest } from '../../../src/inbound/responses/index.js';
import { assertOpenAI } from '../../helpers/openai-schema.js';

/** Every inbound sample is a valid CreateResponse, and every translation a valid chat request. */
function translate(body: Record<string, unknown>) {
  assertOpenAI('CreateResponse', body);
  const chat = fromResponsesRequest(body);
  assertOpenAI('CreateChatCompletionRequest', chat);
  return chat;
}

function rejects(body: unknown, status = 400): GatewayError {
  try {
    fromResponsesRequest(body);
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    const err = e as GatewayError;
    expect(err.status).toBe(status);
    expect(err.type).toBe('invalid_request_error');
    return err;
  }
  throw new Error(`expected a 400 for ${JSON.stringify(body)}`);
}

const weatherTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('fromResponsesRequest', () => {
  it('turns string input and instructions into system + user messages', () => {
    const chat = translate({ model: 'claude-sonnet-4-5', input: 'Hello', instructions: 'Be brief.' });
    expect(chat).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
    });
  });

  it('maps message items with text, image and file parts', () => {
    const chat = translate({
      model: 'gemini-2.5-flash',
      input: [
        { role: 'developer', content: 'Answer in French.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is in this picture and this file?' },
            { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
            { type: 'input_file', filename: 'notes.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' },
          ],
        },
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Un chat.', annotations: [], logprobs: [] }] },
        { role: 'user', content: 'Merci' },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'developer', content: 'Answer in French.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture and this file?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
          { type: 'file', file: { filename: 'notes.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
        ],
      },
      { role: 'assistant', content: 'Un chat.' },
      { role: 'user', content: 'Merci' },
    ]);
  });

  it('groups function_call items into one assistant turn and maps their outputs to tool messages', () => {
    const chat = translate({
      model: 'mistral-large-latest',
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', id: 'msg_2', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [], logprobs: [] }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: '24C' }] },
      ],
      tools: [weatherTool],
      tool_choice: 'auto',
      parallel_tool_calls: true,
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
    ]);
    expect(chat.tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Current weather for a city', parameters: weatherTool.parameters, strict: true } },
    ]);
    expect(chat.tool_choice).toBe('auto');
    expect(chat.parallel_tool_calls).toBe(true);
  });

  it('maps sampling, limits, format, reasoning, stream and metadata', () => {
    const chat = translate({
      model: 'deepseek-reasoner',
      input: 'Give me JSON',
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
      reasoning: { effort: 'high' },
      stream: true,
      metadata: { team: 'search' },
      user: 'user-42',
      tools: [weatherTool],
      tool_choice: { type: 'function', name: 'get_weather' },
    });
    expect(chat).toMatchObject({
      max_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
      reasoning_effort: 'high',
      stream: true,
      stream_options: { include_usage: true },
      metadata: { team: 'search' },
      user: 'user-42',
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(translate({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } }).response_format).toEqual({ type: 'json_object' });
    expect(translate({ model: 'm', input: 'x', text: { format: { type: 'text' } } }).response_format).toBeUndefined();
    expect(translate({ model: 'm', input: 'x', store: false }).stream).toBeUndefined();
  });

  it('maps image detail "original" to chat\'s "high"', () => {
    const chat = translate({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'original' }] }] });
    expect(chat.messages[0].content).toEqual([{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } }]);
  });

  it('narrows tools for allowed_tools', () => {
    const other = { ...weatherTool, name: 'get_time' };
    const chat = translate({
      model: 'm',
      input: 'x',
      tools: [weatherTool, other],
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_time' }] },
    });
    expect(chat.tools?.map((t) => t.function.name)).toEqual(['get_time']);
    expect(chat.tool_choice).toBe('required');
  });

  it('refuses built-in tools, naming the tool and saying the provider must support it natively', () => {
    const body = { model: 'claude-sonnet-4-5', input: 'news?', tools: [weatherTool, { type: 'web_search' }] };
    assertOpenAI('CreateResponse', body);
    const err = rejects(body);
    expect(err.param).toBe('tools[1].type');
    expect(err.message).toContain('"web_search"');
    expect(err.message).toMatch(/provider must support it natively/);
    expect(rejects({ model: 'm', input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] }).message).toContain('code_interpreter');
  });

  it('refuses state it does not keep with a message that says where it is', () => {
    for (const [field, body] of [
      ['conversation', { model: 'm', input: 'x', conversation: 'conv_1' }],
      ['prompt', { model: 'm', input: 'x', prompt: { id: 'pmpt_1' } }],
    ] as const) {
      assertOpenAI('CreateResponse', body);
      const err = rejects(body);
      expect(err.param).toBe(field);
      expect(err.code).toBe('stateless_gateway');
      expect(err.message).toMatch(/keeps no such state/);
      expect(err.message).toMatch(/openai, azure-openai/);
    }
  });

  it('answers an item_reference still in the input (the pipeline kept no such item) with a 404 naming it', () => {
    const err = rejects({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }, 404);
    expect([err.param, err.code]).toEqual(['input[0].id', 'item_not_found']);
    expect(err.message).toContain('"msg_1"');
    expect(err.message).not.toMatch(/keeps no such state/);
  });

  it('answers a previous_response_id still in the body (the pipeline found no history for it) with 404', () => {
    const err = rejects({ model: 'm', input: 'x', previous_response_id: 'resp_123' }, 404);
    expect(err.param).toBe('previous_response_id');
    expect(err.code).toBe('previous_response_not_found');
    expect(err.message).toMatch(/Previous response with id 'resp_123' not found/);
  });

  it('checks the types of store and previous_response_id', () => {
    expect(rejects({ model: 'm', input: 'x', store: 'yes' }).param).toBe('store');
    expect(rejects({ model: 'm', input: 'x', previous_response_id: 7 }).message).toMatch(/previous_response_id must be a response id string, got number/);
  });

  it('leaves store to the pipeline: store: true translates', () => {
    expect(fromResponsesRequest({ model: 'm', input: 'x', store: true }).messages).toEqual([{ role: 'user', content: 'x' }]);
  });

  it('names the bad field in every validation error', () => {
    const cases: Array<[unknown, string | null, RegExp]> = [
      ['not json object', null, /JSON object/],
      [{ input: 'x' }, 'model', /model is required/],
      [{ model: 'm' }, 'input', /input is required/],
      [{ model: 'm', input: 42 }, 'input', /string or an array/],
      [{ model: 'm', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', /role must be one of/],
      [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] }, 'input[0].content[0].type', /input_text, input_image/],
      [{ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] }] }, 'input[0].content[0].image_url', /file storage/],
      [{ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f', arguments: { a: 1 } }] }, 'input[0].arguments', /JSON string/],
      [{ model: 'm', input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', /call_id/],
      [{ model: 'm', input: [{ type: 'computer_call', id: 'c' }] }, 'input[0].type', /natively/],
      [{ model: 'm', input: 'x', temperature: 3 }, 'temperature', /between 0 and 2/],
      [{ model: 'm', input: 'x', max_output_tokens: 1.5 }, 'max_output_tokens', /integer/],
      [{ model: 'm', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name', /name/],
      [{ model: 'm', input: 'x', tool_choice: 'sometimes' }, 'tool_choice', /tool_choice/],
      [{ model: 'm', input: 'x', tool_choice: { type: 'file_search' } }, 'tool_choice.type', /natively/],
      [{ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } }, 'text.format.schema', /schema/],
      [{ model: 'm', input: 'x', metadata: { a: 1 } }, 'metadata', /string values/],
      [{ model: 'm', input: 'x', stream: 'yes' }, 'stream', /boolean/],
      [{ model: 'm', input: [] }, 'input', /at least one/],
    ];
    for (const [body, param, msg] of cases) {
      const err = rejects(body);
      expect(err.param, JSON.stringify(body)).toBe(param);
      expect(err.message).toMatch(msg);
    }
  });
});
