import { simpleCacheKey } from '../cache/keys.js';
import type { ChatCompletion } from '../providers/types.js';
import { completionToChunks } from '../streaming/chunk-assembler.js';
import { tenantOf, type CacheStatus, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';

/** A cached response: an OpenAI chat completion (servable as JSON or SSE, in any inbound format) or raw bytes. */
interface CacheEntry {
  format: 'chat' | 'raw';
  contentType: string;
  provider: string;
  body: string;
}

export interface CachePlan {
  key: string;
  maxAgeS: number;
  status: CacheStatus;
}

const CACHEABLE_OPS = new Set(['chat', 'messages', 'responses', 'completions', 'embeddings']);

/** A config node's cache setting. */
export interface CacheSetting {
  mode: string;
  max_age?: number;
}

/**
 * Decides whether the cache applies to this request and computes its tenant-scoped key. `scope` is
 * empty for the root config's cache (one entry whichever target answers), or the path of the target
 * whose own cache setting applies (that target's answers only). "semantic" is served by exact matching,
 * a strict subset of it: an identical request is certainly a similar one.
 */
export function planCache(deps: GatewayDeps, ctx: RequestContext, cache: CacheSetting | undefined, scope = ''): CachePlan | undefined {
  const h = ctx.headers!;
  // x-portkey-debug: false: the bodies are not to be kept anywhere, the cache included (as in Portkey).
  if (!cache || (cache.mode !== 'simple' && cache.mode !== 'semantic') || !ctx.body || !CACHEABLE_OPS.has(ctx.api.op) || !h.keepBodies) return undefined;
  // Portkey's rule: a namespace replaces the routing headers as the partition (tenants stay apart regardless).
  const route = h.cacheNamespace !== undefined ? `ns:${h.cacheNamespace}|${scope}` : `${h.provider ?? ''}|${h.virtualKey ?? ''}|${h.config ?? ''}|${h.customHost ?? ''}|${scope}`;
  return {
    key: simpleCacheKey({ tenant: tenantOf(ctx), op: ctx.api.op, route, body: ctx.body }),
    maxAgeS: cache.max_age ?? deps.cacheDefaultMaxAgeS,
    status: h.cacheForceRefresh ? 'REFRESH' : 'MISS',
  };
}

export interface CacheHit {
  kind: 'cached';
  provider: string;
  contentType: string;
  /** Pieces to write: one JSON body, or SSE events. */
  pieces: string[];
  stream: boolean;
  completion?: ChatCompletion;
}

/** Looks the request up; undefined on a miss, a refresh, or a format this request cannot be served from. */
export async function lookupCache(deps: GatewayDeps, ctx: RequestContext, plan: CachePlan): Promise<CacheHit | undefined> {
  if (plan.status === 'REFRESH') return undefined;
  const buf = await deps.cache.get(plan.key);
  if (!buf) return undefined;
  let entry: CacheEntry;
  try {
    entry = JSON.parse(buf.toString('utf8')) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.format === 'raw') {
    if (ctx.stream) return undefined;
    return { kind: 'cached', provider: entry.provider, contentType: entry.contentType, pieces: [entry.body], stream: false };
  }
  const completion = JSON.parse(entry.body) as ChatCompletion;
  const api = ctx.api;
  if (!ctx.stream) {
    const out = api.op === 'chat' ? entry.body : JSON.stringify(api.fromChat ? api.fromChat(completion, ctx.body!) : completion);
    return { kind: 'cached', provider: entry.provider, contentType: 'application/json', pieces: [out], stream: false, completion };
  }
  if (!api.createStreamEncoder) return undefined;
  const wantsUsage = (ctx.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const encoder = api.createStreamEncoder({ model: completion.model, includeUsage: wantsUsage, body: ctx.body! });
  const pieces = completionToChunks(completion).map((c) => encoder.encode(c)).filter(Boolean);
  pieces.push(encoder.end());
  return { kind: 'cached', provider: entry.provider, contentType: 'text/event-stream', pieces, stream: true, completion };
}

/** Stores a response after it was sent; never delays the client, never throws. */
export function storeInCache(deps: GatewayDeps, plan: CachePlan, entry: CacheEntry): void {
  setImmediate(() => {
    deps.cache.set(plan.key, Buffer.from(JSON.stringify(entry)), plan.maxAgeS).catch((e: unknown) => {
      deps.logger.warn({ err: (e as Error).message }, 'response cache write failed; continuing without caching');
    });
  });
}

export function chatEntry(provider: string, completion: ChatCompletion): CacheEntry {
  return { format: 'chat', contentType: 'application/json', provider, body: JSON.stringify(completion) };
}

export function rawEntry(provider: string, contentType: string, body: Buffer): CacheEntry {
  return { format: 'raw', contentType, provider, body: body.toString('utf8') };
}
