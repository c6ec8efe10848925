/**
 * OpenAI's Files and Batch APIs on Amazon Bedrock, as Portkey serves them: files are S3 objects
 * (converted to Bedrock's batch records on the way in), batches are model invocation jobs, and a
 * job's output is read back from S3 and converted to OpenAI's batch output JSONL on the way out.
 * Ids are Portkey's: the percent-encoded s3:// URI of a file, the percent-encoded ARN of a job.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, GatewayError } from '../errors.js';
import { bedrockUsesApiKey } from '../providers/bedrock/auth.js';
import { fromBedrockBatchRecord, bedrockBatchFamily, toBedrockBatchRecord } from '../providers/bedrock/batch-records.js';
import { bedrockControlBaseUrl, bedrockJobIdentifier, bedrockOutputUri, fromModelInvocationJob, openAIStatusOfBedrockJob, toCreateModelInvocationJob } from '../providers/bedrock/batch-jobs.js';
import { resolveBedrockCredentials } from '../providers/bedrock/credentials.js';
import { bedrockRegion } from '../providers/bedrock/endpoint.js';
import type { JsonObject } from '../providers/types.js';
import { signAwsRequest } from '../upstream/aws-sigv4.js';
import { respondJson, type CloudContext, type CloudRoute } from './context.js';
import { streamConverted, streamRaw } from './stream-out.js';
import { cloudCall, cloudError, jsonOf, readBounded, SMALL_ANSWER_MAX } from './http.js';
import { decodeId } from './openai-batch.js';
import {
  abortMultipartUpload, checkBucket, checkOwnIdentityBucket, sseHeaders, completeMultipartUpload, createMultipartUpload, deleteObject, getObject, headObject, parseS3Uri, putObject, uploadPart,
  type S3Access, type S3Encryption, type S3Location,
} from './s3.js';
import type { PartWriter } from './upload.js';
import { fileObject, uploadConverted } from './batch-upload.js';

/** S3 parts: at least 5 MiB but the last; 8 MiB keeps memory low and part counts far under 10,000. */
export const S3_PART_BYTES = 8 * 1024 * 1024;

async function awsAccess(c: CloudContext): Promise<{ access: S3Access; region: string }> {
  if (bedrockUsesApiKey(c.target)) {
    throw badRequest('bedrock files and batches use S3 and the Bedrock control plane, which take AWS credentials, not a Bedrock API key: send x-portkey-aws-access-key-id and -secret-access-key, a role (x-portkey-aws-role-arn), or run the gateway with a task role.', 'x-portkey-aws-auth-type');
  }
  const region = bedrockRegion(c.target);
  const { credentials, source } = await resolveBedrockCredentials(c.target);
  const access: S3Access = { http: c.http, region, credentials, endpoint: c.settings.s3Endpoint };
  if (source === 'default-chain') {
    // The gateway's own identity (on ECS the task role) serves batches only where the operator said so.
    const buckets = c.settings.ownIdentityBuckets ?? [];
    if (buckets.length === 0) {
      throw new GatewayError({ status: 403, type: 'permission_error', code: 'own_identity_not_allowed', param: 'x-portkey-aws-access-key-id', message: 'bedrock files and batches need AWS credentials in the request (x-portkey-aws-access-key-id and -secret-access-key, a role, or a virtual key): the gateway\'s own AWS identity serves them only for the buckets in BEDROCK_BATCH_S3_BUCKETS, and none are set.' });
    }
    access.allowedBuckets = new Set(buckets);
  }
  return { region, access };
}

export async function handleBedrock(c: CloudContext, r: CloudRoute): Promise<void> {
  const { access, region } = await awsAccess(c);
  if (r.kind === 'files') {
    if (!r.id && r.method === 'POST') return uploadFile(c, access);
    if (r.id && !r.action && r.method === 'GET') return retrieveFile(c, access, r.id);
    if (r.id && !r.action && r.method === 'DELETE') return removeFile(c, access, r.id);
    if (r.id && r.action === 'content' && r.method === 'GET') return fileContent(c, access, r.id);
  } else {
    if (!r.id && r.method === 'POST') return createBatch(c, access, region);
    if (!r.id && r.method === 'GET') return listBatches(c, access, region, r.query);
    if (r.id && !r.action && r.method === 'GET') return respondJson(c, 200, fromModelInvocationJob(await getJob(c, access, region, r.id)));
    if (r.id && r.action === 'cancel' && r.method === 'POST') return cancelBatch(c, access, region, r.id);
    if (r.id && r.action === 'output' && r.method === 'GET') return batchOutput(c, access, region, r.id);
  }
  throw unsupported(r);
}

export function unsupported(r: CloudRoute): GatewayError {
  return new GatewayError({
    status: 404, type: 'not_found_error', code: 'route_not_found',
    message: `${r.method} /v1/${r.kind}${r.id ? '/{id}' : ''}${r.action ? `/${r.action}` : ''} is not served for this provider: files take POST, GET {id}, GET {id}/content and DELETE {id}; batches take POST, GET, GET {id}, POST {id}/cancel and GET {id}/output.`,
  });
}

// ---- files

function s3Writer(a: S3Access, loc: S3Location, enc: S3Encryption): PartWriter {
  let uploadId: string | undefined;
  const etags: string[] = [];
  return {
    async part(data) {
      uploadId ??= await createMultipartUpload(a, loc, enc);
      etags.push(await uploadPart(a, loc, uploadId, etags.length + 1, data));
    },
    async finish(last) {
      if (!uploadId) return putObject(a, loc, last, enc);
      if (last.length > 0) etags.push(await uploadPart(a, loc, uploadId, etags.length + 1, last));
      await completeMultipartUpload(a, loc, uploadId, etags);
    },
    async abort() {
      if (uploadId) await abortMultipartUpload(a, loc, uploadId);
    },
  };
}

async function uploadFile(c: CloudContext, a: S3Access): Promise<void> {
  const s = c.target.settings;
  const bucket = s.aws_s3_bucket;
  if (!bucket) throw badRequest('bedrock files go to S3: set x-portkey-aws-s3-bucket (and optionally x-portkey-aws-s3-object-key) to where the batch file should be written.', 'x-portkey-aws-s3-bucket', 'missing_parameter');
  checkBucket(bucket, 'x-portkey-aws-s3-bucket');
  const key = s.aws_s3_object_key?.replace(/^\/+/, '') || `${randomUUID()}.jsonl`;
  if (!key.endsWith('.jsonl') || key.length > 1024) throw badRequest('x-portkey-aws-s3-object-key must end in .jsonl (Bedrock reads batch input from .jsonl objects) and be at most 1024 characters.', 'x-portkey-aws-s3-object-key');
  const loc = { bucket, key };
  const enc = { type: s.aws_server_side_encryption || undefined, kmsKeyId: s.aws_server_side_encryption_kms_key_id || undefined };
  sseHeaders(enc);
  const { result: bytes, fields, filename } = await uploadConverted(c, s3Writer(a, loc, enc), S3_PART_BYTES, {
    headerModel: s.aws_bedrock_model || undefined,
    modelHeader: 'x-portkey-aws-bedrock-model',
    checkModel: bedrockBatchFamily,
    toRecord: (line, model, lineNo) => toBedrockBatchRecord(line, model, bedrockBatchFamily(model), lineNo),
  });
  const purpose = fields.purpose ?? 'batch';
  if (purpose !== 'batch') {
    await deleteObject(a, loc).catch(() => undefined);
    throw badRequest(`bedrock files take purpose "batch" (got "${purpose.slice(0, 40)}"); fine-tuning files go to the data service (POST /v1/fine_tuning/jobs without x-portkey-provider).`, 'purpose', 'invalid_value');
  }
  const uri = `s3://${bucket}/${key}`;
  respondJson(c, 200, batchFileObject(uri, bytes, Math.floor(Date.now() / 1000), filename || key));
}

const batchFileObject = (uri: string, bytes: number, createdAt: number, filename: string) => fileObject(uri, bytes, createdAt, filename, uri.endsWith('.out') ? 'batch_output' : 'batch');

async function retrieveFile(c: CloudContext, a: S3Access, id: string): Promise<void> {
  const uri = decodeId(id, 'file_id');
  const loc = parseS3Uri(uri, 'file_id');
  const head = await headObject(a, loc);
  respondJson(c, 200, batchFileObject(uri, head.bytes, head.lastModified ?? 0, loc.key.slice(loc.key.lastIndexOf('/') + 1)));
}

async function removeFile(c: CloudContext, a: S3Access, id: string): Promise<void> {
  const uri = decodeId(id, 'file_id');
  await deleteObject(a, parseS3Uri(uri, 'file_id'));
  respondJson(c, 200, { id: encodeURIComponent(uri), object: 'file', deleted: true });
}

/** A batch input is sent as stored; a job's output (`.out`) is converted to OpenAI's output lines. */
async function fileContent(c: CloudContext, a: S3Access, id: string): Promise<void> {
  const loc = parseS3Uri(decodeId(id, 'file_id'), 'file_id');
  const obj = await getObject(a, loc);
  if (loc.key.endsWith('.out')) return streamConverted(c, obj, (record, i) => fromBedrockBatchRecord(record, '', i));
  return streamRaw(c, obj);
}

// ---- batches

async function control(c: CloudContext, a: S3Access, region: string, method: 'GET' | 'POST', path: string, body?: JsonObject): Promise<JsonObject> {
  const url = `${bedrockControlBaseUrl(region, c.settings.bedrockEndpoint)}${path}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body) headers['content-type'] = 'application/json';
  const signed = await signAwsRequest({ method, url, headers, body: body ? JSON.stringify(body) : undefined }, { service: 'bedrock', region, credentials: a.credentials });
  const res = await cloudCall(c.http, signed, 'bedrock');
  const text = await readBounded(res.body, SMALL_ANSWER_MAX, 'bedrock');
  const json = jsonOf(text);
  if (res.status < 200 || res.status > 299) {
    const type = (res.headers['x-amzn-errortype'] ?? (json?.__type as string | undefined) ?? '').split(':')[0]!.split('#').pop() || undefined;
    const message = (json?.message ?? json?.Message) as string | undefined;
    throw cloudError('bedrock', res.status, type, message, res.status === 403 ? 'the credentials need bedrock:CreateModelInvocationJob, GetModelInvocationJob, ListModelInvocationJobs, StopModelInvocationJob and iam:PassRole on the role_arn' : undefined);
  }
  if (!json) throw cloudError('bedrock', 502, 'InvalidResponse', 'the control plane answered with something that is not a JSON object');
  return json;
}

async function createBatch(c: CloudContext, a: S3Access, region: string): Promise<void> {
  const s = c.target.settings;
  const body = toCreateModelInvocationJob(await c.readJson(), { model: s.aws_bedrock_model || undefined, kmsKeyId: s.aws_server_side_encryption_kms_key_id || undefined });
  // The job reads and writes S3 as its role, not the gateway: with the gateway's identity, both must be listed buckets.
  const uriOf = (cfg: unknown, key: string) => ((cfg as Record<string, Record<string, string>>)[key]!.s3Uri)!;
  for (const uri of [uriOf(body.inputDataConfig, 's3InputDataConfig'), uriOf(body.outputDataConfig, 's3OutputDataConfig')]) checkOwnIdentityBucket(a, uri.slice(5).split('/')[0]!);
  const created = await control(c, a, region, 'POST', '/model-invocation-job', body);
  if (typeof created.jobArn !== 'string') throw cloudError('bedrock', 502, 'InvalidResponse', 'CreateModelInvocationJob returned no jobArn');
  // The job as Bedrock now sees it, so the answer is a whole Batch, as OpenAI's create returns one.
  respondJson(c, 200, fromModelInvocationJob(await control(c, a, region, 'GET', `/model-invocation-job/${encodeURIComponent(created.jobArn)}`)));
}

function getJob(c: CloudContext, a: S3Access, region: string, id: string): Promise<JsonObject> {
  return control(c, a, region, 'GET', `/model-invocation-job/${encodeURIComponent(bedrockJobIdentifier(id))}`);
}

async function cancelBatch(c: CloudContext, a: S3Access, region: string, id: string): Promise<void> {
  const ident = encodeURIComponent(bedrockJobIdentifier(id));
  await control(c, a, region, 'POST', `/model-invocation-job/${ident}/stop`);
  respondJson(c, 200, fromModelInvocationJob(await control(c, a, region, 'GET', `/model-invocation-job/${ident}`)));
}

async function listBatches(c: CloudContext, a: S3Access, region: string, q: URLSearchParams): Promise<void> {
  const limit = q.get('limit') ?? '20';
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000) throw badRequest('limit must be a whole number from 1 to 1000.', 'limit', 'invalid_limit');
  const params = new URLSearchParams({ maxResults: limit, sortOrder: 'Descending', sortBy: 'CreationTime' });
  // Bedrock pages by token, not by id: `after` takes the next_token of the previous page.
  const after = q.get('after');
  if (after) params.set('nextToken', after);
  const page = await control(c, a, region, 'GET', `/model-invocation-jobs?${params}`);
  const data = (Array.isArray(page.invocationJobSummaries) ? page.invocationJobSummaries : []).filter((j): j is JsonObject => typeof j === 'object' && j !== null).map(fromModelInvocationJob);
  const next = typeof page.nextToken === 'string' ? page.nextToken : null;
  respondJson(c, 200, { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: next !== null, next_token: next });
}

async function batchOutput(c: CloudContext, a: S3Access, region: string, id: string): Promise<void> {
  const job = await getJob(c, a, region, id);
  const status = openAIStatusOfBedrockJob(job.status);
  const uri = bedrockOutputUri(job);
  if (!uri || !['completed', 'cancelled', 'expired'].includes(status)) {
    throw new GatewayError({ status: 409, code: 'batch_output_unavailable', param: 'batch_id', message: `The batch is ${status} (Bedrock: ${String(job.status)}); its output can be read once it is completed, cancelled or expired.` });
  }
  const obj = await getObject(a, parseS3Uri(uri, 'output_file_id'));
  const model = typeof job.modelId === 'string' ? job.modelId : '';
  await streamConverted(c, obj, (record, i) => fromBedrockBatchRecord(record, model, i));
}
