import type { SemanticCacheSettings } from '@portico/contract';
import { simpleCacheKey } from '../cache/keys.js';
import type { RawTarget, RoutingConfig } from '../routing/config-schema.js';
import type { ChatCompletion } from '../providers/types.js';
import { completionToChunks } from '../streaming/chunk-assembler.js';
import { tenantOf, type CacheStatus, type RequestContext } from './context.js';
import type { GatewayDeps } from './deps.js';
import { planSemantic, type SemanticPlan } from './semantic-stage.js';

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
  /** cache.mode "semantic" with user text to compare: searched after an exact miss. */
  semantic?: SemanticPlan;
}

const CACHEABLE_OPS = new Set(['chat', 'messages', 'responses', 'completions', 'embeddings']);

/** A config node's cache setting. */
export interface CacheSetting {
  mode: string;
  max_age?: number;
  semantic?: SemanticCacheSettings;
}

/**
 * Decides whether the cache applies to this request and computes its tenant-scoped key. `scope` is
 * empty for the root config's cache (one entry whichever target answers), or the path of the target
 * whose own cache setting applies (that target's answers only). "semantic" matches exactly first (an
 * identical request is certainly a similar one), then by similarity (semantic-stage.ts). `forwarded`
 * names the client headers the config forwards upstream: their values change the answer too.
 */
export function planCache(deps: GatewayDeps, ctx: RequestContext, cache: CacheSetting | undefined, scope = '', forwarded?: readonly string[]): CachePlan | undefined {
  const h = ctx.headers!;
  // x-portkey-debug: false: the bodies are not to be kept anywhere, the cache included (as in Portkey).
  if (!cache || (cache.mode !== 'simple' && cache.mode !== 'semantic') || !ctx.body || !CACHEABLE_OPS.has(ctx.api.op) || !h.keepBodies) return undefined;
  const route = routeOf(ctx, scope, forwarded);
  return {
    key: simpleCacheKey({ tenant: tenantOf(ctx), op: ctx.api.op, route, credential: h.apiKey, body: ctx.body, rawBody: ctx.rawBody }),
    maxAgeS: cache.max_age ?? deps.cacheDefaultMaxAgeS,
    status: h.cacheForceRefresh ? 'REFRESH' : 'MISS',
    semantic: cache.mode === 'semantic' ? planSemantic(deps, ctx, cache.semantic, route) : undefined,
  };
}

/** Client headers a native Anthropic request passes on (see buildNativeRequest): they change the answer. */
const MESSAGES_HEADERS = ['anthropic-version', 'anthropic-beta'];

/**
 * Everything besides the body and the credential that changes the answer. Portkey's rule: a namespace
 * replaces the routing headers as the partition (tenants and credentials stay apart regardless).
 */
function routeOf(ctx: RequestContext, scope: string, forwarded: readonly string[] | undefined): string[] {
  const h = ctx.headers!;
  if (h.cacheNamespace !== undefined) return ['ns', h.cacheNamespace, scope];
  const route = ['route', h.provider ?? '', h.virtualKey ?? '', h.config ?? '', h.customHost ?? '', scope];
  // Provider settings (x-portkey-azure-deployment-id, x-portkey-aws-region, ...), in a fixed order.
  const names = Object.keys(h.settings);
  if (names.length) {
    names.sort();
    for (const n of names) route.push(`${n}=${h.settings[n]}`);
  }
  const headers = ctx.req.headers;
  const passed = ctx.api.op === 'messages' ? (forwarded ? [...forwarded, ...MESSAGES_HEADERS] : MESSAGES_HEADERS) : forwarded;
  if (passed) for (const name of passed) route.push(`>${name.toLowerCase()}=${String(headers[name.toLowerCase()] ?? '')}`);
  return route;
}

/** Every forward_headers name anywhere in a config and the request's own header: what the root cache must key on. */
export function forwardedNames(config: RoutingConfig, fromHeader: readonly string[] | undefined): readonly string[] | undefined {
  let names = namesByConfig.get(config);
  if (names === undefined) {
    const found = new Set<string>();
    const stack: RawTarget[] = [config];
    while (stack.length) {
      const node = stack.pop()!;
      for (const n of node.forward_headers ?? []) found.add(n.toLowerCase());
      if (node.targets) stack.push(...node.targets);
    }
    names = [...found].sort();
    namesByConfig.set(config, names);
  }
  if (!fromHeader?.length) return names.length ? names : undefined;
  return names.length ? [...fromHeader, ...names] : fromHeader;
}
const namesByConfig = new WeakMap<RoutingConfig, string[]>();

export interface CacheHit {
  kind: 'cached';
  provider: string;
  contentType: string;
  /** Pieces to write: one JSON body, or SSE events. */
  pieces: string[];
  stream: boolean;
  completion?: ChatCompletion;
  /** Found by similarity (SEMANTIC HIT), not by an identical request. */
  semantic?: boolean;
}

/**
 * Looks the request up: exactly, then (semantic mode) by similarity, which sets ctx.cacheStatus to
 * SEMANTIC MISS when it ran and found nothing. undefined on a miss, a refresh, or a format this request
 * cannot be served from. An embedding that fails leaves the status MISS: served as in simple mode.
 */
export async function lookupCache(deps: GatewayDeps, ctx: RequestContext, plan: CachePlan): Promise<CacheHit | undefined> {
  if (plan.status === 'REFRESH') return undefined;
  const exact = await deps.cache.get(plan.key);
  const hit = exact && decodeHit(ctx, exact);
  if (hit || !plan.semantic) return hit || undefined;
  const sem = plan.semantic;
  const match = await deps.semantic!.find(sem.partition, sem.embed(), sem.threshold);
  if (match === 'failed') return undefined;
  if (match) {
    const buf = await deps.cache.get(match.key);
    const similar = buf && decodeHit(ctx, buf);
    if (similar) return { ...similar, semantic: true };
    // The answer it pointed at expired or was evicted from the response cache.
    if (!buf) deps.semantic!.forget(sem.partition, match.key);
  }
  ctx.cacheStatus = 'SEMANTIC MISS';
  return undefined;
}

function decodeHit(ctx: RequestContext, buf: Buffer): CacheHit | undefined {
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

/**
 * Stores a response after it was sent; never delays the client, never throws. Semantic mode also
 * indexes the request's embedding (made by the lookup, or now after a refresh), pointing at the answer.
 */
export function storeInCache(deps: GatewayDeps, plan: CachePlan, entry: CacheEntry): void {
  setImmediate(() => {
    const written = deps.cache.set(plan.key, Buffer.from(JSON.stringify(entry)), plan.maxAgeS);
    // indexSemantic never rejects: the catch is the write's.
    (plan.semantic ? written.then(() => indexSemantic(deps, plan, plan.semantic!)) : written).catch((e: unknown) => {
      deps.logger.warn({ err: (e as Error).message }, 'response cache write failed; continuing without caching');
    });
  });
}

async function indexSemantic(deps: GatewayDeps, plan: CachePlan, sem: SemanticPlan): Promise<void> {
  const vector = await sem.embed();
  if (vector) await deps.semantic!.remember(sem.partition, vector, plan.key, plan.maxAgeS);
}

export function chatEntry(provider: string, completion: ChatCompletion): CacheEntry {
  return { format: 'chat', contentType: 'application/json', provider, body: JSON.stringify(completion) };
}

export function rawEntry(provider: string, contentType: string, body: Buffer): CacheEntry {
  return { format: 'raw', contentType, provider, body: body.toString('utf8') };
}
