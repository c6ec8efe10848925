import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The data service's environment, names as in the deployment guide and its Terraform. One schema:
 * unset or empty values take their default, bad values are reported together at start.
 */
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const str = (def = '') => z.string().trim().default(def);

export const CONFIG_SCHEMA = z.object({
  /** Port; PORT is read when DATA_SERVICE_PORT is unset (the ECS task definition sets PORT=8081). */
  DATA_SERVICE_PORT: int(8081, 0),
  HOST: str('127.0.0.1'),
  DATA_DIR: str('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: int(25_000),
  /** How far V8 lets the heap grow past live data before a full GC, percent (0: V8's own); keeps export RSS flat. */
  HEAP_GROWING_PERCENT: int(50),
  // Where the gateway's log documents are (read only).
  LOG_STORE: z.enum(['file', 's3', 's3_assume', 's3_custom', 'none']).default('file'),
  LOG_STORE_FILE_DIR: str(''),
  LOG_STORE_GENERATIONS_BUCKET: str(),
  LOG_STORE_REGION: str(),
  LOG_STORE_BASEPATH: str(),
  LOG_STORE_ACCESS_KEY: str(),
  LOG_STORE_SECRET_KEY: str(),
  LOG_STORE_AWS_ROLE_ARN: str(),
  LOG_STORE_AWS_EXTERNAL_ID: str(),
  // Buckets this service writes; empty means a local folder under DATA_DIR.
  LOG_EXPORTS_BUCKET: str(),
  FINETUNES_BUCKET: str(),
  // Callers' keys come from the control plane; without it the service is open (embedded mode).
  CONTROL_PLANE_URL: str(),
  PORTKEY_CLIENT_AUTH: str(),
  ORGANISATIONS_TO_SYNC: str(),
  AUTH_CACHE_TTL_MS: int(30_000),
  AUTH_CACHE_MAX_KEYS: int(10_000, 1),
  // Batches run every line through the gateway.
  GATEWAY_URL: str('http://127.0.0.1:8787'),
  REDIS_URL: str(),
  // As the gateway reads them: cluster for an ElastiCache cluster-mode configuration endpoint.
  REDIS_MODE: z.enum(['standalone', 'cluster']).default('standalone'),
  REDIS_TLS_ENABLED: z.enum(['true', 'false']).default('false'),
  REDIS_TLS_CA_FILE: str(),
  BATCH_CONCURRENCY: int(16, 1),
  EXPORT_MAX_ACTIVE: int(2, 1),
  BATCH_MAX_ATTEMPTS: int(5, 1),
  BATCH_MAX_ACTIVE: int(4, 1),
  BATCH_REQUEST_TIMEOUT_MS: int(600_000, 1),
  BATCH_LEASE_TTL_MS: int(30_000, 1000),
  BATCH_CHECKPOINT_MS: int(1000, 10),
  FILE_MAX_BYTES: int(512 * 1024 * 1024, 1),
  BATCH_MAX_LINES: int(50_000, 1),
  MAX_JSON_BODY_BYTES: int(1024 * 1024, 1024),
  /** How often the scheduler looks for jobs without an owner. */
  SCHEDULER_INTERVAL_MS: int(2000, 10),
  /** Fine-tuning: Bedrock's service role, and where the OpenAI and Vertex APIs are. */
  BEDROCK_FINETUNE_ROLE_ARN: str(),
  BEDROCK_ENDPOINT: str(),
  VERTEX_ENDPOINT: str(),
  VERTEX_STORAGE_ENDPOINT: str(),
  /** Signs local download links and seals stored routing headers; default: PORTKEY_CLIENT_AUTH, else a key under DATA_DIR. */
  DATA_SERVICE_SECRET: str(),
  /** Public base URL of downloads on the embedded default; default: the caller's Host (through the gateway). */
  DATA_SERVICE_PUBLIC_URL: str(),
});

export type Config = z.infer<typeof CONFIG_SCHEMA>;

export class ConfigError extends Error {}

/**
 * The organisation of the embedded control plane that `npm start` runs, from the identity file it keeps
 * in DATA_DIR (embedded.json), when ORGANISATIONS_TO_SYNC is not given.
 */
function embeddedOrganisation(dataDir: string): string | undefined {
  try {
    const o = JSON.parse(readFileSync(join(dataDir, 'embedded.json'), 'utf8')) as { organisation_id?: unknown };
    return typeof o.organisation_id === 'string' && o.organisation_id ? o.organisation_id : undefined;
  } catch {
    return undefined;
  }
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(CONFIG_SCHEMA.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  if (input.DATA_SERVICE_PORT === undefined && env.PORT) input.DATA_SERVICE_PORT = env.PORT;
  const v = (k: string, def = '') => (input[k] ?? def).trim();
  if (v('CONTROL_PLANE_URL') && !v('ORGANISATIONS_TO_SYNC')) {
    const org = embeddedOrganisation(v('DATA_DIR', './data'));
    if (org) input.ORGANISATIONS_TO_SYNC = org;
  }
  const parsed = CONFIG_SCHEMA.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) for (const i of parsed.error.issues) problems.push(`${i.path.join('.')}: ${i.message}`);
  // Rules across settings, checked on the raw values too, so every problem is reported at once.
  const logStore = v('LOG_STORE', 'file');
  if (logStore.startsWith('s3') && !v('LOG_STORE_GENERATIONS_BUCKET')) problems.push(`LOG_STORE_GENERATIONS_BUCKET is required when LOG_STORE=${logStore}`);
  if (logStore === 's3_custom' && !v('LOG_STORE_BASEPATH')) problems.push('LOG_STORE_BASEPATH (the S3-compatible endpoint) is required when LOG_STORE=s3_custom');
  if (v('CONTROL_PLANE_URL') && !v('PORTKEY_CLIENT_AUTH')) problems.push('PORTKEY_CLIENT_AUTH is required with CONTROL_PLANE_URL (the data service authenticates callers through it)');
  if (v('CONTROL_PLANE_URL') && !v('ORGANISATIONS_TO_SYNC')) problems.push('ORGANISATIONS_TO_SYNC (the organisation whose keys are accepted) is required with CONTROL_PLANE_URL');
  if (v('REDIS_URL') && !/^rediss?:\/\//.test(v('REDIS_URL'))) problems.push('REDIS_URL must start with redis:// or rediss://');
  if (v('REDIS_MODE') === 'cluster' && /^rediss?:\/\/[^/]*\/[1-9]/.test(v('REDIS_URL'))) problems.push('REDIS_URL selects a database, but Redis Cluster only has database 0: remove the /N path');
  for (const name of ['GATEWAY_URL', 'CONTROL_PLANE_URL', 'LOG_STORE_BASEPATH']) {
    if (v(name) && !URL.canParse(v(name))) problems.push(`${name} must be a URL (got "${v(name)}")`);
  }
  if (problems.length || !parsed.success) throw new ConfigError(`Invalid environment:\n  - ${problems.join('\n  - ')}`);
  const out = parsed.data;
  if (!out.LOG_STORE_FILE_DIR) out.LOG_STORE_FILE_DIR = `${out.DATA_DIR}/logs`;
  return out;
}
