import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { Abort } from '../upstream/abort.js';
import type { InboundApi } from '../inbound/types.js';
import { guardrailsOf, targetGuardrailsOf } from '../routing/config-schema.js';
import { executeConfig } from '../routing/execute.js';
import { stickyKeyOf } from '../resilience/sticky.js';
import { toGatewayError } from '../server/respond.js';
import { authenticate } from './authenticate.js';
import { parseJsonBody, readBody } from './body.js';
import { chatEntry, forwardedNames, lookupCache, planCache, rawEntry, storeInCache, type CacheHit, type CachePlan } from './cache-stage.js';
import { callTarget, observeJsonResult, sentModel, type CallResult, type UpstreamTime } from './call-target.js';
import { newRequestContext, tenantOf, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';
import { GUARDRAILS_DENIED, guardAttempt, guardRequest, guardResult, guardStreamEnd } from './guardrail-stage.js';
import { parsePortkeyHeaders } from './headers.js';
import { resolveModelSlug } from './provider-slug.js';
import { defaultGuardrails, withDefaults } from './default-guardrails.js';
import { strictCompliance } from './strict-compliance.js';
import { reserveExtraAttempt, reserveLimits, reserveTargetKey, type TargetKeyReservation } from './limit-stage.js';
import { baseTargetFromHeaders, resolveRoutingConfig } from './resolve-config.js';
import { observeResponse, sendCacheHit, sendError, sendOwnAnswer, sendResult } from './respond-stage.js';
import type { AttemptSpan, RequestSpan, Tracing } from '../observability/tracing.js';
import { answerKeptResponse, planResponses, rememberResponse } from './responses-stage.js';

/**
 * The inference pipeline: parse → authenticate → resolve config → limit → guardrails → cache → route/call →
 * respond → log. Each stage is a small function; this one only sequences them.
 */
/** A body the gateway built itself (a rendered prompt), used instead of reading the request's. */
export interface PreparedBody {
  body: Record<string, unknown>;
  promptId?: string;
  /** The prompt's saved provider, used unless the request names a provider, virtual key or config. */
  virtualKey?: string;
  /** The path the client called, for the log document (the call itself goes to `path`). */
  clientPath?: string;
}

export async function handleInference(deps: GatewayDeps, req: IncomingMessage, res: ServerResponse, api: InboundApi, path: string, prepared?: PreparedBody): Promise<void> {
  const ctx = newRequestContext(req, res, api, prepared?.clientPath ?? path, randomUUID());
  deps.logStage.begin(ctx);
  const clientGone = new Abort();
  const buffers = deps.responseBuffers.lease();
  // Closed once the answer is sent (all of it handed to the kernel) or the connection is gone.
  res.once('close', () => {
    buffers.release();
    if (!res.writableFinished) clientGone.abort();
  });
  deps.metrics.enter();
  let settle: (() => void) | undefined;
  let servedBy: TargetKeyReservation | undefined;
  let settleBreaker: ((status: number) => void) | undefined;
  let span: RequestSpan | undefined;
  // Observed once the response is under way: metrics never stand between the upstream and the client.
  const upstreamTimes: UpstreamTime[] = [];
  try {
    const headers = parsePortkeyHeaders(req.headers, ctx.traceId);
    ctx.headers = headers;
    ctx.traceId = headers.traceId;
    if (deps.entities.authRequired()) ctx.key = await authenticate(deps.entities, headers.gatewayKey, 'completions');
    if (ctx.key?.defaults?.metadata) headers.metadata = { ...ctx.key.defaults.metadata, ...headers.metadata };

    if (prepared) {
      ctx.body = prepared.body;
      ctx.rawBody = Buffer.from(JSON.stringify(prepared.body));
      ctx.promptId = prepared.promptId;
      if (prepared.virtualKey && !headers.virtualKey && !headers.provider && !headers.config) headers.virtualKey = prepared.virtualKey;
    } else {
      const body = await readBody(req, deps.maxBodyBytes, mayStreamUpload(api, req) ? deps.maxUploadBytes : undefined);
      if (Buffer.isBuffer(body)) ctx.rawBody = body;
      else ctx.upload = body;
      ctx.body = parseBodyFor(deps, api, ctx);
    }
    const slugged = ctx.body && resolveModelSlug(ctx.body, headers);
    if (slugged) {
      ctx.body = slugged;
      ctx.rawBody = Buffer.from(JSON.stringify(slugged));
    }
    if (ctx.body) api.validate?.(ctx.body);
    ctx.stream = api.isStream(ctx.body);
    ctx.model = api.modelOf(ctx.body);
    if (deps.tracing) span = startSpan(deps.tracing, ctx, req);
    if (api.op === 'responses' && ctx.body) ctx.responses = await planResponses(deps, ctx);
    if (api.op === 'passthrough') {
      const kept = await answerKeptResponse(deps, ctx);
      if (kept) return sendOwnAnswer(ctx, kept.status, kept.body);
    }

    const resolved = resolveRoutingConfig(deps, headers, ctx.key);
    const { config, used, operator, id: configId } = resolved instanceof Promise ? await resolved : resolved;
    ctx.configUsed = used;
    ctx.configId = configId;
    ctx.operatorConfig = operator;
    ctx.routingConfig = config;

    const reserving = reserveLimits(deps, ctx);
    if (reserving) settle = await reserving;

    // After the limits, so a denied request still counts as one (with no tokens and no cost).
    const guardrails = withDefaults(defaultGuardrails(req.headers), guardrailsOf(config));
    if (guardrails) await guardRequest(ctx, guardrails, deps.guardrails);

    // The root config's cache is looked up once, before routing; a target's own cache, per attempt.
    const plan = config.cache && planCache(deps, ctx, config.cache, '', forwardedNames(config, headers.forwardHeaders));
    if (plan) {
      ctx.cacheStatus = plan.status;
      const hit = await lookupCache(deps, ctx, plan);
      if (hit) {
        sendCacheHit(ctx, hit);
        return;
      }
    }
    let servedPlan = plan;

    const strictOpenAI = strictCompliance(req.headers, config);
    const clientWantsUsage = (ctx.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    ctx.upstreamStartedAt = performance.now();
    let upstreamAttempts = 0;
    const { value: result, report } = await executeConfig<CallResult | CacheHit>(
      config,
      baseTargetFromHeaders(headers),
      { metadata: headers.metadata, params: ctx.body ?? {}, url: { pathname: ctx.path.split('?')[0] } },
      async (target) => {
        const started = performance.now();
        // What this attempt sends is what is logged, priced, counted and limited, even if it fails.
        const model = sentModel({ api, body: ctx.body }, target);
        ctx.model = model;
        let targetKey: TargetKeyReservation | undefined;
        let attemptSpan: AttemptSpan | undefined;
        const targetPlan = plan ? undefined : planCache(deps, ctx, target.cache, target.path, target.forwardHeaders);
        if (!plan) ctx.cacheStatus = targetPlan?.status ?? 'DISABLED';
        if (targetPlan) {
          const hit = await lookupCache(deps, ctx, targetPlan);
          if (hit) return hit;
        }
        // The first attempt was reserved with the request; each further one counts as one more request.
        if (upstreamAttempts++ > 0) await reserveExtraAttempt(deps, ctx);
        try {
          attemptSpan = span?.attempt({ target: target.path, provider: target.provider, model: ctx.model, host: target.customHost });
          if (target.virtualKey && target.virtualKey !== headers.virtualKey) targetKey = await reserveTargetKey(deps, ctx, target.virtualKey);
          // A target's own hooks (and those of the targets above it) run around each attempt on it.
          const own = targetGuardrailsOf(config, target.path);
          const sent = own ? await guardAttempt(ctx, own, deps.guardrails) : undefined;
          const attemptGuardrails = withDefaults(guardrails, own && (own.before.length || own.after.length) ? own : undefined);
          const called = await callTarget(deps, {
            api, path, method: req.method ?? 'POST', rawBody: sent?.rawBody ?? ctx.rawBody, upload: ctx.upload, responses: ctx.responses, body: sent?.body ?? ctx.body, clientHeaders: req.headers, principal: ctx.key, sink: ctx,
            stream: ctx.stream, clientWantsUsage, strictOpenAI, assemble: !!(plan ?? targetPlan) || !!attemptGuardrails?.after.length, traceId: ctx.traceId, traceparent: attemptSpan?.traceparent, signal: clientGone, upstreamTimes,
            tenant: ctx.key ? tenantOf(ctx) : undefined, buffers,
          }, target);
          // Per attempt: an output guardrail's 446 is a failure like any other, so a fallback can move on.
          const r = attemptGuardrails ? await guardResult(ctx, attemptGuardrails, called, deps.guardrails) : called;
          ctx.attempts.push({ target: target.path, provider: r.provider, model, status: r.status, ms: Math.round(performance.now() - started) });
          attemptSpan?.end(r.status);
          servedBy = targetKey;
          // A target that turns the cache off keeps its answers out of the root config's cache too.
          servedPlan = target.cache?.mode === 'disabled' ? undefined : plan ?? targetPlan;
          return r;
        } catch (e) {
          const err = toGatewayError(e, ctx.traceId);
          // A response the guardrails denied was still produced, and paid for.
          if (err.code === GUARDRAILS_DENIED) targetKey?.served();
          else targetKey?.failed();
          ctx.attempts.push({ target: target.path, provider: err.provider ?? target.provider ?? '', model, status: err.status, ms: Math.round(performance.now() - started), error: err.message });
          attemptSpan?.end(err.status, { type: err.code ?? err.type, message: err.message });
          throw err;
        } finally {
          ctx.upstreamMs += performance.now() - started;
        }
      },
      {
        onRetry: (t) => deps.metrics.retry(t.provider ?? ''),
        onFallback: (t) => deps.metrics.fallback(t.provider ?? ''),
        signal: clientGone,
        canRepeat: ctx.upload && (() => !ctx.upload!.started),
        breakers: deps.breakers,
        health: deps.targetHealth,
        stickyKey: (prefixMessages) => stickyKeyOf(ctx.body, headers.stickyKey, prefixMessages),
        settlesLater: (r) => (r as CallResult | CacheHit).kind === 'stream',
        onBreakerSkip: (target, retryAt) => ctx.attempts.push({ target, provider: '', status: 503, ms: 0, error: `circuit breaker open until ${new Date(retryAt).toISOString()}`, breaker: 'open' }),
        onBreakerOutcome: (target, admittedAs, opened) => {
          const last = ctx.attempts[ctx.attempts.length - 1];
          if (last?.target !== target) return;
          last.breaker = admittedAs;
          if (opened) last.breaker_opened = true;
        },
      },
    );
    settleBreaker = report.settleBreaker;
    ctx.retries = report.retries;
    ctx.fallbacks = report.fallbacks;
    ctx.configPath = report.target?.path;
    if (result.kind === 'cached') {
      sendCacheHit(ctx, result);
      return;
    }
    ctx.provider = result.provider;
    ctx.model = result.model ?? ctx.model;
    closeIfBodyStillArriving(ctx);
    const streaming = sendResult(deps, ctx, result);
    observeUpstreamTimes(deps, upstreamTimes);
    if (streaming) await streaming;
    if (result.kind === 'stream') ctx.servedModel = result.seen.model;
    const servedOwn = report.target && targetGuardrailsOf(config, report.target.path);
    const servedGuardrails = withDefaults(guardrails, servedOwn?.after.length ? servedOwn : undefined);
    if (servedGuardrails && result.kind === 'stream') guardStreamEnd(ctx, servedGuardrails, result, deps.guardrails);
    if (servedPlan && ctx.status < 300 && !ctx.error) cacheResult(deps, servedPlan, result);
    if (ctx.responses) rememberResponse(deps, ctx, result);
  } catch (e) {
    // A client that left is why the call stopped, whatever error the abort surfaced as.
    const err = clientGone.aborted && !res.headersSent ? clientClosedRequest() : toGatewayError(e, ctx.traceId);
    const report = (e as { retries?: number }).retries;
    if (report !== undefined) ctx.retries = report;
    if (err.status >= 500 && !(e instanceof GatewayError)) deps.logger.error({ err: e, trace_id: ctx.traceId }, 'unexpected error while handling a request');
    closeIfBodyStillArriving(ctx);
    sendError(ctx, err);
  } finally {
    // A stream that broke after its first byte counts against its target's breaker.
    settleBreaker?.(ctx.errorStage === 'mid_stream' && ctx.error ? ctx.error.status : ctx.streamOutcome === 'client_aborted' || ctx.streamOutcome === 'client_too_slow' ? 499 : 200);
    observeUpstreamTimes(deps, upstreamTimes);
    deps.metrics.leave();
    settle?.();
    servedBy?.served();
    deps.metrics.requestDone(api.op, ctx.provider, ctx.model, ctx.status, (performance.now() - ctx.startedAt) / 1000);
    if (span) endSpan(span, ctx);
    if (ctx.cacheStatus !== 'DISABLED') deps.metrics.cache(ctx.cacheStatus);
    // "async": true guardrail hooks never hold the response; the document waits for their verdicts.
    if (ctx.backgroundHooks) {
      // The document's times are the request's, not the hooks'.
      ctx.endedAt = performance.now();
      ctx.endedWall = Date.now();
      void Promise.all(ctx.backgroundHooks).then(() => deps.logStage.write(ctx));
    } else deps.logStage.write(ctx);
  }
}

function startSpan(tracing: Tracing, ctx: RequestContext, req: IncomingMessage): RequestSpan | undefined {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return tracing.startRequest({ operation: ctx.api.op, model: ctx.model, path: ctx.path, method: req.method ?? 'POST', traceparent: one(req.headers.traceparent), tracestate: one(req.headers.tracestate), portkeyTraceId: ctx.traceId });
}

/** Tracing on only: the usage of a response sent unparsed is parsed now rather than at the log flush. */
function endSpan(span: RequestSpan, ctx: RequestContext): void {
  observeResponse(ctx);
  const u = ctx.usage;
  span.end({
    status: ctx.status, provider: ctx.provider, model: ctx.model, inputTokens: u?.prompt_tokens, outputTokens: u?.completion_tokens,
    cachedTokens: u?.prompt_tokens_details?.cached_tokens, errorType: ctx.error ? ctx.error.code ?? ctx.error.type : undefined, retries: ctx.retries, cacheStatus: ctx.cacheStatus,
  });
}

function observeUpstreamTimes(deps: GatewayDeps, times: UpstreamTime[]): void {
  for (const t of times) deps.metrics.upstreamLatency(t.provider, t.status, t.seconds);
  times.length = 0;
}

/** 499, nginx's status for it: recorded in the log document and metrics; nobody is left to read it. */
function clientClosedRequest(): GatewayError {
  return new GatewayError({ status: 499, code: 'client_closed_request', message: 'The client closed the connection before the response was sent.' });
}

/**
 * A body still arriving when the answer goes out (an upload the upstream stopped reading, one refused with
 * 413): close the connection after answering, rather than read and discard the rest to keep it alive.
 */
function closeIfBodyStillArriving(ctx: RequestContext): void {
  if (!ctx.req.complete && !ctx.res.headersSent) ctx.res.setHeader('connection', 'close');
}

/** Other /v1 paths with a body that is not JSON (files, audio) may stream it past MAX_BODY_BYTES. */
function mayStreamUpload(api: InboundApi, req: IncomingMessage): boolean {
  return api.op === 'passthrough' && !req.headers['content-type']?.includes('json');
}

function parseBodyFor(deps: GatewayDeps, api: InboundApi, ctx: RequestContext): Record<string, unknown> | undefined {
  const method = ctx.req.method ?? 'POST';
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE' || ctx.upload) return undefined;
  const contentType = ctx.req.headers['content-type'];
  if (api.op === 'passthrough') {
    // Other endpoints (files, audio) may send multipart or binary bodies: parse only JSON ones.
    if (!contentType?.includes('json') || ctx.rawBody!.length === 0) return undefined;
  }
  return parseJsonBody(ctx.rawBody!, contentType, deps.maxBodyDepth);
}

function cacheResult(deps: GatewayDeps, plan: CachePlan, result: CallResult): void {
  if (result.kind === 'json') {
    observeJsonResult(result);
    storeInCache(deps, plan, result.completion ? chatEntry(result.provider, result.completion) : rawEntry(result.provider, result.contentType, result.body));
  } else {
    const completion = result.seen.assembler?.result();
    if (completion) storeInCache(deps, plan, chatEntry(result.provider, completion));
  }
}
