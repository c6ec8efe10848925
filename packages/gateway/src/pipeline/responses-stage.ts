/**
 * Stored responses for /v1/responses on translated providers: `previous_response_id` and `store`.
 * Providers with a native Responses API keep their own; for the rest, the gateway keeps each response's
 * conversation (input and output items) per tenant, in the cache store (memory, or Redis shared by
 * every replica), for RESPONSES_STORE_TTL_S.
 */
import type { CacheStore } from '../cache/types.js';
import { historyAfter, outputItemAsInput, referencedItemIds, type ResponseHistory } from '../inbound/responses/history.js';
import { deletedResponse, inputItemList, keptResponseRequest, responseNotFound } from '../inbound/responses/kept.js';
import type { JsonObject, Provider } from '../providers/types.js';
import { tryParseJson } from '../providers/upstream-error.js';
import type { CallResult } from './call-target.js';
import { tenantOf, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';

export interface ResponsesStore {
  store: CacheStore;
  /** How long a response is kept, seconds; 0 turns storing off. */
  ttlS: number;
}

/** What routing needs to know about a /v1/responses request's state. */
export interface ResponsesPlan {
  /** The response will be kept (storing is on, and the request did not say store: false). */
  store: boolean;
  /** The conversation before this request, when previous_response_id names a response the gateway kept. */
  history?: ResponseHistory;
  /** The body the Response object echoes: the client's, with `store` as it will be. */
  echo: Record<string, unknown>;
  /** Items that the input's item_reference entries name, from responses the gateway kept, by id. */
  references?: Map<string, unknown>;
}

const keyOf = (ctx: RequestContext, id: string) => `responses:${tenantOf(ctx)}:${id}`;
/** Output items of kept responses, by item id, for item_reference inputs (@ai-sdk/openai sends them). */
const itemKeyOf = (ctx: RequestContext, id: string) => `response-items:${tenantOf(ctx)}:${id}`;
/** Bounds the store reads one request can cause. */
const MAX_REFERENCES = 256;

/** Before routing: loads the history previous_response_id names, if the gateway kept it. */
export async function planResponses(deps: GatewayDeps, ctx: RequestContext): Promise<ResponsesPlan> {
  const body = ctx.body!;
  const on = deps.responses.ttlS > 0;
  const store = on && body.store !== false;
  const previous = body.previous_response_id;
  // Not found here, it may be a native provider's own id: the request goes on unchanged.
  const raw = on && typeof previous === 'string' && previous !== '' ? await deps.responses.store.get(keyOf(ctx, previous)) : undefined;
  const history = raw ? (tryParseJson(raw.toString('utf8')) as ResponseHistory | undefined) : undefined;
  const references = on ? await resolveItemReferences(deps, ctx, referencedItemIds(body.input)) : undefined;
  return { store, history: Array.isArray(history?.items) ? history : undefined, echo: { ...body, store }, references };
}

/**
 * The items the gateway kept that item_reference inputs name. Ids it does not have are left as they
 * are: a native provider may know them (its own store); translation refuses them with a 404.
 */
async function resolveItemReferences(deps: GatewayDeps, ctx: RequestContext, ids: string[]): Promise<Map<string, unknown> | undefined> {
  if (ids.length === 0) return undefined;
  const unique = [...new Set(ids)].slice(0, MAX_REFERENCES);
  const found = await Promise.all(unique.map((id) => deps.responses.store.get(itemKeyOf(ctx, id))));
  const out = new Map<string, unknown>();
  unique.forEach((id, i) => {
    const item = found[i] ? tryParseJson(found[i]!.toString('utf8')) : undefined;
    if (item && typeof item === 'object') out.set(id, item);
  });
  return out.size > 0 ? out : undefined;
}

/** After a translated response was sent: keeps its conversation under its id. Native providers keep their own. */
export function rememberResponse(deps: GatewayDeps, ctx: RequestContext, result: CallResult): void {
  const plan = ctx.responses;
  if (!plan?.store || ctx.error || ctx.status >= 300 || deps.registry.get(result.provider).nativeOperations?.includes('responses')) return;
  const response = (result.kind === 'json' ? tryParseJson(result.body.toString('utf8')) : result.seen.clientBody) as Record<string, unknown> | undefined;
  if (typeof response?.id !== 'string' || (response.status !== 'completed' && response.status !== 'incomplete')) return;
  const history: ResponseHistory = { ...historyAfter(plan.history, ctx.body!, response), response };
  // Best effort, like every cache write: a store that is down or full means a later 404, never a failed request.
  void deps.responses.store.set(keyOf(ctx, response.id), Buffer.from(JSON.stringify(history)), deps.responses.ttlS);
  for (const item of Array.isArray(response.output) ? response.output : []) {
    const id = (item as { id?: unknown }).id;
    const asInput = outputItemAsInput(item);
    if (typeof id === 'string' && asInput) void deps.responses.store.set(itemKeyOf(ctx, id), Buffer.from(JSON.stringify(asInput)), deps.responses.ttlS);
  }
}

/**
 * GET or DELETE /v1/responses/{id} (and GET .../input_items) for a response the gateway kept: the answer,
 * or undefined when the path names none or the id is not the gateway's (a native provider's own id,
 * which the request then goes on to ask the provider about).
 */
export async function answerKeptResponse(deps: GatewayDeps, ctx: RequestContext): Promise<{ status: number; body: JsonObject } | undefined> {
  if (deps.responses.ttlS <= 0) return undefined;
  const request = keptResponseRequest(ctx.req.method ?? 'GET', ctx.path);
  if (!request) return undefined;
  const key = keyOf(ctx, request.id);
  const raw = await deps.responses.store.get(key);
  if (!raw) return undefined;
  const kept = tryParseJson(raw.toString('utf8')) as ResponseHistory | undefined;
  if (request.kind === 'delete') {
    await deps.responses.store.delete(key);
    // Its output items go with it: an item_reference to them is a 404 from now on.
    const output = Array.isArray(kept?.response?.output) ? kept.response.output : [];
    await Promise.all(output.map((item) => (typeof (item as { id?: unknown }).id === 'string' ? deps.responses.store.delete(itemKeyOf(ctx, (item as { id: string }).id)) : undefined)));
    return { status: 200, body: deletedResponse(request.id) };
  }
  // Kept by an earlier version, for previous_response_id only: there is no Response object to give back.
  if (!kept?.response || !Array.isArray(kept.items)) throw responseNotFound(request.id);
  if (request.kind === 'retrieve') return { status: 200, body: kept.response };
  return { status: 200, body: inputItemList({ ...kept, response: kept.response }, request) };
}

/**
 * A provider without a Responses API has no responses to read: GET or DELETE /v1/responses/{id} that the
 * gateway could not answer from its store is a 404, instead of a request the provider would not understand.
 */
export function refuseUnknownResponseId(provider: Provider, method: string, path: string): void {
  if (provider.nativeOperations?.includes('responses')) return;
  const request = keptResponseRequest(method, path);
  if (request) throw responseNotFound(request.id);
}
