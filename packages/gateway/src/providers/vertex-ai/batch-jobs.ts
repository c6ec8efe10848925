/**
 * Vertex AI batchPredictionJobs in OpenAI's Batch shape: the create body from batches.create, a
 * BatchPredictionJob → Batch, its JobState in OpenAI's words, and where predictions are written. Pure.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../../errors.js';
import { checkMetadata, decodeId, epochSeconds, refuseUnknownFields, type OpenAIBatch, type OpenAIBatchStatus } from '../../cloud-batches/openai-batch.js';
import type { JsonObject } from '../types.js';
import { vertexPublisherModel } from './batch-records.js';

const STATE: Readonly<Record<string, OpenAIBatchStatus>> = {
  JOB_STATE_QUEUED: 'validating',
  JOB_STATE_PENDING: 'validating',
  JOB_STATE_RUNNING: 'in_progress',
  JOB_STATE_UPDATING: 'in_progress',
  JOB_STATE_PAUSED: 'in_progress',
  JOB_STATE_SUCCEEDED: 'completed',
  JOB_STATE_PARTIALLY_SUCCEEDED: 'completed',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLING: 'cancelling',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
};

export function openAIStatusOfVertexJob(state: unknown): OpenAIBatchStatus {
  return (typeof state === 'string' && STATE[state]) || 'in_progress';
}

const CREATE_FIELDS = ['input_file_id', 'endpoint', 'completion_window', 'metadata', 'model', 'job_name', 'output_data_config'] as const;
const GS_URI_RE = /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/.*)?$/;
const LABEL_RE = /^[a-z0-9_-]{0,63}$/;

/** batches.create's body → a BatchPredictionJob to create. */
export function toBatchPredictionJob(body: JsonObject, defaults: { model?: string }): JsonObject {
  refuseUnknownFields(body, CREATE_FIELDS, 'vertex-ai');
  if (typeof body.input_file_id !== 'string' || body.input_file_id === '') throw badRequest('input_file_id is required: the id files.create returned (the encoded gs:// URI of the input).', 'input_file_id');
  const input = decodeId(body.input_file_id, 'input_file_id');
  if (!GS_URI_RE.test(input)) throw badRequest(`input_file_id must be a gs://bucket/object URI (as files.create returns it), not "${input.slice(0, 120)}".`, 'input_file_id');
  if (body.endpoint !== undefined && body.endpoint !== '/v1/chat/completions') throw badRequest('endpoint must be /v1/chat/completions for Vertex AI batch prediction.', 'endpoint');
  const model = typeof body.model === 'string' && body.model ? body.model : defaults.model;
  if (!model) throw badRequest('vertex-ai batches need the model: set "model" in the body (or the x-portkey-provider-model header).', 'model');
  if (body.completion_window === 'immediate') {
    throw badRequest('completion_window "immediate" runs a batch on the data service, line by line: send the request without x-portkey-provider, with the routing in portkey_options.', 'completion_window');
  }
  if (body.completion_window !== undefined && !(typeof body.completion_window === 'string' && /^\d{1,3}h$/.test(body.completion_window))) {
    throw badRequest('completion_window must be a number of hours such as "24h".', 'completion_window');
  }
  const displayName = body.job_name === undefined ? `portico-batch-${randomUUID()}` : body.job_name;
  if (typeof displayName !== 'string' || displayName.length === 0 || displayName.length > 128) throw badRequest('job_name must be a string of 1-128 characters.', 'job_name');
  let prefix = input.slice(0, input.lastIndexOf('/'));
  if (body.output_data_config !== undefined) {
    const out = typeof body.output_data_config === 'string' ? decodeId(body.output_data_config, 'output_data_config') : undefined;
    if (!out || !GS_URI_RE.test(out)) throw badRequest('output_data_config must be a gs://bucket/prefix URI (where Vertex AI writes the predictions).', 'output_data_config');
    prefix = out.replace(/\/+$/, '');
  }
  const job: JsonObject = {
    displayName,
    model: vertexPublisherModel(model),
    inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: [input] } },
    outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: prefix } },
  };
  const metadata = checkMetadata(body.metadata);
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (!/^[a-z]/.test(k) || !LABEL_RE.test(k) || !LABEL_RE.test(v)) throw badRequest(`metadata.${k.slice(0, 64)}: Vertex AI keeps metadata as labels: lower-case letters, digits, _ and -, at most 63 characters, keys starting with a letter.`, 'metadata');
    }
    job.labels = metadata;
  }
  return job;
}

/** The job id of a resource name (projects/…/batchPredictionJobs/123) or the id itself. */
export function vertexJobId(segment: string): string {
  const id = decodeId(segment, 'batch_id');
  const bare = id.slice(id.lastIndexOf('/') + 1);
  if (!/^\d{1,24}$/.test(bare)) throw badRequest(`"${id.slice(0, 120)}" is not a Vertex AI batch id: use the id batches.create returned.`, 'batch_id');
  return bare;
}

/** Where predictions are: {gcsOutputDirectory}/predictions.jsonl. */
export function vertexOutputUri(job: JsonObject): string | undefined {
  const info = job.outputInfo as JsonObject | undefined;
  const dir = info && typeof info.gcsOutputDirectory === 'string' ? info.gcsOutputDirectory : undefined;
  return dir ? `${dir.replace(/\/+$/, '')}/predictions.jsonl` : undefined;
}

/** OpenAI's batch error code for a job that failed as a whole (a batch object's errors, not a gateway error). */
const JOB_FAILED = 'failed';
const DONE: ReadonlySet<OpenAIBatchStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);
const count = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : 0);

export function fromBatchPredictionJob(job: JsonObject): OpenAIBatch {
  const status = openAIStatusOfVertexJob(job.state);
  const created = epochSeconds(job.createTime) ?? 0;
  const ended = epochSeconds(job.endTime) ?? epochSeconds(job.updateTime);
  const input = ((job.inputConfig as JsonObject | undefined)?.gcsSource as JsonObject | undefined)?.uris;
  const output = DONE.has(status) ? vertexOutputUri(job) : undefined;
  const stats = (job.completionStats ?? {}) as JsonObject;
  const ok = count(stats.successfulCount);
  const failed = count(stats.failedCount);
  const error = job.error as JsonObject | undefined;
  return {
    id: String(job.name ?? '').slice(String(job.name ?? '').lastIndexOf('/') + 1),
    object: 'batch',
    endpoint: '/v1/chat/completions',
    errors: error && typeof error.message === 'string' ? { object: 'list', data: [{ code: String(error.code ?? JOB_FAILED), message: error.message, param: null, line: null }] } : null,
    input_file_id: Array.isArray(input) && typeof input[0] === 'string' ? encodeURIComponent(input[0]) : '',
    completion_window: '24h',
    status,
    output_file_id: output ? encodeURIComponent(output) : null,
    error_file_id: null,
    created_at: created,
    in_progress_at: epochSeconds(job.startTime),
    expires_at: null,
    finalizing_at: DONE.has(status) ? ended : null,
    completed_at: status === 'completed' ? ended : null,
    failed_at: status === 'failed' ? ended : null,
    expired_at: status === 'expired' ? ended : null,
    cancelling_at: status === 'cancelling' || status === 'cancelled' ? epochSeconds(job.updateTime) : null,
    cancelled_at: status === 'cancelled' ? ended : null,
    request_counts: { total: ok + failed + count(stats.incompleteCount), completed: ok, failed },
    metadata: (job.labels as Record<string, string> | undefined) ?? null,
    provider_status: typeof job.state === 'string' ? job.state : undefined,
    model: typeof job.model === 'string' ? job.model : undefined,
  };
}
