/**
 * OpenAI's Files and Batch APIs on Vertex AI, as Portkey serves them: files are Cloud Storage objects
 * (converted to Vertex batch prediction lines on the way in), batches are batchPredictionJobs, and a
 * job's predictions are read back from Cloud Storage and converted to OpenAI's batch output JSONL.
 * Ids: the percent-encoded gs:// URI of a file, the numeric id of a job.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, GatewayError } from '../errors.js';
import { fromBatchPredictionJob, openAIStatusOfVertexJob, toBatchPredictionJob, vertexJobId, vertexOutputUri } from '../providers/vertex-ai/batch-jobs.js';
import { fromVertexBatchLine, toVertexBatchLine, vertexPublisherModel } from '../providers/vertex-ai/batch-records.js';
import { authorizeVertex } from '../providers/vertex-ai/auth.js';
import { vertexBaseUrl, vertexLocation } from '../providers/vertex-ai/target.js';
import type { JsonObject } from '../providers/types.js';
import { fileObject, uploadConverted } from './batch-upload.js';
import { respondJson, type CloudContext, type CloudRoute } from './context.js';
import { checkGcsBucket, gcsDelete, gcsDownload, gcsMetadata, gcsWriter, parseGsUri, type GcsAccess } from './gcs.js';
import { cloudCall, cloudError, jsonOf, readBounded, SMALL_ANSWER_MAX } from './http.js';
import { decodeId } from './openai-batch.js';
import { streamConverted, streamRaw } from './stream-out.js';
import { unsupported } from './bedrock.js';

/** Resumable upload parts: a multiple of 256 KiB, as Cloud Storage requires. */
export const GCS_PART_BYTES = 8 * 1024 * 1024;

async function bearer(c: CloudContext): Promise<string> {
  const signed = await authorizeVertex({ method: 'GET', url: 'https://storage.googleapis.com/', headers: {} }, c.target, c.authorize);
  return signed.headers.authorization!;
}

function gcsAccess(c: CloudContext): GcsAccess {
  return { http: c.http, base: (c.settings.gcsEndpoint ?? 'https://storage.googleapis.com').replace(/\/+$/, ''), authorization: () => bearer(c) };
}

export async function handleVertex(c: CloudContext, r: CloudRoute): Promise<void> {
  const g = gcsAccess(c);
  if (r.kind === 'files') {
    if (!r.id && r.method === 'POST') return uploadFile(c, g);
    if (r.id && !r.action && r.method === 'GET') return retrieveFile(c, g, r.id);
    if (r.id && !r.action && r.method === 'DELETE') return removeFile(c, g, r.id);
    if (r.id && r.action === 'content' && r.method === 'GET') return fileContent(c, g, r.id);
  } else {
    if (!r.id && r.method === 'POST') return createBatch(c);
    if (!r.id && r.method === 'GET') return listBatches(c, r.query);
    if (r.id && !r.action && r.method === 'GET') return respondJson(c, 200, fromBatchPredictionJob(await jobCall(c, 'GET', vertexJobId(r.id))));
    if (r.id && r.action === 'cancel' && r.method === 'POST') return cancelBatch(c, r.id);
    if (r.id && r.action === 'output' && r.method === 'GET') return batchOutput(c, g, r.id);
  }
  throw unsupported(r);
}

// ---- files

async function uploadFile(c: CloudContext, g: GcsAccess): Promise<void> {
  const s = c.target.settings;
  const bucket = s.vertex_storage_bucket_name;
  if (!bucket) throw badRequest('vertex-ai files go to Cloud Storage: set x-portkey-vertex-storage-bucket-name (and optionally x-portkey-provider-file-name).', 'x-portkey-vertex-storage-bucket-name', 'missing_parameter');
  checkGcsBucket(bucket, 'x-portkey-vertex-storage-bucket-name');
  const name = (s.provider_file_name || `${randomUUID()}.jsonl`).replace(/^\/+/, '');
  if (name.length > 1024) throw badRequest('x-portkey-provider-file-name may be at most 1024 characters.', 'x-portkey-provider-file-name');
  const loc = { bucket, name };
  const { result: bytes, fields, filename } = await uploadConverted(c, gcsWriter(g, loc), GCS_PART_BYTES, {
    headerModel: s.provider_model || s.vertex_model_name || undefined,
    modelHeader: 'x-portkey-provider-model',
    checkModel: vertexPublisherModel,
    toRecord: toVertexBatchLine,
  });
  const purpose = fields.purpose ?? 'batch';
  if (purpose !== 'batch') {
    await gcsDelete(g, loc).catch(() => undefined);
    throw badRequest(`vertex-ai files take purpose "batch" here (got "${purpose.slice(0, 40)}"); fine-tuning runs on the data service (POST /v1/fine_tuning/jobs without x-portkey-provider).`, 'purpose', 'invalid_value');
  }
  const uri = `gs://${bucket}/${name}`;
  respondJson(c, 200, fileObject(uri, bytes, Math.floor(Date.now() / 1000), filename || name));
}

async function retrieveFile(c: CloudContext, g: GcsAccess, id: string): Promise<void> {
  const uri = decodeId(id, 'file_id');
  const loc = parseGsUri(uri, 'file_id');
  const meta = await gcsMetadata(g, loc);
  respondJson(c, 200, fileObject(uri, meta.bytes, meta.created ?? 0, loc.name.slice(loc.name.lastIndexOf('/') + 1), loc.name.endsWith('predictions.jsonl') ? 'batch_output' : 'batch'));
}

async function removeFile(c: CloudContext, g: GcsAccess, id: string): Promise<void> {
  const uri = decodeId(id, 'file_id');
  await gcsDelete(g, parseGsUri(uri, 'file_id'));
  respondJson(c, 200, { id: encodeURIComponent(uri), object: 'file', deleted: true });
}

/** A batch input is sent as stored; predictions (…/predictions.jsonl) are converted to OpenAI's output lines. */
async function fileContent(c: CloudContext, g: GcsAccess, id: string): Promise<void> {
  const loc = parseGsUri(decodeId(id, 'file_id'), 'file_id');
  const obj = await gcsDownload(g, loc);
  if (loc.name.endsWith('predictions.jsonl')) return streamConverted(c, obj, (row, i) => fromVertexBatchLine(row, modelOfRow(row), i));
  return streamRaw(c, obj);
}

/** Read by file id, the job is not at hand: Gemini's answer names its model (modelVersion). */
function modelOfRow(row: unknown): string {
  const res = (row as { response?: { modelVersion?: unknown; model?: unknown } } | undefined)?.response;
  return typeof res?.modelVersion === 'string' ? res.modelVersion : typeof res?.model === 'string' ? res.model : 'vertex-ai';
}

// ---- batches

function jobsUrl(c: CloudContext): string {
  const { project, region } = vertexLocation(c.target);
  return `${vertexBaseUrl(c.target, region)}/projects/${project}/locations/${region}/batchPredictionJobs`;
}

async function jobCall(c: CloudContext, method: 'GET' | 'POST', idAndAction?: string, body?: JsonObject, query?: string): Promise<JsonObject> {
  const url = `${jobsUrl(c)}${idAndAction ? `/${idAndAction}` : ''}${query ? `?${query}` : ''}`;
  const headers: Record<string, string> = { accept: 'application/json', authorization: await bearer(c) };
  if (body) headers['content-type'] = 'application/json';
  // A custom_host (checked when the target was resolved) goes through the egress-checked dispatcher.
  const res = await cloudCall(c.target.customHost ? c.customHttp : c.http, { method, url, headers, body: body ? JSON.stringify(body) : undefined }, 'vertex-ai');
  const json = jsonOf(await readBounded(res.body, SMALL_ANSWER_MAX, 'vertex-ai'));
  if (res.status < 200 || res.status > 299) {
    const e = (json?.error ?? {}) as { message?: string; status?: string };
    throw cloudError('vertex-ai', res.status, e.status, e.message, res.status === 403 ? 'the credentials need aiplatform.batchPredictionJobs.* on the project, and the Vertex AI service agent read/write access to the bucket' : undefined);
  }
  if (!json) throw cloudError('vertex-ai', 502, 'InvalidResponse', 'the batch API answered with something that is not a JSON object');
  return json;
}

async function createBatch(c: CloudContext): Promise<void> {
  const s = c.target.settings;
  const job = toBatchPredictionJob(await c.readJson(), { model: s.provider_model || s.vertex_model_name || undefined });
  respondJson(c, 200, fromBatchPredictionJob(await jobCall(c, 'POST', undefined, job)));
}

async function cancelBatch(c: CloudContext, id: string): Promise<void> {
  const jobId = vertexJobId(id);
  await jobCall(c, 'POST', `${jobId}:cancel`, {});
  respondJson(c, 200, fromBatchPredictionJob(await jobCall(c, 'GET', jobId)));
}

async function listBatches(c: CloudContext, q: URLSearchParams): Promise<void> {
  const limit = q.get('limit') ?? '20';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw badRequest('limit must be a whole number from 1 to 1000.', 'limit', 'invalid_limit');
  const params = new URLSearchParams({ pageSize: limit });
  // Vertex pages by token, not by id: `after` takes the next_token of the previous page.
  const after = q.get('after');
  if (after) params.set('pageToken', after);
  const page = await jobCall(c, 'GET', undefined, undefined, params.toString());
  const data = (Array.isArray(page.batchPredictionJobs) ? page.batchPredictionJobs : []).filter((j): j is JsonObject => typeof j === 'object' && j !== null).map(fromBatchPredictionJob);
  const next = typeof page.nextPageToken === 'string' && page.nextPageToken ? page.nextPageToken : null;
  respondJson(c, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: next !== null, next_token: next });
}

async function batchOutput(c: CloudContext, g: GcsAccess, id: string): Promise<void> {
  const job = await jobCall(c, 'GET', vertexJobId(id));
  const status = openAIStatusOfVertexJob(job.state);
  const uri = vertexOutputUri(job);
  if (!uri || !['completed', 'cancelled', 'expired'].includes(status)) {
    throw new GatewayError({ status: 409, code: 'batch_output_unavailable', param: 'batch_id', message: `The batch is ${status} (Vertex AI: ${String(job.state)}); its output can be read once it is completed, cancelled or expired.` });
  }
  const model = typeof job.model === 'string' ? job.model : '';
  await streamConverted(c, await gcsDownload(g, parseGsUri(uri, 'output_file_id')), (row, i) => fromVertexBatchLine(row, model, i));
}
