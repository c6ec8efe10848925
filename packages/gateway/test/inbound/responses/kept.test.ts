import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { inputItemList, keptResponseRequest } from '../../../src/inbound/responses/kept.js';
import { validateOpenAI } from '../../helpers/openai-schema.js';

const kept = {
  items: [
    { type: 'message', role: 'user', content: 'a' },
    { type: 'message', role: 'assistant', content: 'b' },
    { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
    { role: 'user', content: [{ type: 'input_text', text: 'c' }] },
    { type: 'message', role: 'assistant', content: 'the answer' },
  ],
  output: 1,
  response: { id: 'resp_1', object: 'response' },
};

function thrown(f: () => unknown): GatewayError {
  try {
    f();
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error('did not throw');
}

describe('keptResponseRequest', () => {
  it('names retrieve, delete and input_items, and nothing else', () => {
    expect(keptResponseRequest('GET', '/v1/responses/resp_1')).toEqual({ kind: 'retrieve', id: 'resp_1' });
    expect(keptResponseRequest('GET', '/v1/responses/resp_1?include=x')).toEqual({ kind: 'retrieve', id: 'resp_1' });
    expect(keptResponseRequest('DELETE', '/v1/responses/resp%201')).toEqual({ kind: 'delete', id: 'resp 1' });
    expect(keptResponseRequest('GET', '/v1/responses/resp_1/input_items?limit=5&order=asc&after=x')).toEqual({ kind: 'input_items', id: 'resp_1', limit: 5, order: 'asc', after: 'x' });
    expect(keptResponseRequest('GET', '/v1/responses/resp_1/input_items')).toEqual({ kind: 'input_items', id: 'resp_1', limit: 20, order: 'desc' });
    expect(keptResponseRequest('POST', '/v1/responses/resp_1/cancel')).toBeUndefined();
    expect(keptResponseRequest('POST', '/v1/responses/resp_1')).toBeUndefined();
    expect(keptResponseRequest('DELETE', '/v1/responses/resp_1/input_items')).toBeUndefined();
    expect(keptResponseRequest('GET', '/v1/responses')).toBeUndefined();
    expect(keptResponseRequest('GET', '/v1/files/file_1')).toBeUndefined();
  });

  it('refuses bad paging and streaming with the parameter named', () => {
    for (const [query, param] of [['limit=0', 'limit'], ['limit=101', 'limit'], ['limit=2.5', 'limit'], ['order=random', 'order']]) {
      const err = thrown(() => keptResponseRequest('GET', `/v1/responses/r/input_items?${query}`));
      expect(err.status).toBe(400);
      expect(err.param).toBe(param);
    }
    expect(thrown(() => keptResponseRequest('GET', '/v1/responses/r?stream=true')).param).toBe('stream');
    expect(thrown(() => keptResponseRequest('GET', '/v1/responses/%E0%A4%A')).status).toBe(400);
  });
});

describe('inputItemList', () => {
  it('lists what led to the response, not its output, newest first, as item resources', () => {
    const list = inputItemList(kept, { kind: 'input_items', id: 'resp_1', limit: 20, order: 'desc' });
    expect(validateOpenAI('ResponseItemList', list)).toEqual([]);
    const data = list.data as Array<Record<string, unknown>>;
    expect(data.map((i) => i.id)).toEqual(['resp_1_item_4', 'resp_1_item_3', 'resp_1_item_2', 'resp_1_item_1', 'resp_1_item_0']);
    expect(data[3]).toEqual({ id: 'resp_1_item_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'b', annotations: [], logprobs: [] }] });
    expect(data[4]).toMatchObject({ role: 'user', content: [{ type: 'input_text', text: 'a' }] });
    expect(list).toMatchObject({ object: 'list', first_id: 'resp_1_item_4', last_id: 'resp_1_item_0', has_more: false });
  });

  it('pages by the last id seen', () => {
    const page = (after?: string) => inputItemList(kept, { kind: 'input_items', id: 'resp_1', limit: 2, order: 'asc', after });
    const one = page();
    expect(one).toMatchObject({ first_id: 'resp_1_item_0', last_id: 'resp_1_item_1', has_more: true });
    const two = page(one.last_id as string);
    expect(two).toMatchObject({ first_id: 'resp_1_item_2', last_id: 'resp_1_item_3', has_more: true });
    const three = page(two.last_id as string);
    expect(three).toMatchObject({ first_id: 'resp_1_item_4', last_id: 'resp_1_item_4', has_more: false });
    expect(thrown(() => page('resp_9_item_0')).param).toBe('after');
  });
});
