/**
 * The semantic half of the cache stage (cache.mode "semantic"): which partition a request searches,
 * and its embedding, made through the configured embedding target like any upstream call (virtual keys,
 * custom_host and the egress policy apply). Runs only for semantic configs; simple ones never reach it.
 */
import type { SemanticCacheSettings, SemanticEmbedding } from '@portico/contract';
import { simpleCacheKey } from '../cache/keys.js';
import { DEFAULT_SEMANTIC_THRESHOLD, type SemanticCache } from '../cache/semantic-cache.js';
import { semanticTextOf } from '../cache/semantic-text.js';
import { normalise } from '../cache/vector-index.js';
import { GatewayError } from '../errors.js';
import { openAIEmbeddingsApi } from '../inbound/apis.js';
import type { EffectiveTarget } from '../routing/execute.js';
import { Abort } from '../upstream/abort.js';
import { callTarget } from './call-target.js';
import { tenantOf, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';
import { recordEmbeddingCall, type EmbeddingCall } from './semantic-usage.js';

export interface SemanticPlan {
  /** Hash of everything that must match exactly: tenant, route or namespace, credential, embedding model, the rest of the body. */
  partition: string;
  threshold: number;
  /** The request's embedding, made at most once (by the lookup, or by the store after a refresh); undefined when it failed. */
  embed: () => Promise<Float32Array | undefined>;
}

/** Largest embedding accepted (text-embedding-3-large has 3072 dimensions). */
const MAX_DIMENSIONS = 16_384;
const EMBEDDING_PATH = 'config.cache.semantic.embedding';

/**
 * The request's semantic plan; undefined when it has no user text to compare (it is then matched
 * exactly, as in simple mode). Throws a 400 when no embedding target is configured anywhere.
 */
export function planSemantic(
  deps: GatewayDeps, ctx: RequestContext, settings: SemanticCacheSettings | undefined, route: readonly string[],
): SemanticPlan | undefined {
  const cache = deps.semantic;
  const embedding = settings?.embedding ?? cache?.defaultEmbedding;
  if (!cache || !embedding) {
    throw new GatewayError({
      status: 400, param: EMBEDDING_PATH, code: 'semantic_cache_not_configured',
      message: 'cache.mode "semantic" needs an embedding model: add cache.semantic.embedding ({"provider" or "virtual_key", "model"}) to the config, or have the operator set SEMANTIC_CACHE_EMBEDDING; or use mode "simple".',
    });
  }
  const found = semanticTextOf(ctx.api.op, ctx.body!);
  if (!found) return undefined;
  const partition = simpleCacheKey({
    tenant: tenantOf(ctx), op: ctx.api.op, credential: ctx.headers!.apiKey, body: found.context,
    route: [...route, 'semantic', embedding.provider ?? '', embedding.virtual_key ?? '', embedding.custom_host ?? '', embedding.model],
  });
  let made: Promise<Float32Array | undefined> | undefined;
  return {
    partition,
    threshold: settings?.threshold ?? DEFAULT_SEMANTIC_THRESHOLD,
    embed: () => (made ??= embedText(deps, cache, ctx, embedding, found.text)),
  };
}

/** The text's unit embedding; undefined (counted, logged at most every 10 s) on any failure. */
async function embedText(deps: GatewayDeps, cache: SemanticCache, ctx: RequestContext, embedding: SemanticEmbedding, text: string): Promise<Float32Array | undefined> {
  const target: EffectiveTarget = {
    path: EMBEDDING_PATH, provider: embedding.provider, apiKey: embedding.api_key, virtualKey: embedding.virtual_key, customHost: embedding.custom_host,
    requestTimeout: embedding.request_timeout ?? cache.embeddingTimeoutMs, settings: {},
  };
  const body = { model: embedding.model, input: text };
  const buffers = deps.responseBuffers.lease();
  const call: EmbeddingCall = { parent: ctx, embedding, body, startedAt: performance.now(), startedWall: Date.now() };
  try {
    const result = await callTarget(deps, {
      api: openAIEmbeddingsApi, path: '/v1/embeddings', method: 'POST', rawBody: Buffer.from(JSON.stringify(body)), body,
      // The client's headers are its request's, not the embedding call's.
      clientHeaders: {}, principal: ctx.key, sink: ctx, stream: false, clientWantsUsage: false, assemble: false,
      traceId: ctx.traceId, signal: new Abort(), upstreamTimes: [], tenant: ctx.key ? tenantOf(ctx) : undefined, buffers,
    }, target);
    if (result.kind !== 'json') {
      result.cancel();
      throw new Error('the embedding target answered with a stream');
    }
    call.result = result;
    const vector = normalise(embeddingIn(result.body));
    if (!vector) throw new Error('the embedding is all zeros');
    cache.counts.embedOk++;
    return vector;
  } catch (e) {
    if (e instanceof GatewayError) call.error = e;
    cache.counts.embedFailed++;
    warnAtMostEvery10s(deps, (e as Error).message);
    return undefined;
  } finally {
    // Paid for (or failed) either way: logged and charged to the caller's limits.
    recordEmbeddingCall(deps, call);
    buffers.release();
  }
}

/** data[0].embedding of OpenAI's embeddings response, as floats; throws on anything else. */
export function embeddingIn(body: Buffer): number[] {
  const parsed = JSON.parse(body.toString('utf8')) as { data?: Array<{ embedding?: unknown }> };
  const v = parsed?.data?.[0]?.embedding;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_DIMENSIONS || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error('the embedding response has no data[0].embedding of finite numbers');
  }
  return v as number[];
}

let lastWarnAt = 0;
function warnAtMostEvery10s(deps: GatewayDeps, reason: string): void {
  const now = Date.now();
  if (now - lastWarnAt < 10_000) return;
  lastWarnAt = now;
  deps.logger.warn({ reason }, 'semantic cache: embedding failed; serving by exact match');
}
