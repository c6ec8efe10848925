/**
 * What a semantic cache's embedding call spends is the caller's: each call gets its own log document
 * (and so its own analytics row: endpoint "embeddings", the embedding model, its usage and cost), under
 * the request's trace id, key, workspace and metadata, and its tokens and cost are charged to the limits
 * the request was reserved against (its key, virtual key, user, workspace and policies) plus the
 * embedding's own virtual key. A budget that only embeddings spend is therefore enforced like any other.
 */
import type { IncomingMessage } from 'node:http';
import type { SemanticEmbedding } from '@portico/contract';
import { scopeOf } from '../entities/types.js';
import type { GatewayError } from '../errors.js';
import { openAIEmbeddingsApi } from '../inbound/apis.js';
import { limitSubjectsFor } from '../limits/subjects.js';
import type { LimitSubject } from '../limits/types.js';
import { costOfUsage } from '../logs/cost.js';
import type { ProviderTarget } from '../providers/types.js';
import type { JsonResult } from './call-target.js';
import { newRequestContext, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';
import { observeResponse } from './respond-stage.js';

/** The span name of an embedding call's log document, under the request's own span. */
export const EMBEDDING_SPAN_NAME = 'semantic-cache-embedding';

export interface EmbeddingCall {
  /** The request whose lookup (or store) made the call. */
  parent: RequestContext;
  embedding: SemanticEmbedding;
  /** The body sent: { model, input }. */
  body: Record<string, unknown>;
  startedAt: number;
  startedWall: number;
  /** The answer, or the error the call ended in (nothing was spent then). */
  result?: JsonResult;
  error?: GatewayError;
}

/** Writes the call's log document and charges what it used; never throws, never waits on the limiter. */
export function recordEmbeddingCall(deps: GatewayDeps, call: EmbeddingCall): void {
  const ctx = embeddingContext(call);
  deps.logStage.begin(ctx);
  deps.logStage.write(ctx);
  const usage = ctx.usage;
  const tokens = usage?.total_tokens ?? usage?.prompt_tokens ?? 0;
  if (!call.result || tokens <= 0) return;
  const costUsd = ctx.provider ? costOfUsage(ctx.provider, ctx.model, ctx.servedModel, usage!).usd : 0;
  void chargeSubjects(deps, call).then(
    (subjects) => { if (subjects.length) deps.limiter.charge(subjects, { tokens, costUsd }); },
    (e: unknown) => deps.logger.warn({ err: e, trace_id: call.parent.traceId }, 'semantic cache: could not charge an embedding call to limits'),
  );
}

/** A request context for the embedding call alone, as the log stage reads one. */
function embeddingContext(call: EmbeddingCall): RequestContext {
  const { parent, embedding, result, error } = call;
  // The client's headers were sent to its own request, not to this call.
  const req = { method: 'POST', headers: {} } as IncomingMessage;
  const ctx = newRequestContext(req, parent.res, openAIEmbeddingsApi, '/v1/embeddings', parent.traceId);
  ctx.startedAt = call.startedAt;
  ctx.startedWall = call.startedWall;
  ctx.upstreamStartedAt = call.startedAt;
  ctx.endedAt = performance.now();
  ctx.endedWall = Date.now();
  ctx.upstreamMs = ctx.endedAt - call.startedAt;
  ctx.key = parent.key;
  ctx.configId = parent.configId;
  ctx.routingConfig = parent.routingConfig;
  const parentSpan = parent.headers?.span;
  ctx.headers = parent.headers && {
    ...parent.headers,
    virtualKey: embedding.virtual_key,
    span: { name: EMBEDDING_SPAN_NAME, parentId: parentSpan?.id ?? parentSpan?.parentId },
  };
  ctx.rawBody = Buffer.from(JSON.stringify(call.body));
  ctx.body = call.body;
  ctx.model = embedding.model;
  // Masked in the document: the request's credentials, and the embedding target's own key.
  const own: ProviderTarget = { apiKey: embedding.api_key, customHost: embedding.custom_host, settings: {} } as ProviderTarget;
  ctx.savedCredentials = [...(parent.savedCredentials ?? []), own];
  ctx.provider = result?.provider ?? embedding.provider;
  const ms = Math.round(ctx.upstreamMs);
  if (result) {
    ctx.status = result.status;
    ctx.model = result.model ?? embedding.model;
    ctx.unobservedResponse = result;
    ctx.responseForLog = result.body;
    observeResponse(ctx);
    ctx.attempts.push({ target: 'config.cache.semantic.embedding', provider: result.provider, model: ctx.model, status: result.status, ms });
  } else {
    ctx.status = error?.status ?? 502;
    ctx.error = error;
    ctx.attempts.push({ target: 'config.cache.semantic.embedding', provider: error?.provider ?? embedding.provider ?? '', model: ctx.model, status: ctx.status, ms, error: error?.message });
  }
  return ctx;
}

/** The request's limit subjects (token and cost rules only are charged) plus the embedding's own virtual key. */
async function chargeSubjects(deps: GatewayDeps, call: EmbeddingCall): Promise<LimitSubject[]> {
  const subjects = [...(call.parent.limitSubjects ?? [])];
  const slug = call.embedding.virtual_key;
  if (slug && slug !== call.parent.headers?.virtualKey) {
    const virtualKey = await deps.entities.getVirtualKey(slug, scopeOf(call.parent.key));
    subjects.push(...limitSubjectsFor({ virtualKey }));
  }
  return subjects;
}
