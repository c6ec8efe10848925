import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import { drainOrClose, toGatewayError } from '../server/respond.js';
import { encodeSseEvent } from '../streaming/framers/sse.js';
import { encodeAwsEventStreamException } from '../streaming/framers/aws-eventstream.js';
import type { CacheHit } from './cache-stage.js';
import { maskTargetSecrets, observeJsonResult, type CallResult, type StreamResult } from './call-target.js';
import type { RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';

/**
 * Upstream response headers worth passing on: request ids and rate-limit state help clients and SDKs;
 * SageMaker answers part of InvokeEndpoint's output in headers (custom attributes, the variant that
 * served, new and closed session ids, the stream's content type).
 */
const PASS_HEADERS = new Set(['x-request-id', 'request-id', 'openai-processing-ms', 'openai-version', 'retry-after', 'content-disposition', 'x-amzn-invoked-production-variant']);
const passes = (name: string): boolean => PASS_HEADERS.has(name) || name.startsWith('x-ratelimit-') || name.startsWith('anthropic-ratelimit-') || name.startsWith('x-amzn-sagemaker-');

function portkeyHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = {
    'x-portkey-trace-id': ctx.traceId,
    'x-portkey-cache-status': ctx.cacheStatus,
    'x-portkey-retry-attempt-count': String(ctx.retries),
  };
  if (ctx.provider) h['x-portkey-provider'] = ctx.provider;
  if (ctx.configUsed && ctx.configPath) h['x-portkey-last-used-option-index'] = ctx.configPath;
  return h;
}

/** Sends a call's result; returns a promise only for a stream, which is pumped until it ends. */
export function sendResult(deps: GatewayDeps, ctx: RequestContext, result: CallResult): Promise<void> | undefined {
  const res = ctx.res;
  const headers = portkeyHeaders(ctx);
  const upstream = result.upstreamHeaders;
  for (const k in upstream) if (passes(k)) headers[k] = upstream[k];
  ctx.status = result.status;
  if (result.kind === 'json') {
    headers['content-type'] = result.contentType;
    headers['content-length'] = String(result.body.length);
    res.writeHead(result.status, headers);
    ctx.firstByteAt = performance.now();
    res.end(result.body);
    ctx.usage = result.usage;
    ctx.servedModel = result.servedModel;
    ctx.responseForLog = result.body;
    ctx.responseParsedForLog = result.parsed;
    // A native body sent as it came is parsed for its usage when something first needs it: limits at
    // the request's end, the cache, or the log flush, where a batch of them parses far faster than one
    // at a time between responses.
    if (result.parseLater) ctx.unobservedResponse = result;
    return;
  }
  return pumpStream(deps, ctx, result, headers);
}

async function pumpStream(deps: GatewayDeps, ctx: RequestContext, result: StreamResult, headers: Record<string, string>): Promise<void> {
  const res = ctx.res;
  headers['content-type'] = result.contentType;
  headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  res.writeHead(result.status, headers);
  ctx.firstByteAt = performance.now();
  // A client that leaves mid-stream releases the upstream at once, not at its next chunk.
  const onClose = () => {
    if (!res.writableFinished) result.cancel();
  };
  res.once('close', onClose);
  // One timer per stream, refreshed per piece: an upstream silent for longer than the request timeout
  // is cut, and the client gets an error event instead of a stream that hangs forever. While the
  // gateway waits for the client to read, the silence is the client's: a client that reads nothing for
  // that long is disconnected (client_too_slow), and the provider is not blamed for it.
  let stalled = false;
  let waitingOnClient = false;
  let clientTooSlow = false;
  const watchdog = setTimeout(() => {
    if (waitingOnClient) {
      clientTooSlow = true;
      res.destroy();
    } else stalled = true;
    result.cancel();
  }, result.idleTimeoutMs);
  let piece: string | Uint8Array = result.first;
  try {
    for (;;) {
      if (res.destroyed) {
        ctx.streamOutcome = clientTooSlow ? 'client_too_slow' : 'client_aborted';
        result.cancel();
        break;
      }
      if (!res.write(piece)) {
        waitingOnClient = true;
        watchdog.refresh();
        await waitForDrain(res);
        waitingOnClient = false;
      }
      watchdog.refresh();
      const next = await result.rest.next();
      watchdog.refresh();
      if (next.done) {
        ctx.streamOutcome = 'complete';
        break;
      }
      piece = next.value;
    }
  } catch (e) {
    if (res.destroyed) {
      ctx.streamOutcome = clientTooSlow ? 'client_too_slow' : 'client_aborted';
    } else {
      const err = stalled ? stalledError(result) : toGatewayError(e, ctx.traceId);
      maskSavedSecrets(ctx, err);
      ctx.error = err;
      ctx.errorStage = 'mid_stream';
      ctx.streamOutcome = 'upstream_error';
      deps.metrics.streamError(result.provider, 'mid_stream');
      res.write(streamErrorEvent(ctx, err, result.contentType));
    }
    result.cancel();
  } finally {
    clearTimeout(watchdog);
    res.off('close', onClose);
    ctx.usage = result.seen.usage ?? ctx.usage;
    if (!res.destroyed) res.end();
  }
}

function stalledError(result: StreamResult): GatewayError {
  return new GatewayError({
    status: 504, type: 'timeout_error', code: 'stream_stalled', provider: result.provider,
    message: `${result.provider} sent nothing for ${result.idleTimeoutMs} ms in the middle of the stream; the response is incomplete. Raise request_timeout if the model pauses this long.`,
  });
}

function waitForDrain(res: ServerResponse): Promise<unknown> {
  return drainOrClose(res);
}

/** A virtual key's saved secret never reaches its user, whatever error text an upstream echoed it in. */
function maskSavedSecrets(ctx: RequestContext, err: GatewayError): void {
  for (const t of ctx.savedCredentials ?? []) maskTargetSecrets(err, t);
}

/** The error event in the client's stream format; never followed by the format's clean terminator. */
function streamErrorEvent(ctx: RequestContext, err: GatewayError, contentType: string): string | Uint8Array {
  // A relayed AWS event stream (SageMaker) ends with an exception message, in its own framing.
  if (contentType.startsWith('application/vnd.amazon.eventstream')) return encodeAwsEventStreamException(err.code ?? 'InternalStreamFailure', err.message);
  const encoder = ctx.api.createStreamEncoder?.({ model: ctx.model ?? '', includeUsage: false, body: ctx.body ?? {} });
  return encoder ? encoder.error(err) : encodeSseEvent(JSON.stringify(err.toBody()));
}

/** Answers from the cache: a request that used no tokens and cost nothing (limits and the log see it so). */
export function sendCacheHit(ctx: RequestContext, hit: CacheHit): void {
  const res = ctx.res;
  ctx.cacheStatus = hit.semantic ? 'SEMANTIC HIT' : 'HIT';
  ctx.provider = hit.provider;
  ctx.usage = hit.completion?.usage;
  ctx.status = 200;
  ctx.firstByteAt = performance.now();
  if (hit.stream) {
    res.writeHead(200, { ...portkeyHeaders(ctx), 'content-type': hit.contentType, 'cache-control': 'no-cache' });
    res.end(hit.pieces.join(''));
    ctx.streamOutcome = 'complete';
  } else {
    endWithBody(ctx, 200, hit.pieces[0], hit.contentType);
  }
}

/** Answers from the gateway's own state (a kept response): JSON, no provider, no tokens. */
export function sendOwnAnswer(ctx: RequestContext, status: number, body: unknown): void {
  ctx.status = status;
  ctx.firstByteAt = performance.now();
  endWithBody(ctx, status, JSON.stringify(body), 'application/json');
}

export function sendError(ctx: RequestContext, err: GatewayError): void {
  maskSavedSecrets(ctx, err);
  ctx.error = err;
  ctx.errorStage = 'before_first_byte';
  ctx.status = err.status;
  const res = ctx.res;
  if (res.headersSent) {
    if (!res.destroyed) res.end();
    return;
  }
  const { status, body } = ctx.api.renderError(err);
  endWithBody(ctx, status, JSON.stringify(body), 'application/json', err.headers);
}

/** Ends the response with a whole body the gateway has (kept for the log), after the Portkey headers. */
function endWithBody(ctx: RequestContext, status: number, text: string, contentType: string, headers?: Record<string, string>): void {
  const bytes = Buffer.from(text);
  ctx.responseForLog = bytes;
  ctx.res.writeHead(status, { ...portkeyHeaders(ctx), ...headers, 'content-type': contentType, 'content-length': String(bytes.length) });
  ctx.res.end(bytes);
}

/** Parses a response that was sent unparsed, once, for its usage and the log: call before reading ctx.usage. */
export function observeResponse(ctx: RequestContext): void {
  const result = ctx.unobservedResponse;
  if (!result) return;
  ctx.unobservedResponse = undefined;
  observeJsonResult(result);
  ctx.usage = result.usage;
  ctx.servedModel = result.servedModel;
  ctx.responseParsedForLog = result.parsed;
}
