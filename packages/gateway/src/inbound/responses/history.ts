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
export function withHistory(body: Record<string, unknown>, history: ResponseHistory): Record<string, unknown> {
  const { previous_response_id: _resolved, ...rest } = body;
  return { ...rest, input: [...history.items, ...inputItemsOf(body.input)] };
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
    if (!isObj(item)) continue;
    if (item.type === 'message') {
      const parts = Array.isArray(item.content) ? item.content.filter(isObj) : [];
      const text = parts.map((p) => (typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : '')).join('');
      output.push({ type: 'message', role: 'assistant', content: text });
    } else if (item.type === 'function_call') {
      output.push({ type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments });
    }
  }
  return { items: [...(previous?.items ?? []), ...inputItemsOf(body.input), ...output], output: output.length };
}
