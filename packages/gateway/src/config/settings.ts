/**
 * Every environment variable the gateway reads, in one table. The loader rejects bad values at start
 * with a message that names the variable, and docs/environment.md is generated from this table
 * (`npm run docs:env`), so the docs cannot drift from the code.
 */

import { parseSemanticEmbedding } from '../cache/semantic-settings.js';

export type SettingKind = 'string' | 'int' | 'bool' | 'enum' | 'url' | 'list' | 'secret';

export interface SettingSpec {
  name: string;
  kind: SettingKind;
  default?: string;
  values?: readonly string[];
  description: string;
  group: 'server' | 'bounds' | 'auth' | 'cache' | 'logs' | 'limits' | 'egress' | 'control-plane' | 'data-service' | 'observability';
  /** Min/max for ints. */
  min?: number;
  max?: number;
}

export const SETTINGS = [
  // server
  { name: 'PORT', kind: 'int', default: '8787', min: 0, max: 65535, group: 'server', description: 'TCP port the gateway listens on.' },
  { name: 'HOST', kind: 'string', default: '127.0.0.1', group: 'server', description: 'Address to bind. Use 0.0.0.0 in containers.' },
  { name: 'NODE_ENV', kind: 'string', default: 'production', group: 'server', description: 'Node environment name; informational.' },
  { name: 'MAX_BODY_BYTES', kind: 'int', default: String(10 * 1024 * 1024), min: 1024, group: 'server', description: 'Largest request body accepted, in bytes; larger bodies get 413.' },
  { name: 'MAX_BODY_DEPTH', kind: 'int', default: '400', min: 8, max: 10000, group: 'server', description: 'Deepest nesting of objects and arrays a JSON request body may have; deeper bodies get 400 before they are parsed.' },
  { name: 'MAX_UPLOAD_BYTES', kind: 'int', default: String(512 * 1024 * 1024), min: 1024, group: 'server', description: 'Largest upload on other /v1 paths (a multipart or binary body, such as files and audio); one over MAX_BODY_BYTES is streamed to the provider, not held in memory, and is sent once (no retry or fallback). Larger get 413.' },
  { name: 'HEAP_GROWING_PERCENT', kind: 'int', default: '50', min: 0, group: 'server', description: 'How far V8 lets the heap grow past the live data before a full collection, percent. 50 keeps RSS flat under steady load at a small GC cost; 0 leaves V8\'s own, growing heuristic.' },
  { name: 'SHUTDOWN_TIMEOUT_MS', kind: 'int', default: '25000', min: 0, group: 'server', description: 'On SIGTERM, how long in-flight requests and streams may finish before the process flushes logs and exits. Keep it below the ECS stopTimeout (30 s by default).' },
  { name: 'DEFAULT_REQUEST_TIMEOUT_MS', kind: 'int', default: '600000', min: 1, group: 'server', description: 'Upstream timeout when neither the config nor x-portkey-request-timeout sets one.' },
  { name: 'CORS_ALLOWED_ORIGINS', kind: 'list', default: '', group: 'server', description: 'Comma-separated origins (https://app.example.com) whose web pages may call the gateway from a browser; * allows any. Empty: no CORS, browsers refuse cross-origin calls.' },
  { name: 'GUARDRAIL_BACKGROUND_MAX', kind: 'int', default: '1000', min: 0, group: 'server', description: 'Most "async": true guardrail hook runs (webhooks) in flight at once; past it, new ones are skipped and their log document says so, so a slow webhook cannot pile requests up in memory.' },
  { name: 'UPSTREAM_CONNECTIONS', kind: 'int', default: '256', min: 1, group: 'server', description: 'Keep-alive connections per upstream origin.' },
  // bounds: what one client, key or tenant may make the gateway hold or do (docs/security.md, Bounds)
  { name: 'CONFIG_MAX_TARGETS', kind: 'int', default: '50', min: 1, group: 'bounds', description: 'Most targets in one routing config, counted at every depth; a larger config gets 400.' },
  { name: 'CONFIG_MAX_DEPTH', kind: 'int', default: '5', min: 1, group: 'bounds', description: 'Most levels of nested targets in a routing config; a deeper config gets 400.' },
  { name: 'MAX_ATTEMPTS_PER_REQUEST', kind: 'int', default: '20', min: 1, group: 'bounds', description: 'Most upstream attempts one request may make: a config whose fallbacks and retries could make more gets 400. Every attempt after the first also counts as a request against the key\'s, virtual key\'s and user\'s request limits.' },
  { name: 'MAX_REQUEST_TIMEOUT_MS', kind: 'int', default: '600000', min: 1, group: 'bounds', description: 'Ceiling on request_timeout and x-portkey-request-timeout: a larger value asked for is cut to this. At least DEFAULT_REQUEST_TIMEOUT_MS.' },
  { name: 'UPSTREAM_TENANT_SHARE_PERCENT', kind: 'int', default: '50', min: 1, max: 100, group: 'bounds', description: 'Most of one upstream origin\'s connections (UPSTREAM_CONNECTIONS) one tenant (a workspace, or a key without one) may hold at once; its further requests wait in the gateway, so other tenants always find a connection. Without gateway keys every client is one tenant and this does not apply.' },
  { name: 'CLIENT_WRITE_IDLE_TIMEOUT_MS', kind: 'int', default: '30000', min: 100, group: 'bounds', description: 'A client connection with answer bytes waiting that accepts none of them for this long is closed, releasing its upstream connection and buffers.' },
  { name: 'REQUEST_HEADERS_TIMEOUT_MS', kind: 'int', default: '10000', min: 100, group: 'bounds', description: 'A request\'s headers must arrive complete within this; else 408 and the connection is closed. Checked every second.' },
  { name: 'REQUEST_BODY_MIN_BYTES_PER_S', kind: 'int', default: '1024', min: 0, group: 'bounds', description: 'Slowest average rate a request body may arrive at, once REQUEST_BODY_GRACE_MS has passed; a slower client is cut (408). Time the gateway itself holds the body back (a slow upstream upload) does not count. 0: no bound.' },
  { name: 'REQUEST_BODY_GRACE_MS', kind: 'int', default: '10000', min: 100, group: 'bounds', description: 'How long a request body may take before REQUEST_BODY_MIN_BYTES_PER_S applies.' },
  { name: 'RESPONSE_BUFFER_MAX_BYTES', kind: 'int', default: String(256 * 1024 * 1024), min: 1024, group: 'bounds', description: 'Bytes of non-streamed answers the gateway holds at once, across every request, until their clients have read them; an answer that would pass it gets 503 with Retry-After. Streams are not counted: they hold at most a chunk each.' },
  { name: 'LIMITS_MEMORY_TENANT_MAX_COUNTERS', kind: 'int', default: '20000', min: 1, group: 'bounds', description: 'In-process limit counters for metadata._user values one tenant may hold (CACHE_STORE=memory); past it, that tenant\'s least recently created user counters are dropped. Gateway-key and virtual-key counters are never dropped.' },
  { name: 'ENTITIES_FILE', kind: 'string', default: '', group: 'auth', description: 'Path of the YAML file with gateway keys, virtual keys, configs and limits. Reloaded when it changes. Empty: no keys, no auth.' },
  { name: 'DATA_DIR', kind: 'string', default: './data', group: 'server', description: 'Directory of the gateway\'s local state: the persisted sync snapshot (encrypted) and analytics rows waiting for the control plane.' },
  { name: 'PORTKEY_CLIENT_AUTH', kind: 'secret', default: '', group: 'control-plane', description: 'Licence / client auth key used to reach the control plane.' },
  { name: 'ORGANISATIONS_TO_SYNC', kind: 'string', default: '', group: 'control-plane', description: 'Comma-separated organisation ids whose entities the gateway syncs from the control plane.' },
  { name: 'CONTROL_PLANE_ADMIN_FORWARD', kind: 'bool', default: 'true', group: 'control-plane', description: 'Forward Portkey Admin API paths (/v1/api-keys, /v1/configs, /v1/admin/..., ...) sent to the gateway to the control plane, so one base URL serves inference and admin calls.' },
  { name: 'ANALYTICS_QUEUE_MAX_ROWS', kind: 'int', default: '50000', min: 1, group: 'control-plane', description: 'Bound of the in-memory queue of analytics rows for the control plane; past it, rows go to the spill directory.' },
  { name: 'ANALYTICS_SPILL_MAX_BYTES', kind: 'int', default: String(256 * 1024 * 1024), min: 0, group: 'control-plane', description: 'Bound of DATA_DIR/analytics-spill, where rows wait while the control plane is unreachable; replayed with backoff and at start.' },
  { name: 'CONTROL_PLANE_URL', kind: 'string', default: '', group: 'control-plane', description: 'Base URL of the control plane. Empty: entities come from ENTITIES_FILE only.' },
  // egress
  { name: 'CUSTOM_HOST_ALLOWED_CIDRS', kind: 'list', default: '', group: 'egress', description: 'Comma-separated private CIDRs that custom_host, webhook URLs and allowed token endpoints may reach (10.0.0.0/8, ...). Loopback is governed by CUSTOM_HOST_ALLOW_LOOPBACK; cloud metadata (169.254.0.0/16, fd00:ec2::254) is never reachable.' },
  { name: 'CUSTOM_HOST_ALLOW_LOOPBACK', kind: 'bool', default: 'true', group: 'egress', description: 'Whether custom_host, webhook URLs and the local-model defaults (vllm, lm-studio, ollama) may reach loopback.' },
  { name: 'AWS_ENDPOINT_URL_S3', kind: 'url', default: '', group: 'egress', description: 'S3 endpoint for Bedrock files and batch output (AWS\'s own variable name): a VPC endpoint or an S3-compatible server, reached path-style. Empty: https://{bucket}.s3.{region}.amazonaws.com.' },
  { name: 'AWS_ENDPOINT_URL_BEDROCK', kind: 'url', default: '', group: 'egress', description: 'Bedrock control-plane endpoint for batch jobs (CreateModelInvocationJob ...), e.g. a VPC endpoint. Empty: https://bedrock.{region}.amazonaws.com.' },
  { name: 'VERTEX_STORAGE_ENDPOINT', kind: 'url', default: '', group: 'egress', description: 'Cloud Storage JSON API endpoint for Vertex AI files and batch output, e.g. a Private Service Connect endpoint. Empty: https://storage.googleapis.com.' },
  { name: 'BEDROCK_BATCH_S3_BUCKETS', kind: 'list', default: '', group: 'auth', description: 'S3 buckets Bedrock files and batches may use with the gateway\'s own AWS identity (the default chain: on ECS the task role), comma-separated. Empty: a request must bring its own AWS credentials (keys, a role, a virtual key), so a caller can never read the gateway\'s log buckets through it.' },
  { name: 'CLOUD_BATCH_MAX_UPLOADS', kind: 'int', default: '8', min: 1, group: 'bounds', description: 'Batch files the gateway converts into S3 or Cloud Storage at once (bedrock, vertex-ai files.create); each holds about two 8 MiB parts in memory. More get 503 with Retry-After.' },
  { name: 'CLOUD_BATCH_TIMEOUT_MS', kind: 'int', default: '120000', min: 1000, group: 'bounds', description: 'How long a call to S3, Cloud Storage or a batch control plane may wait for an answer, or between bytes of one, before the file or batch operation fails with 408.' },
  { name: 'GATEWAY_CLOUD_IDENTITY', kind: 'enum', default: 'saved', values: ['saved', 'any', 'off'], group: 'egress', description: "Who may have requests signed with the gateway's own cloud identity (the AWS default chain: on ECS, the task role), directly or to assume aws_role_arn, when they carry no keys of their own; and who may use its Azure managed or workload identity (azure_auth_mode managed / workload). saved: only targets from a virtual key or a config the operator saved; any: every key holder (Portkey's behaviour); off: nobody." },
  { name: 'VERTEX_TOKEN_URIS', kind: 'list', default: '', group: 'egress', description: 'OAuth token endpoints a Vertex service account key may name in token_uri besides Google\'s own (https://oauth2.googleapis.com/token), comma-separated full URLs. They pass the egress policy too.' },
  { name: 'AZURE_IMDS_TOKEN_URL', kind: 'string', default: 'http://169.254.169.254/metadata/identity/oauth2/token', group: 'egress', description: 'Azure managed identity\'s token endpoint (azure_auth_mode managed). The one metadata address the gateway reaches, from that code path alone; set it only for tests or a host whose metadata service sits elsewhere. Path must be /metadata/identity/oauth2/token.' },
  { name: 'AZURE_AUTHORITY_HOST', kind: 'string', default: 'https://login.microsoftonline.com', group: 'egress', description: 'Entra ID authority for Azure client credentials and workload identity (sovereign clouds: login.microsoftonline.us, login.chinacloudapi.cn). https only.' },
  { name: 'AZURE_FEDERATED_TOKEN_FILE', kind: 'string', default: '', group: 'egress', description: 'Workload identity (azure_auth_mode workload): the projected service account token, with AZURE_TENANT_ID and AZURE_CLIENT_ID (x-portkey-azure-workload-client-id overrides the client). The AKS workload identity webhook sets all three; the file is read again on each token exchange.' },
  { name: 'AZURE_TENANT_ID', kind: 'string', default: '', group: 'egress', description: 'Workload identity: the Entra tenant of the federated app.' },
  { name: 'AZURE_CLIENT_ID', kind: 'string', default: '', group: 'egress', description: 'Workload identity: the client id of the federated app, unless the request names one.' },
  // cache and shared state
  { name: 'CACHE_STORE', kind: 'enum', default: 'memory', values: ['memory', 'redis', 'aws-elastic-cache', 'aws-elasti-cache'], group: 'cache', description: 'Where the response cache, entity cache and limits live. memory is per process; redis / aws-elastic-cache share them across replicas.' },
  { name: 'REDIS_URL', kind: 'string', default: '', group: 'cache', description: 'redis:// or rediss:// URL, with credentials if any. Required when CACHE_STORE is redis or aws-elastic-cache.' },
  { name: 'REDIS_TLS_ENABLED', kind: 'bool', default: 'false', group: 'cache', description: 'Use TLS to Redis (implied by a rediss:// URL).' },
  { name: 'REDIS_MODE', kind: 'enum', default: 'standalone', values: ['standalone', 'cluster'], group: 'cache', description: 'cluster for a Redis Cluster / ElastiCache cluster-mode configuration endpoint.' },
  { name: 'REDIS_TLS_CA_FILE', kind: 'string', default: '', group: 'cache', description: 'PEM file of a private CA for Redis TLS. Empty: the system trust store.' },
  { name: 'REDIS_COMMAND_TIMEOUT_MS', kind: 'int', default: '50', min: 1, group: 'cache', description: 'Longest a request waits on Redis before the gateway bypasses it.' },
  { name: 'CACHE_MEMORY_MAX_BYTES', kind: 'int', default: String(64 * 1024 * 1024), min: 0, group: 'cache', description: 'Byte bound of the in-process response cache (LRU).' },
  { name: 'RESPONSES_STORE_TTL_S', kind: 'int', default: String(30 * 24 * 3600), min: 0, group: 'cache', description: 'How long responses of translated providers are kept for previous_response_id (/v1/responses), seconds; 0 keeps none (stateless). In the cache store: per process with memory, shared with redis.' },
  { name: 'RESPONSES_STORE_MEMORY_MAX_BYTES', kind: 'int', default: String(32 * 1024 * 1024), min: 0, group: 'cache', description: 'Byte bound of the in-process store of responses (LRU) when CACHE_STORE=memory.' },
  { name: 'CACHE_DEFAULT_MAX_AGE_S', kind: 'int', default: '86400', min: 1, group: 'cache', description: 'Cache max_age when the config gives none, seconds.' },
  { name: 'SEMANTIC_CACHE_EMBEDDING', kind: 'secret', default: '', group: 'cache', description: 'The embedding target of semantic caches (cache.mode "semantic") whose config names none, as JSON: {"virtual_key": "...", "model": "text-embedding-3-small"} or {"provider": "openai", "api_key": "...", "model": "..."} (the shape of cache.semantic.embedding, see docs/gateway.md). Empty: such configs get 400.' },
  { name: 'SEMANTIC_CACHE_EMBEDDING_TIMEOUT_MS', kind: 'int', default: '3000', min: 1, max: 60000, group: 'cache', description: 'How long an embedding call may take when cache.semantic.embedding.request_timeout is not set; past it the request is served by exact matching.' },
  { name: 'SEMANTIC_CACHE_MAX_BYTES', kind: 'int', default: String(64 * 1024 * 1024), min: 0, group: 'cache', description: 'Byte bound of each process\'s semantic-cache index, all partitions together (LRU): an entry costs 4 bytes per embedding dimension plus about 256 (6.3 KiB at 1536 dimensions, so about 10,000 entries by default).' },
  { name: 'SEMANTIC_CACHE_MAX_PER_PARTITION', kind: 'int', default: '1000', min: 1, max: 100000, group: 'cache', description: 'Semantic-cache entries kept per partition (tenant, namespace or route, and the request apart from its last user message), in process and in Redis; a lookup compares against all of them (about 3 µs per entry at 1536 dimensions on a loaded 2-core machine: 3 ms at 1000).' },
  { name: 'LIMITS_FAIL_MODE', kind: 'enum', default: 'open', values: ['open', 'closed'], group: 'limits', description: 'With the limits backend unreachable, or the in-process counters full: open lets requests through, closed rejects them with 503.' },
  { name: 'LIMITS_MEMORY_MAX_COUNTERS', kind: 'int', default: '200000', min: 1, group: 'limits', description: 'Limit counters kept in process when CACHE_STORE=memory (one per key, virtual key or user, rule and window; about 200 bytes each). Full, new ones are handled as LIMITS_FAIL_MODE says and /health reports degraded.' },
  { name: 'LIMITS_LEASE_REQUESTS', kind: 'int', default: '128', min: 0, group: 'limits', description: 'Redis limits: a reservation may lease up to this many requests\' worth of each counter (never more than 1/16 of the headroom left) for the replica to spend without a round trip. Never overshoots; a replica may hold back unused units from the others for up to LIMITS_LEASE_TTL_MS. 0 reserves every request in Redis.' },
  { name: 'LIMITS_LEASE_TTL_MS', kind: 'int', default: '1000', min: 10, group: 'limits', description: 'How long a replica keeps unused leased limit units before giving them back to Redis.' },
  { name: 'CIRCUIT_BREAKER_MIN_COOLDOWN_MS', kind: 'int', default: '30000', min: 100, group: 'cache', description: 'Floor of strategy.cb_config.cooldown_interval: shorter cooldowns are raised to it (Portkey\'s floor is 30 s). Breakers live in Redis when CACHE_STORE shares state, else in process.' },
  // logs
  { name: 'LOG_STORE', kind: 'enum', default: 'file', values: ['file', 's3', 's3_assume', 's3_custom', 'none'], group: 'logs', description: 'Where log documents go: local files, S3 with keys, S3 with the task role or an assumed role, or any S3-compatible endpoint.' },
  { name: 'LOG_STORE_FILE_DIR', kind: 'string', default: './data/logs', group: 'logs', description: 'Directory of the file log store.' },
  { name: 'LOG_STORE_REGION', kind: 'string', default: '', group: 'logs', description: 'Region of the log bucket.' },
  { name: 'LOG_STORE_GENERATIONS_BUCKET', kind: 'string', default: '', group: 'logs', description: 'Bucket for log documents.' },
  { name: 'LOG_STORE_BASEPATH', kind: 'string', default: '', group: 'logs', description: 'Endpoint URL of an S3-compatible store (s3_custom).' },
  { name: 'LOG_STORE_ACCESS_KEY', kind: 'secret', default: '', group: 'logs', description: 'Access key id for LOG_STORE=s3 / s3_custom. Empty: the default AWS credential chain.' },
  { name: 'LOG_STORE_SECRET_KEY', kind: 'secret', default: '', group: 'logs', description: 'Secret access key for LOG_STORE=s3 / s3_custom.' },
  { name: 'LOG_STORE_AWS_ROLE_ARN', kind: 'string', default: '', group: 'logs', description: 'Role to assume for LOG_STORE=s3_assume. Empty: the task role itself.' },
  { name: 'LOG_STORE_AWS_EXTERNAL_ID', kind: 'string', default: '', group: 'logs', description: 'External id for the assumed role.' },
  { name: 'LOG_STORE_SPILL_DIR', kind: 'string', default: './data/spill', group: 'logs', description: 'Directory where batches wait when the log store is unreachable; replayed with backoff and at start.' },
  { name: 'LOG_STORE_SPILL_MAX_BYTES', kind: 'int', default: String(1024 * 1024 * 1024), min: 0, group: 'logs', description: 'Bound of the spill directory, bytes.' },
  { name: 'LOG_STORE_QUEUE_MAX_DOCS', kind: 'int', default: '20000', min: 1, group: 'logs', description: 'Bound of the in-memory log queue, documents.' },
  { name: 'LOG_STORE_BATCH_MAX_DOCS', kind: 'int', default: '500', min: 1, group: 'logs', description: 'Documents per batch object.' },
  { name: 'LOG_STORE_BATCH_MAX_AGE_MS', kind: 'int', default: '5000', min: 10, group: 'logs', description: 'Longest a document waits before its batch is written.' },
  { name: 'LOG_BODY_MAX_BYTES', kind: 'int', default: '4096', min: 0, group: 'logs', description: 'Request and response bodies in log documents are truncated at this size.' },
  { name: 'LOG_REDACT_FIELDS', kind: 'list', default: '', group: 'logs', description: 'Extra field names removed from log documents wherever they appear (comma-separated).' },
  { name: 'LOG_EXPORTS_BUCKET', kind: 'string', default: '', group: 'data-service', description: 'Bucket for log exports (data service).' },
  { name: 'FINETUNES_BUCKET', kind: 'string', default: '', group: 'data-service', description: 'Bucket for fine-tuning datasets (data service).' },
  { name: 'DATASERVICE_BASEPATH', kind: 'string', default: '', group: 'data-service', description: 'URL of the data service, e.g. http://data-service:8081.' },
  // observability
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', kind: 'string', default: '', group: 'observability', description: 'OpenTelemetry: base URL of an OTLP/HTTP receiver (traces go to <url>/v1/traces). Empty (and no traces endpoint): tracing is off and costs nothing.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', kind: 'string', default: '', group: 'observability', description: 'OpenTelemetry: full OTLP/HTTP traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT.' },
  { name: 'OTEL_SERVICE_NAME', kind: 'string', default: 'portico-gateway', group: 'observability', description: 'service.name of the spans.' },
  { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', kind: 'enum', default: 'http/protobuf', values: ['http/protobuf', 'http/json'], group: 'observability', description: 'OpenTelemetry: how OTLP/HTTP bodies are encoded; http/protobuf (the OTLP default) is half the bytes of http/json.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', kind: 'enum', default: '', values: ['http/protobuf', 'http/json'], group: 'observability', description: 'OpenTelemetry: the protocol for traces; wins over OTEL_EXPORTER_OTLP_PROTOCOL.' },
  { name: 'OTEL_TRACES_SAMPLER', kind: 'enum', default: 'parentbased_always_on', values: ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], group: 'observability', description: 'OpenTelemetry: which requests are traced. A request the sampler drops costs next to nothing (no span attributes, no export); parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1 traces a tenth of the new traces and follows the caller\'s decision otherwise.' },
  { name: 'OTEL_TRACES_SAMPLER_ARG', kind: 'string', default: '', group: 'observability', description: 'OpenTelemetry: the ratio (0 to 1) of the traceidratio samplers; 1 when empty.' },
  { name: 'OTEL_BSP_SCHEDULE_DELAY', kind: 'int', default: '1000', min: 1, group: 'observability', description: 'OpenTelemetry: milliseconds between exports of finished spans (sooner when a batch fills).' },
  { name: 'OTEL_BSP_MAX_QUEUE_SIZE', kind: 'int', default: '2048', min: 1, group: 'observability', description: 'OpenTelemetry: finished spans waiting for export at most; past it new ones are dropped, never the request held.' },
  { name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', kind: 'int', default: '512', min: 1, group: 'observability', description: 'OpenTelemetry: spans per export at most (at most OTEL_BSP_MAX_QUEUE_SIZE).' },
  { name: 'LOG_LEVEL', kind: 'enum', default: 'info', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], group: 'observability', description: 'Level of the structured JSON process log.' },
] as const satisfies readonly SettingSpec[];

export type SettingName = (typeof SETTINGS)[number]['name'];
export type Settings = Record<SettingName, string>;

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SettingsError';
  }
}

export function settingNames(): string[] {
  return SETTINGS.map((s) => s.name);
}

/**
 * Reads and validates every setting. Unset variables take their default; bad values are collected
 * and reported together. Cross-setting rules (REDIS_URL with CACHE_STORE=redis, bucket with s3) too.
 */
export function loadSettings(env: Record<string, string | undefined>): Settings {
  const out = {} as Record<string, string>;
  const problems: string[] = [];
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const raw = env[spec.name];
    const value = raw === undefined || raw === '' ? (spec.default ?? '') : raw.trim();
    const problem = checkValue(spec, value);
    if (problem) problems.push(problem);
    out[spec.name] = value;
  }
  if ((out.CACHE_STORE === 'redis' || out.CACHE_STORE.startsWith('aws-elast')) && !out.REDIS_URL) {
    problems.push(`REDIS_URL is required when CACHE_STORE=${out.CACHE_STORE}; set it to redis://host:6379 or rediss://host:6379`);
  }
  if (out.REDIS_URL && !/^rediss?:\/\//.test(out.REDIS_URL)) {
    problems.push(`REDIS_URL must start with redis:// or rediss:// (got a value starting with "${out.REDIS_URL.slice(0, 8)}")`);
  }
  if (out.LOG_STORE.startsWith('s3') && !out.LOG_STORE_GENERATIONS_BUCKET) {
    problems.push(`LOG_STORE_GENERATIONS_BUCKET is required when LOG_STORE=${out.LOG_STORE}`);
  }
  if (out.LOG_STORE === 's3_custom' && !out.LOG_STORE_BASEPATH) {
    problems.push('LOG_STORE_BASEPATH (the S3-compatible endpoint URL) is required when LOG_STORE=s3_custom');
  }
  if (out.CONTROL_PLANE_URL) {
    if (!/^https?:\/\//.test(out.CONTROL_PLANE_URL)) problems.push('CONTROL_PLANE_URL must start with http:// or https://');
    if (!out.PORTKEY_CLIENT_AUTH) problems.push('PORTKEY_CLIENT_AUTH (the control plane\'s client auth key) is required when CONTROL_PLANE_URL is set');
    if (asList(out.ORGANISATIONS_TO_SYNC).length === 0) problems.push('ORGANISATIONS_TO_SYNC (the organisation ids to sync, comma-separated) is required when CONTROL_PLANE_URL is set');
  }
  if (Number(out.DEFAULT_REQUEST_TIMEOUT_MS) > Number(out.MAX_REQUEST_TIMEOUT_MS)) {
    problems.push(`DEFAULT_REQUEST_TIMEOUT_MS (${out.DEFAULT_REQUEST_TIMEOUT_MS}) must not exceed MAX_REQUEST_TIMEOUT_MS (${out.MAX_REQUEST_TIMEOUT_MS})`);
  }
  if (out.OTEL_TRACES_SAMPLER_ARG !== '' && !(Number(out.OTEL_TRACES_SAMPLER_ARG) >= 0 && Number(out.OTEL_TRACES_SAMPLER_ARG) <= 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (got "${out.OTEL_TRACES_SAMPLER_ARG}")`);
  }
  if (Number(out.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) > Number(out.OTEL_BSP_MAX_QUEUE_SIZE)) {
    problems.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE (${out.OTEL_BSP_MAX_EXPORT_BATCH_SIZE}) must not exceed OTEL_BSP_MAX_QUEUE_SIZE (${out.OTEL_BSP_MAX_QUEUE_SIZE})`);
  }
  if (out.SEMANTIC_CACHE_EMBEDDING) {
    try {
      parseSemanticEmbedding(out.SEMANTIC_CACHE_EMBEDDING);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new SettingsError(problems);
  return out as Settings;
}

function checkValue(spec: SettingSpec, value: string): string | undefined {
  if (value === '') return undefined;
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(value)) return `${spec.name} must be an integer (got "${value}")`;
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) return `${spec.name} must be at least ${spec.min} (got ${n})`;
      if (spec.max !== undefined && n > spec.max) return `${spec.name} must be at most ${spec.max} (got ${n})`;
      return undefined;
    }
    case 'bool':
      return /^(true|false|1|0|yes|no)$/i.test(value) ? undefined : `${spec.name} must be true or false (got "${value}")`;
    case 'enum':
      return spec.values!.includes(value) ? undefined : `${spec.name} must be one of ${spec.values!.join(', ')} (got "${value}")`;
    case 'url':
      return /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value) ? undefined : `${spec.name} must be an http(s) URL such as https://bedrock.us-east-1.amazonaws.com (got "${value}")`;
    default:
      return undefined;
  }
}

export const asInt = (v: string): number => Number(v);
export const asBool = (v: string): boolean => /^(true|1|yes)$/i.test(v);
export const asList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);
