import { describe, expect, it } from 'vitest';
import { historyAfter, inputItemsOf, withHistory } from '../../../src/inbound/responses/history.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';

describe('responses history', () => {
  const response = {
    id: 'resp_1',
    output: [
      { type: 'reasoning', id: 'rs_1', status: 'completed', summary: [], content: [{ type: 'reasoning_text', text: 'thinking' }] },
      { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi ', annotations: [], logprobs: [] }, { type: 'output_text', text: 'Ada.', annotations: [], logprobs: [] }] },
      { type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
    ],
  };

  it('keeps input and output as plain input items: no reasoning, no item ids, message text joined', () => {
    const h = historyAfter(undefined, { model: 'm', input: 'I am Ada.' }, response);
    expect(h.items).toEqual([
      { type: 'message', role: 'user', content: 'I am Ada.' },
      { type: 'message', role: 'assistant', content: 'Hi Ada.' },
      { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
    ]);
    // What a later turn sends to a native provider must be a valid request there.
    const next = withHistory({ model: 'm', previous_response_id: 'resp_1', input: [{ type: 'function_call_output', call_id: 'call_1', output: 'found' }] }, h);
    expect(next.previous_response_id).toBeUndefined();
    expect(validateOpenAI('CreateResponse', next)).toEqual([]);
    expect(next.input).toHaveLength(4);
  });

  it('grows turn by turn', () => {
    const one = historyAfter(undefined, { input: 'a' }, { output: [{ type: 'message', content: [{ type: 'output_text', text: 'b' }] }] });
    const two = historyAfter(one, { input: [{ role: 'user', content: 'c' }] }, { output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }] });
    expect(two.items).toEqual([...one.items, { role: 'user', content: 'c' }, { type: 'message', role: 'assistant', content: 'no' }]);
    expect(inputItemsOf(undefined)).toEqual([]);
  });
});
