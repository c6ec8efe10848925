import type { Logger } from 'pino';
import type { CircuitBreakers } from '../resilience/breaker.js';
import type { TargetHealth } from '../resilience/target-health.js';
import type { Tracing } from '../observability/tracing.js';
import type { CacheStore } from '../cache/types.js';
import type { SemanticCache } from '../cache/semantic-cache.js';
import type { ResponsesStore } from './responses-stage.js';
import type { GuardrailRuntime } from './guardrail-stage.js';
import type { EntityStore } from '../entities/types.js';
import type { Limiter } from '../limits/types.js';
import type { LogStore } from '../logs/types.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { LogStage } from './log-stage.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { AuthorizeContext } from '../providers/types.js';
import type { RoutingConfigCache } from '../routing/config-schema.js';
import type { EgressPolicy } from '../upstream/egress-policy.js';
import type { UpstreamClients } from '../upstream/http-client.js';
import type { TenantShares } from '../upstream/tenant-shares.js';
import type { ResponseBufferBudget } from './response-buffers.js';
import type { CloudBatchSettings } from '../cloud-batches/context.js';

/** Everything the request pipeline uses, built once at start (see app.ts). */
export interface GatewayDeps {
  registry: ProviderRegistry;
  clients: UpstreamClients;
  egress: EgressPolicy;
  /** What providers' authorize() use to reach token endpoints through the egress policy. */
  authorize: AuthorizeContext;
  entities: EntityStore;
  cache: CacheStore;
  /** The semantic cache's index (cache.mode "semantic"); consulted by no other mode. */
  semantic?: SemanticCache;
  limiter: Limiter;
  logStore: LogStore;
  /** Builds log documents after responses, in small batches, and hands them to logStore. */
  logStage: LogStage;
  metrics: GatewayMetrics;
  configs: RoutingConfigCache;
  logger: Logger;
  /** Who may use the gateway's own cloud identity (GATEWAY_CLOUD_IDENTITY). */
  cloudIdentity: 'saved' | 'any' | 'off';
  defaultTimeoutMs: number;
  /** Ceiling on request_timeout and x-portkey-request-timeout (MAX_REQUEST_TIMEOUT_MS). */
  maxTimeoutMs: number;
  /** Each tenant's share of each upstream pool (UPSTREAM_TENANT_SHARE_PERCENT). */
  tenantShares: TenantShares;
  /** Bytes of non-streamed answers held at once (RESPONSE_BUFFER_MAX_BYTES). */
  responseBuffers: ResponseBufferBudget;
  maxBodyBytes: number;
  /** Deepest nesting of objects and arrays a JSON body may have (MAX_BODY_DEPTH). */
  maxBodyDepth: number;
  /** Responses of translated providers kept for previous_response_id. */
  responses: ResponsesStore;
  /** Largest passthrough upload (a non-JSON body on other /v1 paths), streamed when over maxBodyBytes. */
  maxUploadBytes: number;
  cacheDefaultMaxAgeS: number;
  /** Ships analytics rows to the control plane, when the gateway has one (its health is in /v1/health). */
  analytics?: { health(): { status: 'ok' | 'degraded'; detail?: string } };
  /** Forwards Portkey Admin API paths to the control plane, when the gateway has one. */
  admin?: { forward(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: string): Promise<void> };
  /** What guardrail hooks need at run time: the webhook client, and the bound on background runs. */
  guardrails: GuardrailRuntime;
  /** Circuit breakers of strategies with cb_config (in Redis when CACHE_STORE shares state). */
  breakers: CircuitBreakers;
  /** Recent error rate and latency of loadbalance targets (this replica's view). */
  targetHealth: TargetHealth;
  /** OpenTelemetry traces; undefined (and never loaded) unless an OTLP endpoint is configured. */
  tracing?: Tracing;
  /** Endpoints and bounds of the clouds' file and batch APIs (Bedrock/S3, Vertex/Cloud Storage). */
  cloudBatches?: CloudBatchSettings;
}
