import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import type { InboundApi, StreamEncoder } from '../inbound/types.js';
import type { GatewayKey } from '../entities/types.js';
import type { ChatChunk, ChatCompletion, Provider, ProviderTarget, UpstreamRequest, Usage } from '../providers/types.js';
import { tryParseJson } from '../providers/upstream-error.js';
import { usageFromOpenAIBody, usageFromResponsesApi } from '../providers/usage.js';
import type { EffectiveTarget } from '../routing/execute.js';
import { createFramer } from '../streaming/framers/index.js';
import { ChunkAssembler } from '../streaming/chunk-assembler.js';
import { readUpstreamBody, sendUpstream, upstreamChunks, type UpstreamResponse } from '../upstream/send.js';
import { ResponseBufferFullError } from '../upstream/exchange.js';
import { responseBufferFull, type BufferLease } from './response-buffers.js';
import type { GatewayDeps } from './deps.js';
import { nativeObserverFor } from './native-observers.js';
import { relayObservedStream, relayOpenAIChatStream, translateStream, type StreamObservation } from './streams.js';
import { resolveProviderTarget, type RequestOrigin } from './resolve-target.js';
import { Abort, type AbortLike } from '../upstream/abort.js';
import { fanOut } from './fan-out.js';
import { pushingBack, type StreamedUpload } from './upload.js';
import { refuseUnknownResponseId, type ResponsesPlan } from './responses-stage.js';
import { addTargetSecrets, maskSecrets } from '../logs/known-secrets.js';
import { isCredentialName } from '../logs/redact.js';
import { strictChat } from './strict-compliance.js';
import { withProtocolHeaders } from './protocol-headers.js';
import { buildChatRequest, buildMappedRequest, buildNativeRequest, fannedOutRequests, mappingFor, sentModel, unsupported } from './build-request.js';

export { sentModel } from './build-request.js';

/** One inbound request, as the call stage needs it. */
export interface CallInput {
  api: InboundApi;
  /** Inbound path with its query string, e.g. /v1/chat/completions. */
  path: string;
  method: string;
  rawBody?: Buffer;
  /** A body too large to buffer (passthrough uploads): streamed, and sent once. */
  upload?: StreamedUpload;
  /** /v1/responses: the stored conversation to send before the input, and what the Response echoes. */
  responses?: ResponsesPlan;
  body?: Record<string, unknown>;
  clientHeaders: IncomingHttpHeaders;
  /** The caller's gateway key, when keys are configured: whose virtual keys it may use. */
  principal?: GatewayKey;
  /** The request's context: where targets resolved from a virtual key are recorded, and where the config came from. */
  sink: RequestOrigin;
  stream: boolean;
  /** The client asked for the usage chunk (stream_options.include_usage). */
  clientWantsUsage: boolean;
  /** Assemble streamed output for the response cache. */
  assemble: boolean;
  /** strict_open_ai_compliance: translated chat answers carry only OpenAI's fields. */
  strictOpenAI?: boolean;
  traceId: string;
  /** W3C traceparent of this attempt's span (OpenTelemetry on): sent to the provider. */
  traceparent?: string;
  signal: AbortLike;
  /** Each attempt's time to upstream headers, for the metrics, observed once the response is sent. */
  upstreamTimes: UpstreamTime[];
  /** The request's tenant when gateway keys exist: it holds at most its share of each upstream's pool. */
  tenant?: string;
  /** The request's share of the buffer budget for non-streamed answers, released when the response closes. */
  buffers: BufferLease;
}

export interface UpstreamTime {
  provider: string;
  status: number;
  seconds: number;
}

interface ResultBase {
  status: number;
  provider: string;
  /** The model this attempt sent upstream: the client's, or the target's override_params.model. */
  model?: string;
  target: EffectiveTarget;
  upstreamHeaders: Record<string, string>;
}

export interface JsonResult extends ResultBase {
  kind: 'json';
  contentType: string;
  body: Buffer;
  usage?: Usage;
  /** The response as an OpenAI chat completion, when there is one (cache). */
  completion?: ChatCompletion;
  /** The body parsed as JSON, when it was parsed anyway (the log reuses it). */
  parsed?: unknown;
  /** The model the provider says it served, when its response names one. */
  servedModel?: string;
  /** A native body not parsed yet: observeJsonResult() reads its usage once something needs it (see observeResponse). */
  parseLater?: { chat: boolean; usage: (parsed: unknown) => Usage | undefined };
}

export interface StreamResult extends ResultBase {
  kind: 'stream';
  contentType: string;
  /** The first output piece, already read: the call is committed once it exists. */
  first: string | Uint8Array;
  rest: AsyncIterator<string | Uint8Array>;
  seen: StreamObservation;
  cancel(): void;
  /** Longest silence allowed between upstream chunks once the stream is committed. */
  idleTimeoutMs: number;
}

export type CallResult = JsonResult | StreamResult;

const MAX_ERROR_BODY = 1024 * 1024;
const EMPTY = Buffer.alloc(0);
const MAX_RESPONSE_BODY = 64 * 1024 * 1024;

/** Calls one resolved target: build the upstream request, send it, and map the response. */
export async function callTarget(deps: GatewayDeps, input: CallInput, t: EffectiveTarget): Promise<CallResult> {
  const resolving = resolveProviderTarget(deps, t, input.clientHeaders, input.principal, input.sink);
  const { provider, target } = resolving instanceof Promise ? await resolving : resolving;
  if (t.virtualKey) (input.sink.savedCredentials ??= []).push(target);
  const op = input.api.op;
  const native = (provider.nativeOperations?.includes(op) ?? false) || (op === 'passthrough' && !!provider.passthrough);
  if (op === 'passthrough') refuseUnknownResponseId(provider, input.method, input.path);
  // The client may ask for less time than the operator's ceiling, never more.
  const timeoutMs = Math.min(t.requestTimeout ?? deps.defaultTimeoutMs, deps.maxTimeoutMs);

  // One controller per attempt, aborted by the timeout or by the client going away.
  const abort = new Abort();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  const onClientGone = () => abort.abort();
  if (input.signal.aborted) abort.abort();
  else input.signal.once('abort', onClientGone);
  const signal = abort;
  const dispatcher = target.customHost ? deps.clients.custom : deps.clients.trusted;
  const share = input.tenant === undefined ? undefined : { shares: deps.tenantShares, tenant: input.tenant };
  const started = performance.now();
  let res: UpstreamResponse | undefined;

  try {
    const fanned = !native ? fannedOutRequests(provider, target, input, t) : undefined;
    if (fanned) {
      const out = await fanOut(provider, fanned.mapping, fanned.requests, fanned.req, target, { dispatcher, signal, timedOut: () => timedOut, share, take: input.buffers.take, authorize: deps.authorize });
      const body = Buffer.from(JSON.stringify(out));
      return { kind: 'json', status: 200, provider: provider.id, model: provider.targetModel?.(target, input.path) ?? sentModel(input, t), target: t, upstreamHeaders: {}, contentType: 'application/json', body, usage: usageOf(out), servedModel: modelIn(out) };
    }
    let upstreamReq: UpstreamRequest;
    let translated: { chat: Record<string, unknown> } | undefined;
    if (native) upstreamReq = buildNativeRequest(provider, target, input, t);
    else if (op === 'chat' || op === 'messages' || op === 'responses') {
      const chat = buildChatRequest(provider, input, t);
      translated = { chat };
      upstreamReq = provider.chat!.toRequest(chat as never, target, { stream: input.stream, traceId: input.traceId });
    } else upstreamReq = buildMappedRequest(provider, target, input, t);
    upstreamReq.headers = withProtocolHeaders(provider, input.clientHeaders, upstreamReq.headers);
    if (target.forwardHeaders) upstreamReq.headers = { ...upstreamReq.headers, ...target.forwardHeaders };
    if (input.traceparent) upstreamReq.headers = { ...upstreamReq.headers, traceparent: input.traceparent };
    if (provider.authorize) upstreamReq = await provider.authorize(upstreamReq, target, deps.authorize);

    res = await sendUpstream(dispatcher, upstreamReq, { signal, provider: provider.id, timedOut: () => timedOut, upload: input.upload && pushingBack(input.upload.chunks(), timer), share });
    input.upstreamTimes.push({ provider: provider.id, status: res.status, seconds: (performance.now() - started) / 1000 });
    if (res.status >= 400) {
      const text = (await readUpstreamBody(res.body, MAX_ERROR_BODY, provider.id).catch(() => EMPTY)).toString('utf8');
      throw provider.mapError(res.status, text, res.headers);
    }
    const base = { status: res.status, provider: provider.id, model: provider.targetModel?.(target, input.path) ?? sentModel(input, t), target: t, upstreamHeaders: res.headers };
    // Other /v1 paths (files, audio, batches) relay their response as it arrives, whatever its type.
    const relayRaw = native && op === 'passthrough' && res.status !== 204 && res.headers['content-length'] !== '0';
    if (!input.stream && !relayRaw) {
      // Small responses have usually arrived with their headers.
      const body = readWithin(input.buffers, res.body.completeBody(MAX_RESPONSE_BODY)) ?? await readUpstreamBody(res.body, MAX_RESPONSE_BODY, provider.id, input.buffers.take);
      return toJsonResult(provider, input, target, body, res, translated, native, base);
    }
    const upstreamBody = res.body;
    const streamed = startStream(provider, input, res, translated, native);
    const first = await streamed.rest.next();
    if (first.done && relayRaw) return { ...base, kind: 'json', contentType: res.headers['content-type'] ?? 'application/octet-stream', body: Buffer.alloc(0) };
    if (first.done) throw new GatewayError({ status: 502, type: 'upstream_error', code: 'empty_stream', provider: provider.id, message: `${provider.id} ended the stream without sending anything.` });
    return {
      kind: 'stream', status: base.status, provider: base.provider, model: base.model, target: base.target, upstreamHeaders: base.upstreamHeaders,
      contentType: streamed.contentType, first: first.value, rest: streamed.rest, seen: streamed.seen, cancel: () => upstreamBody.destroy(), idleTimeoutMs: timeoutMs,
    };
  } catch (e) {
    // A response left unread would hold its pooled connection until the upstream gave up.
    res?.body.destroy();
    // An upstream that echoes the credential in its error must not relay it to the client or the log.
    if (e instanceof GatewayError) maskTargetSecrets(e, target);
    if (e instanceof ResponseBufferFullError) {
      deps.metrics.responseBufferFull();
      throw responseBufferFull(provider.id, deps.responseBuffers.max);
    }
    // Our timer fired: whatever the abort surfaced as, the answer is this 408.
    if (timedOut) {
      const what = input.upload ? `made no progress for ${timeoutMs} ms (an upload's timeout counts from its last chunk)` : `timed out after ${timeoutMs} ms`;
      throw new GatewayError({ status: 408, type: 'timeout_error', code: 'request_timeout', provider: provider.id, message: `Request to ${provider.id} ${what}; raise request_timeout in the config or x-portkey-request-timeout.` });
    }
    throw e;
  } finally {
    // A committed stream is cancelled through result.cancel() when the client leaves.
    clearTimeout(timer);
    input.signal.off('abort', onClientGone);
  }
}

/** Masks the target's credentials in an error's message, in place. */
export function maskTargetSecrets(err: GatewayError, target: ProviderTarget): void {
  const secrets: string[] = [];
  addTargetSecrets(secrets, target, isCredentialName);
  if (secrets.length) err.message = maskSecrets(err.message, secrets);
}

/** A body that arrived with its headers, counted against the buffer budget; throws when there is no room. */
function readWithin(buffers: BufferLease, body: Buffer | undefined): Buffer | undefined {
  if (body && !buffers.take(body.length)) throw new ResponseBufferFullError();
  return body;
}

const modelIn = (body: unknown): string | undefined => {
  const m = (body as { model?: unknown } | undefined)?.model;
  return typeof m === 'string' && m !== '' ? m : undefined;
};

function toJsonResult(
  provider: Provider,
  input: CallInput,
  target: ProviderTarget,
  body: Buffer,
  res: UpstreamResponse,
  translated: { chat: Record<string, unknown> } | undefined,
  native: boolean,
  base: ResultBase,
): JsonResult {
  const contentType = res.headers['content-type'] ?? 'application/json';
  if (native) {
    // Bytes go back untouched. JSON bodies are parsed for their usage only after they are sent.
    const op = input.api.op;
    const usage = (parsed: unknown) => provider.nativeUsage ? provider.nativeUsage(op, parsed) : usageFromOpenAIBody(op, parsed);
    return jsonResult(base, contentType, body, undefined, undefined, contentType.includes('json') ? { chat: op === 'chat', usage } : undefined);
  }
  const parsed = tryParseJson(body.toString('utf8'));
  if (parsed === undefined) throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: provider.id, message: `${provider.id} returned a body that is not JSON.` });
  if (translated) {
    const mapped = provider.chat!.fromResponse(parsed, translated.chat as never, target);
    const completion = input.strictOpenAI && input.api.op === 'chat' ? strictChat(mapped) : mapped;
    const out = input.api.fromChat!(completion, input.responses?.echo ?? input.body!);
    const result = jsonResult(base, 'application/json', Buffer.from(JSON.stringify(out)), completion.usage, completion);
    result.servedModel = modelIn(completion);
    return result;
  }
  const op = input.api.op;
  const mapping = mappingFor(provider, op)!;
  const out = mapping.fromResponse(parsed, input.body as never, target, res.headers) as { usage?: Usage };
  const result = jsonResult(base, 'application/json', Buffer.from(JSON.stringify(out)), usageOf(out));
  result.servedModel = modelIn(out);
  return result;
}

/** Every JSON result built with one object shape: spreading a base into per-branch literals made several. */
function jsonResult(base: ResultBase, contentType: string, body: Buffer, usage?: Usage, completion?: ChatCompletion, parseLater?: JsonResult['parseLater']): JsonResult {
  return {
    kind: 'json', status: base.status, provider: base.provider, model: base.model, target: base.target, upstreamHeaders: base.upstreamHeaders,
    contentType, body, usage, completion, parsed: undefined, servedModel: undefined, parseLater,
  };
}

/** Parses a native JSON body that was sent as is: its usage (limits, log), and the completion (cache). */
export function observeJsonResult(result: JsonResult): void {
  const later = result.parseLater;
  if (!later) return;
  result.parseLater = undefined;
  const parsed = tryParseJson(result.body.toString('utf8'));
  result.parsed = parsed;
  result.usage = later.usage(parsed);
  result.servedModel = modelIn(parsed);
  if (later.chat && parsed && typeof parsed === 'object') result.completion = parsed as ChatCompletion;
}

/** The usage of a body the gateway built itself, in OpenAI's shape (mapped and fanned-out responses). */
function usageOf(out: unknown): Usage | undefined {
  const u = (out as { usage?: Usage } | undefined)?.usage;
  if (!u || typeof u !== 'object') return undefined;
  // The images API counts input_tokens / output_tokens, as the Responses API does.
  return typeof u.prompt_tokens === 'number' ? u : usageFromResponsesApi(u);
}

function startStream(
  provider: Provider,
  input: CallInput,
  res: UpstreamResponse,
  translated: { chat: Record<string, unknown> } | undefined,
  native: boolean,
): { contentType: string; rest: AsyncIterator<string | Uint8Array>; seen: StreamObservation } {
  const seen: StreamObservation = { assembler: input.assemble ? new ChunkAssembler() : undefined };
  const source = upstreamChunks(res.body, provider.id);
  const op = input.api.op;
  if (native && op === 'chat') {
    return { contentType: 'text/event-stream', rest: relayOpenAIChatStream(source, createFramer('sse'), input.clientWantsUsage, seen), seen };
  }
  if (native) {
    const contentType = res.headers['content-type'] ?? 'text/event-stream';
    const observer = nativeObserverFor(provider.id, op, input.assemble, contentType);
    if (!observer) return { contentType, rest: passthroughBytes(source), seen };
    return { contentType, rest: relayObservedStream(source, createFramer(observer.framer ?? 'sse'), observer, seen), seen };
  }
  const mapping = (translated ? provider.chat : provider.completions)?.stream;
  if (!mapping || !input.api.createStreamEncoder) throw unsupported(provider, op);
  const model = input.api.modelOf(input.body) ?? '';
  const state = mapping.createState({ model, includeUsage: true });
  const created = input.api.createStreamEncoder({
    model, includeUsage: input.clientWantsUsage, body: input.responses?.echo ?? input.body ?? {}, finished: (response) => (seen.clientBody = response),
  });
  const encoder: StreamEncoder = input.strictOpenAI && op === 'chat'
    ? { encode: (chunk: ChatChunk) => created.encode(strictChat(chunk)), end: () => created.end(), error: (e) => created.error(e) }
    : created;
  return { contentType: 'text/event-stream', rest: translateStream(source, createFramer(mapping.framer), mapping, state, encoder, seen), seen };
}

async function* passthroughBytes(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const b of source) yield b;
}
