/**
 * Bedrock batch inference jobs (the `bedrock` control-plane API) in OpenAI's Batch shape:
 * CreateModelInvocationJob from batches.create, GetModelInvocationJob → Batch, the job's status in
 * OpenAI's words, and where a job writes its output. Pure.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../../errors.js';
import { checkMetadata, decodeId, epochSeconds, refuseUnknownFields, type OpenAIBatch, type OpenAIBatchStatus } from '../../cloud-batches/openai-batch.js';
import type { JsonObject } from '../types.js';
import { isObject } from './wire.js';

/** https://bedrock.{region}.amazonaws.com, or the operator's AWS_ENDPOINT_URL_BEDROCK (a VPC endpoint, a test fake). */
export function bedrockControlBaseUrl(region: string, endpoint?: string): string {
  return endpoint ? endpoint.replace(/\/+$/, '') : `https://bedrock.${region}.amazonaws.com`;
}

/** Statuses of ModelInvocationJobStatus, in OpenAI's words. */
const STATUS: Readonly<Record<string, OpenAIBatchStatus>> = {
  Submitted: 'validating',
  Validating: 'validating',
  Scheduled: 'in_progress',
  InProgress: 'in_progress',
  Completed: 'completed',
  PartiallyCompleted: 'completed',
  Failed: 'failed',
  Stopping: 'cancelling',
  Stopped: 'cancelled',
  Expired: 'expired',
};

export function openAIStatusOfBedrockJob(status: unknown): OpenAIBatchStatus {
  return (typeof status === 'string' && STATUS[status]) || 'in_progress';
}

const CREATE_FIELDS = ['input_file_id', 'endpoint', 'completion_window', 'metadata', 'model', 'role_arn', 'job_name', 'output_data_config'] as const;
const ROLE_ARN_RE = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const JOB_NAME_RE = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const TAG_RE = /^[a-zA-Z0-9\s._:/=+@-]*$/;
const S3_URI_RE = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

export interface BedrockBatchDefaults {
  /** x-portkey-aws-bedrock-model, when the body names no model. */
  model?: string;
  /** x-portkey-aws-server-side-encryption-kms-key-id: encrypts the output too. */
  kmsKeyId?: string;
}

/** batches.create's body → CreateModelInvocationJob's. 400s name the field to fix. */
export function toCreateModelInvocationJob(body: JsonObject, d: BedrockBatchDefaults): JsonObject {
  refuseUnknownFields(body, CREATE_FIELDS, 'bedrock');
  if (typeof body.input_file_id !== 'string' || body.input_file_id === '') throw badRequest('input_file_id is required: the id files.create returned (the encoded s3:// URI of the input).', 'input_file_id');
  const input = decodeId(body.input_file_id, 'input_file_id');
  if (!S3_URI_RE.test(input) || !input.endsWith('.jsonl')) throw badRequest(`input_file_id must be an s3://bucket/key.jsonl URI (as files.create returns it), not "${input.slice(0, 120)}".`, 'input_file_id');
  if (body.endpoint !== undefined && body.endpoint !== '/v1/chat/completions' && body.endpoint !== '/v1/embeddings') {
    throw badRequest('endpoint must be /v1/chat/completions or /v1/embeddings.', 'endpoint');
  }
  const model = typeof body.model === 'string' && body.model ? body.model : d.model;
  if (!model) throw badRequest('bedrock batches need the model: set "model" in the body (or the x-portkey-aws-bedrock-model header).', 'model');
  if (typeof body.role_arn !== 'string' || !ROLE_ARN_RE.test(body.role_arn)) {
    throw badRequest('role_arn is required: the ARN of the service role Bedrock assumes to read and write the S3 data (arn:aws:iam::123456789012:role/NAME).', 'role_arn');
  }
  const jobName = body.job_name === undefined ? `portico-batch-${randomUUID()}` : body.job_name;
  if (typeof jobName !== 'string' || !JOB_NAME_RE.test(jobName)) throw badRequest('job_name must be 1-63 letters and digits, optionally followed by - + . and more (Bedrock\'s job name rule).', 'job_name');
  const out: JsonObject = {
    jobName,
    roleArn: body.role_arn,
    clientRequestToken: randomUUID(),
    modelId: model,
    inputDataConfig: { s3InputDataConfig: { s3Uri: input, s3InputFormat: 'JSONL' } },
    outputDataConfig: { s3OutputDataConfig: outputConfig(body.output_data_config, input, d.kmsKeyId) },
  };
  const hours = timeoutHours(body.completion_window);
  if (hours !== undefined) out.timeoutDurationInHours = hours;
  // metadata becomes the job's tags (Bedrock's only place for it), so it shows in the AWS console and billing.
  const metadata = checkMetadata(body.metadata);
  if (metadata) {
    out.tags = Object.entries(metadata).map(([key, value]) => {
      if (!TAG_RE.test(key) || !TAG_RE.test(value) || key.length > 128 || value.length > 256) {
        throw badRequest(`metadata.${key.slice(0, 64)}: Bedrock keeps metadata as tags, which allow letters, digits, spaces and . _ : / = + @ - only (keys up to 128, values up to 256 characters).`, 'metadata');
      }
      return { key, value };
    });
  }
  return out;
}

function outputConfig(v: unknown, input: string, kmsKeyId: string | undefined): JsonObject {
  // Default: the input's folder, as Portkey does.
  if (v === undefined) return { s3Uri: input.slice(0, input.lastIndexOf('/') + 1), ...(kmsKeyId ? { s3EncryptionKeyId: kmsKeyId } : {}) };
  const c = isObject(v) && isObject(v.s3OutputDataConfig) ? v.s3OutputDataConfig : isObject(v) ? v : undefined;
  if (!c || typeof c.s3Uri !== 'string' || !S3_URI_RE.test(c.s3Uri)) throw badRequest('output_data_config must be {"s3OutputDataConfig": {"s3Uri": "s3://bucket/prefix/", "s3EncryptionKeyId"?: "..."}}.', 'output_data_config');
  const out: JsonObject = { s3Uri: c.s3Uri };
  const key = c.s3EncryptionKeyId ?? kmsKeyId;
  if (key !== undefined) {
    if (typeof key !== 'string' || key === '') throw badRequest('output_data_config.s3OutputDataConfig.s3EncryptionKeyId must be a KMS key id or ARN.', 'output_data_config');
    out.s3EncryptionKeyId = key;
  }
  for (const k of Object.keys(c)) if (k !== 's3Uri' && k !== 's3EncryptionKeyId' && k !== 's3BucketOwner') throw badRequest(`output_data_config: unknown field "${k}".`, 'output_data_config');
  if (typeof c.s3BucketOwner === 'string') out.s3BucketOwner = c.s3BucketOwner;
  return out;
}

/** completion_window "24h" (OpenAI's) … "168h" → the job's timeout; Bedrock allows 24 to 168 hours. */
function timeoutHours(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (v === 'immediate') {
    throw badRequest('completion_window "immediate" runs a batch on the data service, line by line: send the request without x-portkey-provider, with the routing in portkey_options. Bedrock\'s own batch jobs take "24h" to "168h".', 'completion_window');
  }
  const m = typeof v === 'string' ? /^(\d{2,3})h$/.exec(v) : null;
  const h = m ? Number(m[1]) : NaN;
  if (!(h >= 24 && h <= 168)) throw badRequest('completion_window must be "24h" up to "168h" for Bedrock batch jobs.', 'completion_window');
  return h;
}

/** Job id from an ARN (…:model-invocation-job/abc123def456) or the id itself. */
export function bedrockJobId(arnOrId: string): string {
  return arnOrId.slice(arnOrId.lastIndexOf('/') + 1);
}

/**
 * Where a job writes its results: `{output s3Uri}/{job id}/{input file name}.out`. Bedrock also writes
 * manifest.json.out beside it.
 */
export function bedrockOutputUri(job: JsonObject): string | undefined {
  const outUri = isObject(job.outputDataConfig) && isObject(job.outputDataConfig.s3OutputDataConfig) ? job.outputDataConfig.s3OutputDataConfig.s3Uri : undefined;
  const inUri = isObject(job.inputDataConfig) && isObject(job.inputDataConfig.s3InputDataConfig) ? job.inputDataConfig.s3InputDataConfig.s3Uri : undefined;
  if (typeof outUri !== 'string' || typeof inUri !== 'string' || typeof job.jobArn !== 'string') return undefined;
  const base = outUri.endsWith('/') ? outUri : `${outUri}/`;
  return `${base}${bedrockJobId(job.jobArn)}/${inUri.slice(inUri.lastIndexOf('/') + 1)}.out`;
}

/** OpenAI's batch error code for a job that failed as a whole (a batch object's errors, not a gateway error). */
const JOB_FAILED = 'failed';
const DONE: ReadonlySet<OpenAIBatchStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** GetModelInvocationJob's answer (or a list summary) → OpenAI's Batch object. */
export function fromModelInvocationJob(job: JsonObject): OpenAIBatch {
  const status = openAIStatusOfBedrockJob(job.status);
  const created = epochSeconds(job.submitTime) ?? 0;
  const modified = epochSeconds(job.lastModifiedTime);
  const ended = epochSeconds(job.endTime) ?? modified;
  const input = isObject(job.inputDataConfig) && isObject(job.inputDataConfig.s3InputDataConfig) ? job.inputDataConfig.s3InputDataConfig.s3Uri : undefined;
  const output = status === 'completed' || (status === 'cancelled' || status === 'expired') ? bedrockOutputUri(job) : undefined;
  const total = num(job.totalRecordCount);
  const ok = num(job.successRecordCount);
  const failed = num(job.errorRecordCount);
  const model = typeof job.modelId === 'string' ? job.modelId : '';
  return {
    id: encodeURIComponent(String(job.jobArn ?? '')),
    object: 'batch',
    endpoint: /(^|[./:])(amazon\.titan-embed|cohere\.embed)/.test(model) ? '/v1/embeddings' : '/v1/chat/completions',
    errors: status === 'failed' && typeof job.message === 'string' ? { object: 'list', data: [{ code: JOB_FAILED, message: job.message, param: null, line: null }] } : null,
    input_file_id: typeof input === 'string' ? encodeURIComponent(input) : '',
    completion_window: typeof job.timeoutDurationInHours === 'number' ? `${job.timeoutDurationInHours}h` : '24h',
    status,
    output_file_id: output ? encodeURIComponent(output) : null,
    error_file_id: null,
    created_at: created,
    in_progress_at: status === 'validating' ? null : created,
    expires_at: epochSeconds(job.jobExpirationTime),
    finalizing_at: DONE.has(status) ? ended : null,
    completed_at: status === 'completed' ? ended : null,
    failed_at: status === 'failed' ? ended : null,
    expired_at: status === 'expired' ? ended : null,
    cancelling_at: status === 'cancelling' || status === 'cancelled' ? modified : null,
    cancelled_at: status === 'cancelled' ? ended : null,
    request_counts: { total: total ?? 0, completed: ok ?? 0, failed: failed ?? 0 },
    // GetModelInvocationJob does not return the tags the metadata went to.
    metadata: null,
    provider_status: typeof job.status === 'string' ? job.status : undefined,
    model: model || undefined,
  };
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The job identifier for the control-plane path: the ARN or the bare 12-character id. */
export function bedrockJobIdentifier(segment: string): string {
  const id = decodeId(segment, 'batch_id');
  if (!/^((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/)?[a-z0-9]{12})$/.test(id)) {
    throw badRequest(`"${id.slice(0, 120)}" is not a Bedrock batch id: use the id batches.create returned (the job ARN).`, 'batch_id');
  }
  return id;
}
