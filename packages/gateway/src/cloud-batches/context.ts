/** What a cloud file or batch operation works with: the request, the resolved target, the bounds. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AuthorizeContext, ProviderTarget } from '../providers/types.js';
import { sendJson } from '../server/respond.js';
import type { CloudHttp } from './http.js';

/** The operator's settings for the clouds' file and batch APIs (GatewayDeps.cloudBatches). */
export interface CloudBatchSettings {
  /** AWS_ENDPOINT_URL_S3: S3 at another endpoint (path style), e.g. a VPC endpoint or a test server. */
  s3Endpoint?: string;
  /** AWS_ENDPOINT_URL_BEDROCK: Bedrock's control plane (batch jobs) at another endpoint. */
  bedrockEndpoint?: string;
  /** VERTEX_STORAGE_ENDPOINT: Cloud Storage's JSON API at another endpoint. */
  gcsEndpoint?: string;
  /** BEDROCK_BATCH_S3_BUCKETS: the buckets the gateway's own AWS identity may use for batches (none: it may not). */
  ownIdentityBuckets?: readonly string[];
  /** CLOUD_BATCH_MAX_UPLOADS: batch files converted at once (each holds about two 8 MiB parts). */
  maxUploads?: number;
  /** Header and body inactivity bound of each call to the clouds (CLOUD_BATCH_TIMEOUT_MS). */
  timeoutMs: number;
}

/** What an operation read and answered, for its log document (filled as it goes; bodies are small JSON). */
export interface CloudLog {
  /** The JSON body read (batches.create). */
  request?: Record<string, unknown>;
  /** The JSON answer sent. */
  response?: unknown;
  /** Said in the document instead of a body that streamed through (a file's content, a batch's output). */
  responseNote?: string;
}

export interface CloudContext {
  req: IncomingMessage;
  res: ServerResponse;
  target: ProviderTarget;
  http: CloudHttp;
  /** For a caller's custom_host: the dispatcher that holds every address to the egress policy. */
  customHttp: CloudHttp;
  settings: CloudBatchSettings;
  /** Largest upload (MAX_UPLOAD_BYTES) and largest JSONL line (MAX_BODY_BYTES). */
  maxUploadBytes: number;
  maxLineBytes: number;
  /** JSON bodies of batches.create: small. */
  readJson(): Promise<Record<string, unknown>>;
  logger: Logger;
  log: CloudLog;
  /** What Vertex's authorize() needs to exchange a service account for a token (egress-checked). */
  authorize: AuthorizeContext;
}

/** Where an operation is: `/v1/files`, `/v1/files/{id}`, `/v1/files/{id}/content`, `/v1/batches/{id}/cancel`, ... */
export interface CloudRoute {
  kind: 'files' | 'batches';
  /** The id path segment, still encoded. */
  id?: string;
  /** `content`, `cancel`, `output`. */
  action?: string;
  method: string;
  query: URLSearchParams;
}

export function respondJson(c: CloudContext, status: number, body: unknown): void {
  c.log.response = body;
  sendJson(c.res, status, body);
}
