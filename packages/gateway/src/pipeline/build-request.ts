/**
 * Builds what one attempt sends upstream from the call's input: the provider's own body forwarded
 * (native), a chat request for translated APIs, or an operation's mapping (one request, or several for
 * providers that take one input per call). Pure apart from the provider's mapping functions.
 */
import { badRequest } from '../errors.js';
import type { GatewayError } from '../errors.js';
import { withHistory } from '../inbound/responses/history.js';
import type { Operation, OperationMapping, Provider, ProviderTarget, UpstreamRequest } from '../providers/types.js';
import type { EffectiveTarget } from '../routing/execute.js';
import type { CallInput } from './call-target.js';

/** The model an attempt sends: the target's override_params.model wins over the client's. */
export function sentModel(input: Pick<CallInput, 'api' | 'body'>, t: Pick<EffectiveTarget, 'overrideParams'>): string | undefined {
  const override = t.overrideParams?.model;
  return typeof override === 'string' && override !== '' ? override : input.api.modelOf(input.body);
}

function withOverrides(body: Record<string, unknown>, t: EffectiveTarget): Record<string, unknown> {
  return t.overrideParams ? { ...body, ...t.overrideParams } : body;
}

/** The provider speaks this API: forward the body, re-serialising only when something changed. */
export function buildNativeRequest(provider: Provider, target: ProviderTarget, input: CallInput, t: EffectiveTarget): UpstreamRequest {
  const { url, headers } = provider.passthrough!(input.path, target);
  const outHeaders = { ...headers };
  let body: UpstreamRequest['body'] = input.method === 'GET' || input.method === 'HEAD' ? undefined : input.rawBody;
  if (input.upload) {
    // Streamed by sendUpstream: with a fixed length when the client declared one, chunked otherwise.
    if (input.upload.declaredLength !== undefined) outHeaders['content-length'] = String(input.upload.declaredLength);
    body = undefined;
  }
  const injectUsage = input.api.op === 'chat' && input.stream && !input.clientWantsUsage;
  // A previous_response_id the gateway kept means nothing to the provider: it gets the conversation instead.
  if (input.body && (t.overrideParams || injectUsage || input.responses?.history || input.responses?.references)) {
    const next = withOverrides(bodyWithHistory(input, input.body), t);
    if (injectUsage) next.stream_options = { ...(next.stream_options as object | undefined), include_usage: true };
    body = JSON.stringify(next);
  }
  const contentType = input.clientHeaders['content-type'];
  if (contentType && input.api.op === 'passthrough') outHeaders['content-type'] = String(contentType);
  if (input.api.op === 'messages') {
    const v = input.clientHeaders['anthropic-version'];
    if (typeof v === 'string') outHeaders['anthropic-version'] = v;
  }
  return { method: input.method as UpstreamRequest['method'], url, headers: outHeaders, body };
}

export function buildChatRequest(provider: Provider, input: CallInput, t: EffectiveTarget): Record<string, unknown> {
  if (!provider.chat) throw unsupported(provider, input.api.op);
  if (!input.api.toChat || !input.body) throw unsupported(provider, input.api.op);
  if (input.api.op === 'responses' && input.body.store === true && !input.responses?.store) {
    throw badRequest('store: true cannot be honoured: the gateway keeps no responses (RESPONSES_STORE_TTL_S=0); omit store, set it to false, or route to openai / azure-openai', 'store', 'stateless_gateway');
  }
  const chat = withOverrides(input.api.toChat(bodyWithHistory(input, input.body)) as Record<string, unknown>, t);
  chat.stream = input.stream;
  if (provider.nativeOperations?.includes('chat')) stripAnthropicOnlyFields(chat);
  return chat;
}

/** The client's body, with the conversation of the previous_response_id the gateway kept in front of its input. */
function bodyWithHistory(input: CallInput, body: Record<string, unknown>): Record<string, unknown> {
  const plan = input.responses;
  return plan?.history || plan?.references ? withHistory(body, plan.history, plan.references) : body;
}

/** Fields a translated Anthropic request carries that OpenAI-format upstreams would reject. */
function stripAnthropicOnlyFields(chat: Record<string, unknown>): void {
  delete chat.thinking;
  const messages = chat.messages as Array<Record<string, unknown>> | undefined;
  if (!messages?.some((m) => 'thinking_blocks' in m)) return;
  chat.messages = messages.map(({ thinking_blocks: _drop, ...m }) => m);
}

/** The provider's mapping for an operation the gateway translates one body at a time (not chat). */
export function mappingFor(provider: Provider, op: Operation): OperationMapping<never, unknown> | undefined {
  if (op === 'embeddings') return provider.embeddings as OperationMapping<never, unknown> | undefined;
  if (op === 'completions') return provider.completions as OperationMapping<never, unknown> | undefined;
  if (op === 'rerank') return provider.rerank as OperationMapping<never, unknown> | undefined;
  if (op === 'images') return provider.images as OperationMapping<never, unknown> | undefined;
  return undefined;
}

export function buildMappedRequest(provider: Provider, target: ProviderTarget, input: CallInput, t: EffectiveTarget): UpstreamRequest {
  const op: Operation = input.api.op;
  const mapping = mappingFor(provider, op);
  if (!mapping || !input.body) throw unsupported(provider, op);
  return mapping.toRequest(withOverrides(input.body, t) as never, target, { stream: input.stream, traceId: input.traceId });
}

/** Mapped operations whose provider needs several upstream calls for this request (Titan embeddings, Gemini images). */
export function fannedOutRequests(provider: Provider, target: ProviderTarget, input: CallInput, t: EffectiveTarget) {
  const mapping = mappingFor(provider, input.api.op);
  if (!mapping?.toRequests || !input.body) return undefined;
  const req = withOverrides(input.body, t) as never;
  const requests = mapping.toRequests(req, target, { stream: false, traceId: input.traceId });
  return requests.length > 1 ? { mapping, requests, req } : undefined;
}

export function unsupported(provider: Provider, op: Operation): GatewayError {
  return badRequest(`Provider ${provider.id} does not support ${op === 'passthrough' ? 'this endpoint' : op}; route this request to a provider that does (see docs/providers.md).`, 'x-portkey-provider', 'unsupported_operation');
}
