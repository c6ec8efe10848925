import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * Fakes of the three fine-tuning APIs, each as published:
 *  - OpenAI: POST /v1/files (multipart, purpose fine-tune), POST /v1/fine_tuning/jobs,
 *    GET /v1/fine_tuning/jobs/{id}, POST /v1/fine_tuning/jobs/{id}/cancel; Bearer auth.
 *  - Bedrock (control plane): POST /model-customization-jobs, GET /model-customization-jobs/{id},
 *    POST /model-customization-jobs/{id}/stop; SigV4 (service bedrock) Authorization required.
 *  - Vertex AI: POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…, POST
 *    /v1/projects/{p}/locations/{r}/tuningJobs, GET /v1/{name}, POST /v1/{name}:cancel; Bearer auth.
 * Every created job reports "running" once, then succeeds on the next read (or as cancelled).
 */
export interface FakeTuning {
  url: string;
  openaiFiles: Map<string, string>;
  bedrockJobs: Map<string, Record<string, unknown>>;
  gcs: Map<string, string>;
  vertexJobs: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeTuning(): Promise<FakeTuning> {
  const openaiFiles = new Map<string, string>();
  const openaiJobs = new Map<string, Record<string, unknown>>();
  const bedrockJobs = new Map<string, Record<string, unknown>>();
  const gcs = new Map<string, string>();
  const vertexJobs = new Map<string, Record<string, unknown>>();
  const reads = new Map<string, number>();
  const advance = (id: string) => {
    const n = (reads.get(id) ?? 0) + 1;
    reads.set(id, n);
    return n;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = url.pathname;
      // ---- OpenAI
      if (path.startsWith('/v1/files') || path.startsWith('/v1/fine_tuning')) {
        if (!/^Bearer sk-/.test(req.headers.authorization ?? '')) return send(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
        if (req.method === 'POST' && path === '/v1/files') {
          const text = raw.toString('utf8');
          if (!/name="purpose"\r\n\r\nfine-tune/.test(text)) return send(400, { error: { message: 'purpose must be fine-tune', type: 'invalid_request_error', param: 'purpose', code: null } });
          const m = /filename="[^"]*"\r\n(?:Content-Type: [^\r]*\r\n)?\r\n([\s\S]*?)\r\n--/.exec(text);
          const id = `file-${randomBytes(8).toString('hex')}`;
          openaiFiles.set(id, m?.[1] ?? '');
          return send(200, { id, object: 'file', bytes: m?.[1].length ?? 0, created_at: 1, filename: 'x.jsonl', purpose: 'fine-tune', status: 'processed' });
        }
        if (req.method === 'POST' && path === '/v1/fine_tuning/jobs') {
          const b = JSON.parse(raw.toString('utf8'));
          if (!openaiFiles.has(b.training_file)) return send(400, { error: { message: `invalid training_file: ${b.training_file}`, type: 'invalid_request_error', param: 'training_file', code: null } });
          if (!/^gpt-/.test(b.model)) return send(400, { error: { message: `Model ${b.model} is not available for fine-tuning`, type: 'invalid_request_error', param: 'model', code: 'model_not_available' } });
          const id = `ftjob-oai${randomBytes(6).toString('hex')}`;
          const job = { id, object: 'fine_tuning.job', model: b.model, training_file: b.training_file, status: 'validating_files', fine_tuned_model: null, created_at: 1, hyperparameters: b.hyperparameters ?? {}, error: null, trained_tokens: null };
          openaiJobs.set(id, job);
          return send(200, job);
        }
        const m = /^\/v1\/fine_tuning\/jobs\/([^/]+)(\/cancel)?$/.exec(path);
        const job = m && openaiJobs.get(m[1]);
        if (!job) return send(404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
        if (m![2]) job.status = 'cancelled';
        else if (job.status !== 'cancelled') {
          const n = advance(job.id as string);
          job.status = n === 1 ? 'running' : 'succeeded';
          if (job.status === 'succeeded') Object.assign(job, { fine_tuned_model: `ft:${job.model}:org::abc123`, trained_tokens: 1234 });
        }
        return send(200, job);
      }
      // ---- Bedrock control plane
      if (path.startsWith('/model-customization-jobs')) {
        if (!/^AWS4-HMAC-SHA256 Credential=AKIA[^/]+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(req.headers.authorization ?? '')) {
          return send(403, { message: 'The security token included in the request is invalid.' });
        }
        if (req.method === 'POST' && path === '/model-customization-jobs') {
          const b = JSON.parse(raw.toString('utf8'));
          for (const k of ['jobName', 'customModelName', 'roleArn', 'baseModelIdentifier', 'trainingDataConfig', 'outputDataConfig']) if (!b[k]) return send(400, { message: `1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null` });
          if (!/^s3:\/\//.test(b.trainingDataConfig.s3Uri)) return send(400, { message: 'trainingDataConfig.s3Uri must be an S3 URI' });
          if (!/^arn:aws:iam::\d{12}:role\//.test(b.roleArn)) return send(400, { message: 'roleArn is not a role ARN' });
          const jobArn = `arn:aws:bedrock:us-east-1:123456789012:model-customization-job/${b.baseModelIdentifier}/${randomBytes(6).toString('hex')}`;
          bedrockJobs.set(jobArn, { ...b, status: 'InProgress' });
          return send(201, { jobArn });
        }
        const m = /^\/model-customization-jobs\/([^/]+)(\/stop)?$/.exec(path);
        const id = m ? decodeURIComponent(m[1]) : '';
        const job = bedrockJobs.get(id);
        if (!job) return send(404, { message: 'job not found' });
        if (m![2]) {
          job.status = 'Stopped';
          return send(200, {});
        }
        if (job.status === 'InProgress' && advance(id) > 1) Object.assign(job, { status: 'Completed', outputModelArn: `arn:aws:bedrock:us-east-1:123456789012:custom-model/${job.customModelName}` });
        return send(200, { jobArn: id, status: job.status, outputModelArn: job.outputModelArn, baseModelArn: job.baseModelIdentifier });
      }
      // ---- Vertex AI and Cloud Storage
      if (!/^Bearer ya29\./.test(req.headers.authorization ?? '')) return send(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
      const up = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
      if (up && req.method === 'POST') {
        if (url.searchParams.get('uploadType') !== 'media') return send(400, { error: { code: 400, message: 'uploadType=media expected' } });
        gcs.set(`gs://${up[1]}/${url.searchParams.get('name')}`, raw.toString('utf8'));
        return send(200, { kind: 'storage#object', name: url.searchParams.get('name'), bucket: up[1] });
      }
      const create = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/tuningJobs$/.exec(path);
      if (create && req.method === 'POST') {
        const b = JSON.parse(raw.toString('utf8'));
        if (!b.baseModel || !b.supervisedTuningSpec?.trainingDatasetUri) return send(400, { error: { code: 400, message: 'baseModel and supervisedTuningSpec.trainingDatasetUri are required', status: 'INVALID_ARGUMENT' } });
        if (!gcs.has(b.supervisedTuningSpec.trainingDatasetUri)) return send(400, { error: { code: 400, message: 'training dataset not found', status: 'INVALID_ARGUMENT' } });
        const name = `projects/${create[1]}/locations/${create[2]}/tuningJobs/${Date.now()}${Math.floor(Math.random() * 1000)}`;
        const job = { name, baseModel: b.baseModel, state: 'JOB_STATE_PENDING', supervisedTuningSpec: b.supervisedTuningSpec, createTime: new Date().toISOString() };
        vertexJobs.set(name, job);
        return send(200, job);
      }
      const get = /^\/v1\/(projects\/.+\/tuningJobs\/[^/:]+)(:cancel)?$/.exec(path);
      const vj = get && vertexJobs.get(get[1]);
      if (!vj) return send(404, { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } });
      if (get![2]) {
        vj.state = 'JOB_STATE_CANCELLED';
        return send(200, {});
      }
      if (vj.state === 'JOB_STATE_PENDING') vj.state = 'JOB_STATE_RUNNING';
      else if (vj.state === 'JOB_STATE_RUNNING') Object.assign(vj, { state: 'JOB_STATE_SUCCEEDED', tunedModel: { model: `${get![1].replace(/tuningJobs.*/, '')}models/123`, endpoint: 'endpoints/456' } });
      return send(200, vj);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    openaiFiles, bedrockJobs, gcs, vertexJobs,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
