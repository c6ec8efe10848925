import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asBool, asInt, asList, type Settings } from './config/settings.js';
import { MemoryCacheStore } from './cache/memory-store.js';
import { SemanticCache } from './cache/semantic-cache.js';
import { parseSemanticEmbedding } from './cache/semantic-settings.js';
import { registerSemanticMetrics } from './observability/semantic-metrics.js';
import type { CacheStore } from './cache/types.js';
import { FileEntityStore } from './entities/file-store.js';
import type { EntityStore } from './entities/types.js';
import { memoryLimiterFor } from './limits/memory-limiter.js';
import type { Limiter } from './limits/types.js';
import { FileLogStore } from './logs/file-store.js';
import { NullLogStore } from './logs/null-store.js';
import { makeRedactor } from './logs/redact.js';
import type { LogDocument, LogStore } from './logs/types.js';
import type { AnalyticsShipper } from './analytics/shipper.js';
import type { RequestContext } from './pipeline/context.js';
import { createLogger } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { CircuitBreakers } from './resilience/breaker.js';
import { TargetHealth } from './resilience/target-health.js';
import { registerBreakerMetrics } from './resilience/breaker-metrics.js';
import { MemoryBreakerStore, RedisBreakerStore } from './resilience/breaker-store.js';
import type { GatewayDeps } from './pipeline/deps.js';
import { LogStage } from './pipeline/log-stage.js';
import { BUILTIN_PROVIDERS, ProviderRegistry } from './providers/registry.js';
import { RoutingConfigCache, routingBounds } from './routing/config-schema.js';
import { createGatewayServer, type ServerState } from './server/http-server.js';
import { corsPolicy } from './server/cors.js';
import { createWebhookPoster } from './guardrails/webhook.js';
import { createJwksFetcher } from './guardrails/jwks.js';
import type { RedisConnection } from './state/redis.js';
import { createEgressPolicy, validateCustomHost } from './upstream/egress-policy.js';
import { closeMetadataTokenClient } from './upstream/metadata-token-client.js';
import { createUpstreamClients } from './upstream/http-client.js';
import { TenantShares } from './upstream/tenant-shares.js';
import { ResponseBufferBudget } from './pipeline/response-buffers.js';

export interface Gateway {
  server: Server;
  deps: GatewayDeps;
  state: ServerState;
  /** The bound address (after listen). */
  url(): string;
  listen(): Promise<void>;
  /** Graceful drain: stop accepting, finish in-flight work up to the deadline, flush logs, release. */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Builds every dependency from the settings and wires the HTTP server. Opens no upstream connection. */
export async function createGateway(settings: Settings): Promise<Gateway> {
  const logger = createLogger(settings.LOG_LEVEL);
  const metrics = new GatewayMetrics();
  const egress = createEgressPolicy(asBool(settings.CUSTOM_HOST_ALLOW_LOOPBACK), asList(settings.CUSTOM_HOST_ALLOWED_CIDRS));

  const stateLogger = { info: (o: object, m: string) => logger.info(o, m), warn: (o: object, m: string) => logger.warn(o, m), error: (o: object, m: string) => logger.error(o, m) };
  const synced = settings.CONTROL_PLANE_URL !== '';
  // Synced from a control plane, the entities file is not read (one source of keys, not two).
  let entities: EntityStore = synced ? FileEntityStore.empty() : settings.ENTITIES_FILE
    ? await FileEntityStore.open(settings.ENTITIES_FILE, (level, msg) => logger[level](msg))
    : FileEntityStore.empty();
  let cache: CacheStore = new MemoryCacheStore(asInt(settings.CACHE_MEMORY_MAX_BYTES));
  // Apart from the response cache in memory, so neither can evict the other; one keyspace in Redis.
  let responsesStore: CacheStore = new MemoryCacheStore(asInt(settings.RESPONSES_STORE_MEMORY_MAX_BYTES));
  let limiter: Limiter = memoryLimiterFor(settings);
  let redis: RedisConnection | undefined;
  // Redis and S3 client modules load only when configured: the embedded default stays small.
  if (settings.CACHE_STORE !== 'memory') {
    const [{ createRedis }, { RedisCacheStore }, { RedisEntityCache }, { createLimiter }] = await Promise.all([
      import('./state/redis.js'), import('./cache/redis-store.js'), import('./entities/redis-cache.js'), import('./limits/create.js'),
    ]);
    redis = createRedis(settings, { logger: stateLogger, connectionName: 'portico-gateway' });
    // A synced store already serves from memory, and a cache in front would delay revocations.
    if (!synced) {
      const cached = new RedisEntityCache(entities, redis, { logger: stateLogger });
      await cached.start(1000);
      entities = cached;
    }
    cache = new RedisCacheStore(redis);
    responsesStore = cache;
    limiter = createLimiter(settings, redis);
  }
  let analytics: AnalyticsShipper | undefined;
  let onDocument: ((doc: LogDocument, ctx: RequestContext) => void) | undefined;
  if (synced) {
    const [{ openControlPlaneStore }, { createAnalyticsShipper, defaultOrganisation }, { analyticsRow }] = await Promise.all([
      import('./entities/create-control-plane.js'), import('./analytics/create.js'), import('./analytics/row.js'),
    ]);
    const store = await openControlPlaneStore(settings, { redis, registry: metrics.registry, logger: stateLogger });
    entities = store;
    const shipper = (analytics = await createAnalyticsShipper(settings, store.client, { registry: metrics.registry, logger: stateLogger }));
    store.onReachable(() => shipper.retryNow());
    const organisation = defaultOrganisation(settings);
    onDocument = (doc, ctx) => shipper.push(analyticsRow(doc, { organisation: ctx.key?.organisation ?? organisation, config_id: ctx.configId ?? null, prompt_id: ctx.promptId ?? null }));
  }
  const logStore = await createLogStore(settings, metrics, logger);

  const responseBuffers = new ResponseBufferBudget(asInt(settings.RESPONSE_BUFFER_MAX_BYTES));
  metrics.bufferedBytes = () => responseBuffers.used;

  const breakers = new CircuitBreakers(redis ? new RedisBreakerStore(redis) : new MemoryBreakerStore(), { minCooldownMs: asInt(settings.CIRCUIT_BREAKER_MIN_COOLDOWN_MS) });
  breakers.onOpened = registerBreakerMetrics(metrics.registry, breakers);

  // The OpenTelemetry SDK loads only when an endpoint is set: off, tracing costs nothing.
  const otlpTraces = settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (settings.OTEL_EXPORTER_OTLP_ENDPOINT ? `${settings.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : '');
  const tracing = otlpTraces ? (await import('./observability/tracing.js')).createTracing(otlpTraces, tracingOptions(settings)) : undefined;

  const clients = createUpstreamClients({ connections: asInt(settings.UPSTREAM_CONNECTIONS), policy: egress });
  const deps: GatewayDeps = {
    registry: new ProviderRegistry(BUILTIN_PROVIDERS),
    clients,
    guardrails: { postWebhook: createWebhookPoster(clients.custom, egress), fetchJwks: createJwksFetcher(clients.custom, egress), backgroundMax: asInt(settings.GUARDRAIL_BACKGROUND_MAX), backgroundRuns: 0 },
    egress,
    authorize: { dispatcher: clients.custom, checkEgress: (url, param) => validateCustomHost(url, egress, param), tokenUris: asList(settings.VERTEX_TOKEN_URIS) },
    cloudBatches: {
      s3Endpoint: settings.AWS_ENDPOINT_URL_S3 || undefined, bedrockEndpoint: settings.AWS_ENDPOINT_URL_BEDROCK || undefined,
      gcsEndpoint: settings.VERTEX_STORAGE_ENDPOINT || undefined, timeoutMs: asInt(settings.CLOUD_BATCH_TIMEOUT_MS),
      ownIdentityBuckets: asList(settings.BEDROCK_BATCH_S3_BUCKETS), maxUploads: asInt(settings.CLOUD_BATCH_MAX_UPLOADS),
    },
    entities,
    cache,
    limiter,
    logStore,
    analytics,
    logStage: new LogStage(logStore, makeRedactor(asList(settings.LOG_REDACT_FIELDS)), asInt(settings.LOG_BODY_MAX_BYTES), logger, onDocument),
    metrics,
    configs: new RoutingConfigCache(500, routingBounds(settings)),
    logger,
    cloudIdentity: settings.GATEWAY_CLOUD_IDENTITY as GatewayDeps['cloudIdentity'],
    defaultTimeoutMs: asInt(settings.DEFAULT_REQUEST_TIMEOUT_MS),
    maxTimeoutMs: asInt(settings.MAX_REQUEST_TIMEOUT_MS),
    tenantShares: new TenantShares(Math.max(1, Math.floor((asInt(settings.UPSTREAM_CONNECTIONS) * asInt(settings.UPSTREAM_TENANT_SHARE_PERCENT)) / 100))),
    responseBuffers,
    maxBodyBytes: asInt(settings.MAX_BODY_BYTES),
    maxBodyDepth: asInt(settings.MAX_BODY_DEPTH),
    maxUploadBytes: asInt(settings.MAX_UPLOAD_BYTES),
    responses: { store: responsesStore, ttlS: asInt(settings.RESPONSES_STORE_TTL_S) },
    cacheDefaultMaxAgeS: asInt(settings.CACHE_DEFAULT_MAX_AGE_S),
    breakers,
    targetHealth: new TargetHealth(),
    tracing,
    semantic: await createSemanticCache(settings, redis),
  };
  registerSemanticMetrics(metrics.registry, deps.semantic!);
  deps.logStage.observe = (doc) => {
    if (doc.usage?.prompt_tokens) metrics.promptTokens(doc.provider ?? '', doc.usage.prompt_tokens, doc.usage.cached_tokens ?? 0);
  };
  if (synced && asBool(settings.CONTROL_PLANE_ADMIN_FORWARD)) {
    const { AdminForwarder } = await import('./server/admin-forward.js');
    deps.admin = new AdminForwarder({ baseUrl: settings.CONTROL_PLANE_URL, dispatcher: clients.trusted, maxBodyBytes: asInt(settings.MAX_BODY_BYTES) });
  }
  const state: ServerState = { draining: false, startedAt: Date.now() };
  const server = createGatewayServer(deps, state, {
    cors: corsPolicy(asList(settings.CORS_ALLOWED_ORIGINS)),
    dataServiceBasepath: settings.DATASERVICE_BASEPATH,
    clients: {
      headersTimeoutMs: asInt(settings.REQUEST_HEADERS_TIMEOUT_MS),
      writeIdleMs: asInt(settings.CLIENT_WRITE_IDLE_TIMEOUT_MS),
      bodyMinBytesPerS: asInt(settings.REQUEST_BODY_MIN_BYTES_PER_S),
      bodyGraceMs: asInt(settings.REQUEST_BODY_GRACE_MS),
    },
  });

  return {
    server,
    deps,
    state,
    url() {
      const a = server.address() as AddressInfo;
      return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
    },
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(asInt(settings.PORT), settings.HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    async shutdown(deadlineMs) {
      const deadline = Date.now() + deadlineMs;
      state.draining = true;
      // close() stops listening and closes the connections idle right now. Connections whose response is
      // still running get `connection: close` on later responses, and a short keep-alive once idle, so
      // they go away soon after their last response without cutting a request already on the wire.
      server.keepAliveTimeout = 1000;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Leave a slice of the deadline for the log flush.
      const drainBudget = Math.max(0, deadlineMs - Math.min(5000, deadlineMs / 4));
      const drained = await Promise.race([closed.then(() => true), sleep(drainBudget).then(() => false)]);
      if (!drained) {
        logger.warn('drain deadline reached with requests still in flight; closing their connections');
        server.closeAllConnections();
      }
      // Documents still owed (a guardrail webhook after a response): wait for them within half of what is left.
      await deps.logStage.settle(Math.max(0, (deadline - Date.now()) / 2));
      deps.logStage.flush();
      await Promise.all([logStore.close(Math.max(0, deadline - Date.now())), analytics?.close(Math.max(0, deadline - Date.now()))]);
      await Promise.allSettled([deps.clients.close(), closeMetadataTokenClient(), cache.close(), responsesStore.close(), limiter.close(), entities.close(), tracing?.shutdown()]);
      await redis?.close();
    },
  };
}

async function createLogStore(settings: Settings, metrics: GatewayMetrics, logger: ReturnType<typeof createLogger>): Promise<LogStore> {
  const storeLogger = { info: (o: object, m: string) => logger.info(o, m), warn: (o: object, m: string) => logger.warn(o, m), error: (o: object, m: string) => logger.error(o, m) };
  if (settings.LOG_STORE.startsWith('s3')) return (await import('./logs/s3/store.js')).createS3LogStore(settings, { registry: metrics.registry, logger: storeLogger, redact: false });
  if (settings.LOG_STORE === 'none') return new NullLogStore();
  return new FileLogStore(settings.LOG_STORE_FILE_DIR, {
    maxQueue: asInt(settings.LOG_STORE_QUEUE_MAX_DOCS),
    batchMaxAgeMs: asInt(settings.LOG_STORE_BATCH_MAX_AGE_MS),
    onError: (msg) => logger.error(msg),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** The semantic cache's index; shared through Redis when CACHE_STORE is Redis. Idle unless a config asks for mode "semantic". */
async function createSemanticCache(settings: Settings, redis: RedisConnection | undefined): Promise<SemanticCache> {
  const maxPerPartition = asInt(settings.SEMANTIC_CACHE_MAX_PER_PARTITION);
  const share = redis ? new (await import('./cache/semantic-redis.js')).SemanticRedisShare(redis, maxPerPartition) : undefined;
  return new SemanticCache({
    maxBytes: asInt(settings.SEMANTIC_CACHE_MAX_BYTES),
    maxPerPartition,
    defaultEmbedding: settings.SEMANTIC_CACHE_EMBEDDING ? parseSemanticEmbedding(settings.SEMANTIC_CACHE_EMBEDDING) : undefined,
    embeddingTimeoutMs: asInt(settings.SEMANTIC_CACHE_EMBEDDING_TIMEOUT_MS),
    share,
  });
}

/** The standard OTEL_* variables Portico reads, as createTracing takes them. */
function tracingOptions(settings: Settings): import('./observability/tracing.js').TracingOptions {
  return {
    serviceName: settings.OTEL_SERVICE_NAME,
    protocol: (settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || settings.OTEL_EXPORTER_OTLP_PROTOCOL) as 'http/protobuf' | 'http/json',
    sampler: settings.OTEL_TRACES_SAMPLER as import('./observability/tracing.js').TracingOptions['sampler'],
    samplerArg: settings.OTEL_TRACES_SAMPLER_ARG === '' ? undefined : Number(settings.OTEL_TRACES_SAMPLER_ARG),
    maxQueueSize: asInt(settings.OTEL_BSP_MAX_QUEUE_SIZE),
    maxExportBatchSize: asInt(settings.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
    scheduleDelayMs: asInt(settings.OTEL_BSP_SCHEDULE_DELAY),
  };
}
