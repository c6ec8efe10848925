/**
 * Reading back the responses the gateway kept for translated providers (history.ts keeps them):
 * `GET /v1/responses/{id}`, `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`, in
 * OpenAI's shapes. Pure functions; storage is the pipeline's (pipeline/responses-stage.ts).
 */
import { GatewayError } from '../../errors.js';
import type { JsonObject } from '../../providers/types.js';
import type { ResponseHistory } from './history.js';
import { decodedPathSegment } from '../../percent-decoding.js';

export type KeptResponseRequest =
  | { kind: 'retrieve'; id: string }
  | { kind: 'delete'; id: string }
  | { kind: 'input_items'; id: string; limit: number; order: 'asc' | 'desc'; after?: string };

const RESOURCE = /^\/v1\/responses\/([^/?]+)(\/input_items)?(?:\?(.*))?$/;

/**
 * What a request on a stored response asks for, or undefined when the path and method name none
 * (POST /v1/responses/{id}/cancel and the like go on to the provider).
 */
export function keptResponseRequest(method: string, url: string): KeptResponseRequest | undefined {
  const m = RESOURCE.exec(url);
  if (!m) return undefined;
  const id = decodedPathSegment(m[1], 'response_id', 'response id');
  const query = new URLSearchParams(m[3] ?? '');
  if (m[2]) return method === 'GET' ? { kind: 'input_items', id, ...pageOf(query) } : undefined;
  if (method === 'DELETE') return { kind: 'delete', id };
  if (method !== 'GET') return undefined;
  if (query.get('stream') === 'true') {
    throw new GatewayError({ status: 400, param: 'stream', code: 'unsupported_parameter', message: 'stream=true is not supported when retrieving a response the gateway kept; retrieve it without stream.' });
  }
  return { kind: 'retrieve', id };
}

function pageOf(query: URLSearchParams): { limit: number; order: 'asc' | 'desc'; after?: string } {
  const limitText = query.get('limit');
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new GatewayError({ status: 400, param: 'limit', code: 'invalid_value', message: `limit must be an integer from 1 to 100; got ${JSON.stringify(limitText)}.` });
  }
  const order = query.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') {
    throw new GatewayError({ status: 400, param: 'order', code: 'invalid_value', message: `order must be "asc" or "desc"; got ${JSON.stringify(order)}.` });
  }
  return { limit, order, after: query.get('after') ?? undefined };
}

/** The 404 for an id the gateway does not have (or kept before it stored Response objects). */
export function responseNotFound(id: string): GatewayError {
  return new GatewayError({
    status: 404, param: 'response_id', code: 'response_not_found',
    message: `No response with id ${id} is kept by this gateway for your workspace; it may have expired (RESPONSES_STORE_TTL_S), been deleted, or been created with store: false.`,
  });
}

/** DELETE's answer, as OpenAI gives it. */
export function deletedResponse(id: string): JsonObject {
  return { id, object: 'response', deleted: true };
}

/**
 * One page of the items that produced a kept response: its input, after the conversation before it,
 * as item resources with ids. The stored items have none (history.ts drops them), so each gets one
 * from the response id and its position, stable across calls, which `after` pages by.
 */
export function inputItemList(kept: ResponseHistory & { response: JsonObject }, req: Extract<KeptResponseRequest, { kind: 'input_items' }>): JsonObject {
  const responseId = String(kept.response.id);
  const count = kept.items.length - (kept.output ?? 0);
  const all = kept.items.slice(0, count).map((item, i) => toItemResource(item, `${responseId}_item_${i}`));
  if (req.order === 'desc') all.reverse();
  let start = 0;
  if (req.after !== undefined) {
    const at = all.findIndex((item) => item.id === req.after);
    if (at < 0) throw new GatewayError({ status: 400, param: 'after', code: 'invalid_value', message: `after names no input item of response ${responseId}; pass the last_id of the previous page.` });
    start = at + 1;
  }
  const data = all.slice(start, start + req.limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + req.limit < all.length };
}

/** An input item as the API lists it: with an id, a status where one is required, and content as parts. */
function toItemResource(item: unknown, id: string): JsonObject & { id: string } {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return { id, type: 'message', role: 'user', content: [] };
  const it = item as JsonObject;
  const type = it.type ?? 'message';
  if (type !== 'message') return { ...it, id, ...(type === 'function_call' || type === 'function_call_output' ? { status: it.status ?? 'completed' } : {}) };
  const assistant = it.role === 'assistant';
  const content = typeof it.content === 'string'
    ? [assistant ? { type: 'output_text', text: it.content, annotations: [], logprobs: [] } : { type: 'input_text', text: it.content }]
    : it.content;
  return assistant
    ? { id, type: 'message', role: 'assistant', status: it.status ?? 'completed', content }
    : { ...it, id, type: 'message', status: it.status ?? 'completed', content };
}
