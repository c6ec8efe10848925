import { describe, expect, it } from 'vitest';
import { requireSpec } from './specs.js';
import { assertOpenAI, openAISpecPath, responseStreamEventSchemaFor, validateOpenAI } from './openai-schema.js';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1764300000,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 },
};

describe('openai-schema helper', () => {
  it('finds the spec beside the repository', () => {
    expect(openAISpecPath()).toMatch(/shared\/specs\/openai\/openapi\.yaml$/);
    expect(requireSpec('openai/openapi.yaml')).toBe(openAISpecPath());
  });

  it('accepts a valid chat completion, with nullable fields set to null', () => {
    expect(validateOpenAI('CreateChatCompletionResponse', completion)).toEqual([]);
  });

  it('rejects a missing required field and a wrong enum, naming the path', () => {
    const bad = { ...completion, choices: [{ ...completion.choices[0], finish_reason: 'done' }] };
    const errs = validateOpenAI('CreateChatCompletionResponse', bad);
    expect(errs.join('\n')).toContain('/choices/0/finish_reason');
    const { id: _id, ...noId } = completion;
    expect(validateOpenAI('CreateChatCompletionResponse', noId).join('\n')).toContain("'id'");
  });

  it('treats unixtime as an integer timestamp', () => {
    expect(validateOpenAI('CreateChatCompletionResponse', { ...completion, created: 1.5 }).length).toBeGreaterThan(0);
    expect(validateOpenAI('CreateChatCompletionResponse', { ...completion, created: -1 }).length).toBeGreaterThan(0);
  });

  it('requires param and code on errors (null allowed, absent not)', () => {
    expect(validateOpenAI('ErrorResponse', { error: { message: 'x', type: 'invalid_request_error', param: null, code: null } })).toEqual([]);
    expect(validateOpenAI('ErrorResponse', { error: { message: 'x', type: 'invalid_request_error' } }).length).toBeGreaterThan(0);
  });

  it('compiles recursive CompoundFilter, boolean exclusiveMinimum and duplicate required', () => {
    const leaf = { type: 'eq', key: 'a', value: 'b' };
    expect(validateOpenAI('CompoundFilter', { type: 'and', filters: [leaf, { type: 'or', filters: [leaf] }] })).toEqual([]);
    expect(validateOpenAI('CompoundFilter', { type: 'and', filters: [{ type: 'or', filters: 'no' }] }).length).toBeGreaterThan(0);
    // beta: number with exclusive minimum 0
    expect(validateOpenAI('FineTuneDPOHyperparameters', { beta: 0.5 })).toEqual([]);
    expect(validateOpenAI('FineTuneDPOHyperparameters', { beta: 0 }).length).toBeGreaterThan(0);
    const container = { id: 'c', object: 'container', name: 'n', created_at: 1, status: 'running' };
    expect(validateOpenAI('ContainerResource', container)).toEqual([]);
  });

  it('validates stream events against the variant for their type', () => {
    expect(responseStreamEventSchemaFor('response.output_text.delta')).toBe('ResponseTextDeltaEvent');
    const ok = { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'hi', sequence_number: 3, logprobs: [] };
    expect(validateOpenAI('ResponseStreamEvent', ok)).toEqual([]);
    const { sequence_number: _s, ...noSeq } = ok;
    expect(validateOpenAI('ResponseStreamEvent', noSeq).join('\n')).toContain('sequence_number');
    expect(validateOpenAI('ResponseStreamEvent', { ...ok, type: 'response.bogus' })[0]).toContain('no ResponseStreamEvent variant');
  });

  it('compiles every schema the gateway tests rely on', () => {
    for (const n of ['CreateChatCompletionRequest', 'CreateChatCompletionStreamResponse', 'CreateEmbeddingResponse', 'CreateResponse', 'Response']) {
      expect(Array.isArray(validateOpenAI(n, {}))).toBe(true);
    }
    expect(validateOpenAI('CreateResponse', { model: 'gpt-4o', input: 'hi' })).toEqual([]);
    expect(validateOpenAI('CreateResponse', { model: 'gpt-4o', input: 42 }).length).toBeGreaterThan(0);
    // matches both EasyInputMessage and InputMessage: valid, though the spec says oneOf
    const msg = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
    expect(validateOpenAI('CreateResponse', { model: 'gpt-4o', input: [msg] })).toEqual([]);
    const badPart = { ...msg, content: [{ type: 'input_txt', text: 'hi' }] };
    expect(validateOpenAI('CreateResponse', { model: 'gpt-4o', input: [badPart] }).length).toBeGreaterThan(0);
  });

  it('assertOpenAI throws a readable error; unknown schema names throw', () => {
    expect(() => assertOpenAI('CreateChatCompletionResponse', { ...completion, object: 'list' })).toThrow(/CreateChatCompletionResponse[\s\S]*\/object/);
    expect(() => assertOpenAI('CreateChatCompletionResponse', completion)).not.toThrow();
    expect(() => validateOpenAI('NoSuchSchema', {})).toThrow(/no schema named "NoSuchSchema"/);
  });
});
