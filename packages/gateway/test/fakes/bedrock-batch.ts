/**
 * A fake of Bedrock's batch inference control plane (service `bedrock`, restJson1), for tests:
 *   POST /model-invocation-job            CreateModelInvocationJob
 *   GET  /model-invocation-job/{id}       GetModelInvocationJob (id: job ARN or 12-character id)
 *   POST /model-invocation-job/{id}/stop  StopModelInvocationJob
 *   GET  /model-invocation-jobs           ListModelInvocationJobs
 * Every request's SigV4 signature is recomputed with `aws4` (an implementation independent of the
 * gateway's signer). Create bodies are held to the documented shape (required members, patterns, no
 * unknown members) and get ValidationException otherwise. A job moves Submitted → InProgress →
 * Completed one step per GetModelInvocationJob; on completion the fake does what Bedrock does: it
 * reads the input records from S3, checks each record's modelInput as InvokeModel would, answers
 * each, and writes `{output}/{jobId}/{input name}.out` and `manifest.json.out`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createFakeServer } from '../helpers/fake-server.js';
import { validateAnthropic as validateAnthropicSpec } from '../helpers/anthropic-schema.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { anthropicInvokeBodyErrors, type JsonObj } from '../providers/bedrock/fake-validate.js';
import { verifySigV4, type FakeAwsCredential } from '../providers/bedrock/sigv4-verify.js';

const validateAnthropic = checkedIfPresent('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json', validateAnthropicSpec, []);

export interface FakeBatchJob extends JsonObj {
  jobArn: string;
  status: string;
}

export interface FakeBedrockBatch {
  url: string;
  jobs: Map<string, FakeBatchJob>;
  /** Every request: operation, SigV4 outcome, parsed body. */
  requests: Array<{ operation: string; signature: string; body: unknown; status: number }>;
  /** What the model answers for one record's input (Anthropic Messages body): text, or an error. */
  answer(fn: (input: JsonObj, recordId: string) => string | { errorCode: number; errorMessage: string }): void;
  close(): Promise<void>;
}

const CREATE_MEMBERS = new Set(['jobName', 'roleArn', 'clientRequestToken', 'modelId', 'inputDataConfig', 'outputDataConfig', 'vpcConfig', 'timeoutDurationInHours', 'tags', 'modelInvocationType']);
const JOB_NAME = /^[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9+\-.]){0,63}$/;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
const S3_URI = /^s3:\/\/[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](\/.*)?$/;

const isObj = (v: unknown): v is JsonObj => typeof v === 'object' && v !== null && !Array.isArray(v);

function createErrors(b: unknown): string[] {
  if (!isObj(b)) return ['body must be a JSON object'];
  const errs: string[] = [];
  for (const k of Object.keys(b)) if (!CREATE_MEMBERS.has(k)) errs.push(`unknown member ${k}`);
  if (typeof b.jobName !== 'string' || !JOB_NAME.test(b.jobName)) errs.push('jobName fails its pattern');
  if (typeof b.roleArn !== 'string' || !ROLE_ARN.test(b.roleArn)) errs.push('roleArn fails its pattern');
  if (typeof b.modelId !== 'string' || b.modelId.length === 0) errs.push('modelId is required');
  const input = isObj(b.inputDataConfig) && isObj(b.inputDataConfig.s3InputDataConfig) ? b.inputDataConfig.s3InputDataConfig : undefined;
  if (!input || typeof input.s3Uri !== 'string' || !S3_URI.test(input.s3Uri)) errs.push('inputDataConfig.s3InputDataConfig.s3Uri is required');
  if (input?.s3InputFormat !== undefined && input.s3InputFormat !== 'JSONL') errs.push('s3InputFormat must be JSONL');
  const output = isObj(b.outputDataConfig) && isObj(b.outputDataConfig.s3OutputDataConfig) ? b.outputDataConfig.s3OutputDataConfig : undefined;
  if (!output || typeof output.s3Uri !== 'string' || !S3_URI.test(output.s3Uri)) errs.push('outputDataConfig.s3OutputDataConfig.s3Uri is required');
  if (b.timeoutDurationInHours !== undefined && !(Number.isInteger(b.timeoutDurationInHours) && (b.timeoutDurationInHours as number) >= 24 && (b.timeoutDurationInHours as number) <= 168)) errs.push('timeoutDurationInHours must be 24..168');
  if (b.tags !== undefined && !(Array.isArray(b.tags) && b.tags.every((t) => isObj(t) && typeof t.key === 'string' && typeof t.value === 'string'))) errs.push('tags must be [{key, value}]');
  return errs;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType) headers['x-amzn-errortype'] = `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** The job as the API returns it (without the fake's own bookkeeping). */
function publicJob(job: FakeBatchJob): JsonObj {
  const { readSinceChange: _r, ...rest } = job;
  return rest;
}

function splitS3(uri: string): { Bucket: string; Key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
  return { Bucket: m[1]!, Key: m[2]! };
}

export async function startFakeBedrockBatch(opts: { s3: S3Client; credentials: FakeAwsCredential[]; region?: string; account?: string }): Promise<FakeBedrockBatch> {
  const region = opts.region ?? 'us-east-1';
  const account = opts.account ?? '123456789012';
  const jobs = new Map<string, FakeBatchJob>();
  const requests: FakeBedrockBatch['requests'] = [];
  let answer: Parameters<FakeBedrockBatch['answer']>[0] = (input) => `echo: ${JSON.stringify((input.messages as JsonObj[])?.at(-1)?.content)}`;

  const find = (ident: string) => {
    const id = decodeURIComponent(ident);
    return jobs.get(id) ?? [...jobs.values()].find((j) => j.jobArn.endsWith(`/${id}`));
  };

  async function runJob(job: FakeBatchJob): Promise<void> {
    const inUri = (job.inputDataConfig as JsonObj & { s3InputDataConfig: { s3Uri: string } }).s3InputDataConfig.s3Uri;
    const outUri = (job.outputDataConfig as JsonObj & { s3OutputDataConfig: { s3Uri: string } }).s3OutputDataConfig.s3Uri;
    const got = await opts.s3.send(new GetObjectCommand(splitS3(inUri)));
    const text = await got.Body!.transformToString();
    const out: string[] = [];
    let ok = 0;
    let failed = 0;
    for (const raw of text.split('\n').filter((l) => l.trim())) {
      const rec = JSON.parse(raw) as JsonObj;
      const keys = Object.keys(rec).sort().join(',');
      if (keys !== 'modelInput,recordId' || typeof rec.recordId !== 'string' || !isObj(rec.modelInput)) throw new Error(`fake bedrock batch: record is not {recordId, modelInput}: ${raw.slice(0, 200)}`);
      const input = rec.modelInput;
      const invalid = anthropicInvokeBodyErrors(input, job.modelId as string, validateAnthropic);
      const said = invalid.length ? { errorCode: 400, errorMessage: invalid[0]! } : answer(input, rec.recordId);
      if (typeof said === 'string') {
        ok++;
        out.push(JSON.stringify({
          recordId: rec.recordId, modelInput: input,
          modelOutput: { id: `msg_bdrk_${randomBytes(8).toString('hex')}`, type: 'message', role: 'assistant', model: 'claude-3-5-sonnet-20240620', content: [{ type: 'text', text: said }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 11, output_tokens: 7 } },
        }));
      } else {
        failed++;
        out.push(JSON.stringify({ recordId: rec.recordId, modelInput: input, error: said }));
      }
    }
    const jobId = job.jobArn.slice(job.jobArn.lastIndexOf('/') + 1);
    const base = splitS3(outUri.endsWith('/') ? outUri : `${outUri}/`);
    const name = inUri.slice(inUri.lastIndexOf('/') + 1);
    await opts.s3.send(new PutObjectCommand({ Bucket: base.Bucket, Key: `${base.Key}${jobId}/${name}.out`, Body: out.join('\n') + '\n' }));
    await opts.s3.send(new PutObjectCommand({ Bucket: base.Bucket, Key: `${base.Key}${jobId}/manifest.json.out`, Body: JSON.stringify({ totalRecordCount: ok + failed, processedRecordCount: ok + failed, successRecordCount: ok, errorRecordCount: failed }) }));
    Object.assign(job, { totalRecordCount: ok + failed, processedRecordCount: ok + failed, successRecordCount: ok, errorRecordCount: failed });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const [p, q = ''] = path.split('?');
    const op = req.method === 'POST' && p === '/model-invocation-job' ? 'CreateModelInvocationJob'
      : req.method === 'GET' && p === '/model-invocation-jobs' ? 'ListModelInvocationJobs'
      : req.method === 'POST' && /^\/model-invocation-job\/[^/]+\/stop$/.test(p!) ? 'StopModelInvocationJob'
      : req.method === 'GET' && /^\/model-invocation-job\/[^/]+$/.test(p!) ? 'GetModelInvocationJob' : 'Unknown';
    const sig = verifySigV4({ method: req.method!, rawPath: path, headers: req.headers, body: raw }, { service: 'bedrock', region, credentials: opts.credentials });
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = raw.toString('utf8');
    }
    const entry = { operation: op, signature: sig.ok ? 'valid' : sig.message, body, status: 0 };
    requests.push(entry);
    const reply = (status: number, b: unknown, type?: string) => {
      entry.status = status;
      send(res, status, b, type);
    };
    if (!sig.ok) return reply(sig.status, { message: sig.message }, sig.type);
    if (op === 'Unknown') return reply(404, { message: `no route ${req.method} ${p}` }, 'UnknownOperationException');
    if (op === 'CreateModelInvocationJob') {
      if (req.headers['content-type'] !== 'application/json') return reply(400, { message: 'content-type must be application/json' }, 'ValidationException');
      const errs = createErrors(body);
      if (errs.length) return reply(400, { message: `1 validation error detected: ${errs.join('; ')}` }, 'ValidationException');
      const b = body as JsonObj;
      const id = randomBytes(6).toString('hex');
      const jobArn = `arn:aws:bedrock:${region}:${account}:model-invocation-job/${id}`;
      const now = new Date().toISOString();
      jobs.set(jobArn, {
        jobArn, jobName: b.jobName, modelId: b.modelId, roleArn: b.roleArn, clientRequestToken: b.clientRequestToken, status: 'Submitted', submitTime: now, lastModifiedTime: now,
        inputDataConfig: b.inputDataConfig, outputDataConfig: b.outputDataConfig, timeoutDurationInHours: b.timeoutDurationInHours ?? 24,
        jobExpirationTime: new Date(Date.now() + 24 * 3600_000).toISOString(),
      });
      return reply(200, { jobArn });
    }
    if (op === 'ListModelInvocationJobs') {
      const params = new URLSearchParams(q);
      const max = Number(params.get('maxResults') ?? 1000);
      const start = Number(params.get('nextToken') ?? 0);
      const all = [...jobs.values()].reverse();
      const page = all.slice(start, start + max);
      return reply(200, { invocationJobSummaries: page.map(publicJob), ...(start + max < all.length ? { nextToken: String(start + max) } : {}) });
    }
    const ident = p!.split('/')[2]!;
    const job = find(ident);
    if (!job) return reply(404, { message: `Job ${decodeURIComponent(ident)} not found` }, 'ResourceNotFoundException');
    if (op === 'StopModelInvocationJob') {
      if (!['Submitted', 'Validating', 'Scheduled', 'InProgress'].includes(job.status)) return reply(400, { message: `Job in ${job.status} cannot be stopped` }, 'ValidationException');
      job.status = 'Stopping';
      job.readSinceChange = false;
      job.lastModifiedTime = new Date().toISOString();
      return reply(200, {});
    }
    // GetModelInvocationJob: one step forward per read, from the second read after a change on.
    const now = new Date().toISOString();
    const fresh = !job.readSinceChange;
    job.readSinceChange = true;
    if (fresh) return reply(200, publicJob(job));
    if (job.status === 'Submitted') job.status = 'InProgress';
    else if (job.status === 'InProgress') {
      await runJob(job);
      job.status = 'Completed';
      job.endTime = now;
    } else if (job.status === 'Stopping') {
      job.status = 'Stopped';
      job.endTime = now;
    }
    job.lastModifiedTime = now;
    return reply(200, publicJob(job));
  }

  const server = createFakeServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    jobs,
    requests,
    answer(fn) {
      answer = fn;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
