/**
 * Conversation state for `previous_response_id` on translated providers: the gateway keeps, per
 * response it produced, the input items that lead to it and its output items. A later request that
 * names it is sent with that history in front of its own input. Pure functions; storage is the
 * pipeline's (pipeline/responses-stage.ts).
 */
import type { JsonObject } from '../../providers/types.js';

/** What the gateway keeps per response: the whole conversation up to and including it, as input items. */
export interface ResponseHistory {
  items: unknown[];
  /** How many of the last items are the response's own output; the ones before led to it. */
  output?: number;
  /** The Response object as the client got it, for GET /v1/responses/{id} (kept.ts). */
  response?: JsonObject;
}

function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request's `input` as items: a string is one user message. Anything else is left to validation. */
export function inputItemsOf(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

/** The request as the provider must see it: the history before its input, and no previous_response_id. */
export function withHistory(body: Record<string, unknown>, history: ResponseHistory | undefined, references?: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const input = references ? resolveReferences(body.input, references) : body.input;
  if (!history) return { ...body, input };
  const { previous_response_id: _resolved, ...rest } = body;
  return { ...rest, input: [...history.items, ...inputItemsOf(input)] };
}

/**
 * The history to keep for a response: what led to it, this request's input, then the response's output
 * as input items any Responses provider accepts: the message as an assistant message with its text, and
 * function calls by call_id, name and arguments. Output item ids are left out, since they name items in
 * the store of whoever made them. Reasoning items are left out too: they belong to the model that wrote
 * them. Instructions are not items; the API does not carry them over either.
 */
export function historyAfter(previous: ResponseHistory | undefined, body: Record<string, unknown>, response: Record<string, unknown>): ResponseHistory {
  const output: unknown[] = [];
  for (const item of Array.isArray(response.output) ? response.output : []) {
    const asInput = outputItemAsInput(item);
    if (asInput && asInput.type !== 'reasoning') output.push(asInput);
  }
  return { items: [...(previous?.items ?? []), ...inputItemsOf(body.input), ...output], output: output.length };
}

/**
 * One output item of a Response as an input item any Responses provider accepts: a message as an
 * assistant message with its text, a function call by call_id, name and arguments, a reasoning item as
 * a bare reasoning item (translation drops it). Undefined for items with no input form.
 */
export function outputItemAsInput(item: unknown): JsonObject | undefined {
  if (!isObj(item)) return undefined;
  if (item.type === 'message') {
    const parts = Array.isArray(item.content) ? item.content.filter(isObj) : [];
    const text = parts.map((p) => (typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : '')).join('');
    return { type: 'message', role: 'assistant', content: text };
  }
  if (item.type === 'function_call') return { type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments } as JsonObject;
  if (item.type === 'reasoning') return { type: 'reasoning', summary: [] };
  return undefined;
}

/** The ids of the item_reference items in a request's input. */
export function referencedItemIds(input: unknown): string[] {
  if (!Array.isArray(input)) return [];
  return input.filter((i): i is JsonObject => isObj(i) && i.type === 'item_reference' && typeof i.id === 'string' && i.id !== '').map((i) => i.id as string);
}

/** The input with each item_reference the gateway resolved replaced by the item it names. */
export function resolveReferences(input: unknown, items: ReadonlyMap<string, unknown>): unknown {
  if (!Array.isArray(input) || items.size === 0) return input;
  return input.map((i) => (isObj(i) && i.type === 'item_reference' && typeof i.id === 'string' && items.has(i.id) ? items.get(i.id) : i));
}
