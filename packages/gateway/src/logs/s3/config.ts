import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { gatewayAwsCredentialProvider } from '../../upstream/aws-identity.js';
import { asInt, asList, type Settings } from '../../config/settings.js';
import type { Registry } from 'prom-client';
import type { Redactor } from '../redact.js';

/** Everything the S3 log store needs, read from Settings. */
export interface S3LogStoreConfig {
  mode: 's3' | 's3_assume' | 's3_custom';
  bucket: string;
  region: string;
  endpoint?: string;
  /** Key prefix of every object, ending in '/'. */
  prefix: string;
  spillDir: string;
  spillMaxBytes: number;
  queueMaxDocs: number;
  batchMaxDocs: number;
  batchMaxBytes: number;
  batchMaxAgeMs: number;
  redactFields: string[];
}

/** Raw (uncompressed) bytes at which a batch is cut whatever its count. */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

export function s3LogStoreConfig(settings: Settings): S3LogStoreConfig {
  const mode = settings.LOG_STORE;
  if (mode !== 's3' && mode !== 's3_assume' && mode !== 's3_custom') {
    throw new Error(`The S3 log store needs LOG_STORE=s3, s3_assume or s3_custom (got "${mode}")`);
  }
  if (!settings.LOG_STORE_GENERATIONS_BUCKET) {
    throw new Error(`LOG_STORE_GENERATIONS_BUCKET is required when LOG_STORE=${mode}; set it to the log bucket's name`);
  }
  return {
    mode,
    bucket: settings.LOG_STORE_GENERATIONS_BUCKET,
    // s3_custom endpoints (MinIO, R2, s3rver) rarely care about the region, but the signer needs one.
    region: settings.LOG_STORE_REGION || (mode === 's3_custom' ? 'us-east-1' : ''),
    endpoint: mode === 's3_custom' ? settings.LOG_STORE_BASEPATH : undefined,
    prefix: 'logs/',
    spillDir: settings.LOG_STORE_SPILL_DIR,
    spillMaxBytes: asInt(settings.LOG_STORE_SPILL_MAX_BYTES),
    queueMaxDocs: asInt(settings.LOG_STORE_QUEUE_MAX_DOCS),
    batchMaxDocs: asInt(settings.LOG_STORE_BATCH_MAX_DOCS),
    batchMaxBytes: BATCH_MAX_BYTES,
    batchMaxAgeMs: asInt(settings.LOG_STORE_BATCH_MAX_AGE_MS),
    redactFields: asList(settings.LOG_REDACT_FIELDS),
  };
}

/**
 * The S3 client for the log store.
 * - Static keys when LOG_STORE_ACCESS_KEY and LOG_STORE_SECRET_KEY are both set; otherwise the gateway's
 *   own identity (upstream/aws-identity.ts: environment, files, web identity, ECS task role, instance
 *   profile), whose metadata calls go through the pinned metadata client, not the SDK's.
 * - s3_assume with LOG_STORE_AWS_ROLE_ARN: that role, assumed with the default chain's credentials.
 * - s3_custom: LOG_STORE_BASEPATH as endpoint, path-style addressing.
 * Checksums only WHEN_REQUIRED: S3-compatible servers otherwise store aws-chunked framing in objects.
 * The SDK retries once; the store's own spill and replay handle longer outages.
 */
export function createLogS3Client(settings: Settings): S3Client {
  const cfg = s3LogStoreConfig(settings);
  const conf: S3ClientConfig = {
    region: cfg.region || undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  };
  if (cfg.endpoint) {
    conf.endpoint = cfg.endpoint;
    conf.forcePathStyle = true;
  }
  const accessKeyId = settings.LOG_STORE_ACCESS_KEY;
  const secretAccessKey = settings.LOG_STORE_SECRET_KEY;
  if (accessKeyId && secretAccessKey && cfg.mode !== 's3_assume') {
    conf.credentials = { accessKeyId, secretAccessKey };
  } else if (cfg.mode === 's3_assume' && settings.LOG_STORE_AWS_ROLE_ARN) {
    conf.credentials = fromTemporaryCredentials({
      masterCredentials: gatewayAwsCredentialProvider(),
      params: {
        RoleArn: settings.LOG_STORE_AWS_ROLE_ARN,
        RoleSessionName: 'portico-log-store',
        ...(settings.LOG_STORE_AWS_EXTERNAL_ID ? { ExternalId: settings.LOG_STORE_AWS_EXTERNAL_ID } : {}),
      },
      clientConfig: cfg.region ? { region: cfg.region } : undefined,
    });
  }
  conf.credentials ??= gatewayAwsCredentialProvider();
  return new S3Client(conf);
}

/** The subset of a pino logger the store uses. */
export interface LogStoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface S3LogStoreDeps {
  /** An S3 client; by default one is built from Settings (createLogS3Client). */
  client?: S3Client;
  /** Where the metrics register; prom-client's global register by default. */
  registry?: Registry;
  logger?: LogStoreLogger;
  /** Overrides of the configuration read from Settings (tests use short backoffs). */
  config?: Partial<S3LogStoreConfig>;
  /** Longest one PUT may take before the batch is spilled instead. */
  uploadTimeoutMs?: number;
  replayBackoffMs?: { initial: number; max: number };
  /**
   * Redaction applied to each document off the request path. Default: makeRedactor(LOG_REDACT_FIELDS).
   * Pass false when the caller already redacted the documents it writes.
   */
  redact?: Redactor | false;
}
