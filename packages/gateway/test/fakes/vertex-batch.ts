/**
 * A fake of what Vertex AI batch prediction needs, for tests: an OAuth token endpoint (the JWT bearer
 * grant, RS256 assertion verified against the service account's public key), Cloud Storage's JSON API
 * (simple and resumable uploads with Content-Range checked as Google documents: chunks a multiple of
 * 256 KiB, offsets contiguous; metadata, alt=media download, delete) and batchPredictionJobs (create,
 * get, :cancel, list). Every storage and job call must carry a token this fake issued. A job moves
 * PENDING → RUNNING → SUCCEEDED one step per read (from the second read on); on success the fake reads
 * the input lines from its storage, checks each request is the model's own body, and writes
 * `{outputUriPrefix}/prediction-model-{time}/predictions.jsonl` as Vertex does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createFakeServer } from '../helpers/fake-server.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FakeVertexBatch {
  url: string;
  /** For x-portkey-custom-host: Vertex's base with /v1. */
  vertexBase: string;
  serviceAccountJson: string;
  tokenUri: string;
  objects: Map<string, Buffer>;
  jobs: Map<string, Json>;
  requests: Array<{ method: string; path: string; status: number; contentRange?: string }>;
  readonly tokenExchanges: number;
  close(): Promise<void>;
}

const QUARTER_MIB = 256 * 1024;
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

function verifyAssertion(jwt: string, key: KeyObject, email: string, aud: string): string | undefined {
  const [h, c, sig] = jwt.split('.');
  if (!h || !c || !sig) return 'assertion is not a JWT';
  if (!createVerify('RSA-SHA256').update(`${h}.${c}`).verify(key, Buffer.from(sig, 'base64url'))) return 'Invalid JWT Signature.';
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Json;
  if (claims.iss !== email || claims.aud !== aud || claims.scope !== SCOPE) return 'Invalid JWT: iss, aud or scope is wrong.';
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp < now || typeof claims.iat !== 'number' || claims.iat > now + 60) return 'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.';
  return undefined;
}

function rpc(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: status, message, status: code } }));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeVertexBatch(): Promise<FakeVertexBatch> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const email = 'batch-test@fake-project.iam.gserviceaccount.com';
  const issued = new Set<string>();
  const objects = new Map<string, Buffer>();
  const sessions = new Map<string, { key: string; parts: Buffer[]; received: number }>();
  const jobs = new Map<string, Json>();
  const requests: FakeVertexBatch['requests'] = [];
  let exchanges = 0;
  let nextJob = 1000;
  let url = '';

  const objectResource = (bucket: string, name: string) => ({ kind: 'storage#object', bucket, name, size: String(objects.get(`${bucket}/${name}`)!.length), timeCreated: new Date().toISOString(), contentType: 'application/jsonl' });

  function runJob(job: Json): void {
    const uris = ((job.inputConfig as Json).gcsSource as Json).uris as string[];
    const input = objects.get(uris[0]!.replace(/^gs:\/\//, ''));
    if (!input) throw new Error(`fake vertex: input ${uris[0]} does not exist`);
    const anthropic = String(job.model).startsWith('publishers/anthropic/');
    let ok = 0;
    let failed = 0;
    const out: string[] = [];
    for (const raw of input.toString('utf8').split('\n').filter((l) => l.trim())) {
      const line = JSON.parse(raw) as Json;
      const req = line.request as Json;
      let problem: string | undefined;
      if (!isObj(req)) problem = 'request is required';
      else if (anthropic) problem = req.anthropic_version !== 'vertex-2023-10-16' ? 'anthropic_version must be vertex-2023-10-16' : 'model' in req || 'stream' in req ? 'model and stream are not permitted' : undefined;
      else problem = !Array.isArray(req.contents) || req.contents.length === 0 ? 'contents is required' : Object.keys(req).find((k) => !['contents', 'systemInstruction', 'generationConfig', 'tools', 'toolConfig', 'safetySettings', 'labels', 'cachedContent'].includes(k));
      const text = JSON.stringify(isObj(req) && Array.isArray(req.contents) ? (req.contents.at(-1) as Json).parts : null);
      if (problem || text.includes('FAIL')) {
        failed++;
        out.push(JSON.stringify({ ...line, status: problem ? `Bad Request: ${problem}` : 'Internal error: made to fail', processed_time: new Date().toISOString() }));
        continue;
      }
      ok++;
      out.push(JSON.stringify({ ...line, status: '', processed_time: new Date().toISOString(), response: { candidates: [{ content: { role: 'model', parts: [{ text: `gemini says ${text}` }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 }, modelVersion: String(job.model).split('/').pop() } }));
    }
    const prefix = (((job.outputConfig as Json).gcsDestination as Json).outputUriPrefix as string).replace(/\/+$/, '');
    const dir = `${prefix}/prediction-model-2026-12-07T17:00:00.000000Z`;
    objects.set(`${dir.replace(/^gs:\/\//, '')}/predictions.jsonl`, Buffer.from(out.join('\n') + '\n'));
    job.outputInfo = { gcsOutputDirectory: dir };
    job.completionStats = { successfulCount: String(ok), failedCount: String(failed), incompleteCount: '0' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const u = new URL(req.url ?? '/', 'http://fake');
    const entry = { method: req.method ?? '', path: u.pathname, status: 0, contentRange: req.headers['content-range'] as string | undefined };
    requests.push(entry);
    const done = res.end.bind(res);
    res.end = ((...args: Parameters<ServerResponse['end']>) => {
      entry.status = res.statusCode;
      return done(...args);
    }) as ServerResponse['end'];

    if (req.method === 'POST' && u.pathname === '/token') {
      const form = new URLSearchParams(raw.toString('utf8'));
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(res, 400, { error: 'unsupported_grant_type' });
      const problem = verifyAssertion(form.get('assertion') ?? '', publicKey, email, `${url}/token`);
      if (problem) return json(res, 400, { error: 'invalid_grant', error_description: problem });
      const token = `ya29.batch-${++exchanges}-${Math.random().toString(36).slice(2)}`;
      issued.add(token);
      return json(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
    }
    const tok = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!tok || !issued.has(tok)) return rpc(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');

    // Cloud Storage JSON API
    const up = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
    if (up && req.method === 'POST') {
      const bucket = decodeURIComponent(up[1]!);
      const name = u.searchParams.get('name');
      if (!name) return rpc(res, 400, 'INVALID_ARGUMENT', 'Required parameter: name');
      if (u.searchParams.get('uploadType') === 'media') {
        objects.set(`${bucket}/${name}`, raw);
        return json(res, 200, objectResource(bucket, name));
      }
      if (u.searchParams.get('uploadType') === 'resumable') {
        const id = `sess${sessions.size + 1}`;
        sessions.set(id, { key: `${bucket}/${name}`, parts: [], received: 0 });
        return json(res, 200, {}, { location: `${url}/upload/storage/v1/b/${up[1]}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}` });
      }
      return rpc(res, 400, 'INVALID_ARGUMENT', 'uploadType must be media or resumable');
    }
    if (up && req.method === 'PUT') {
      const s = sessions.get(u.searchParams.get('upload_id') ?? '');
      if (!s) return rpc(res, 404, 'NOT_FOUND', 'No such upload session');
      const m = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(String(req.headers['content-range'] ?? ''));
      if (!m) return rpc(res, 400, 'INVALID_ARGUMENT', 'Content-Range is malformed');
      const total = m[3] === '*' ? undefined : Number(m[3]);
      if (m[1] !== undefined) {
        const [start, end] = [Number(m[1]), Number(m[2])];
        if (start !== s.received || end - start + 1 !== raw.length) return rpc(res, 400, 'INVALID_ARGUMENT', `Content-Range ${req.headers['content-range']} does not follow byte ${s.received} or match the body`);
        if (total === undefined && raw.length % QUARTER_MIB !== 0) return rpc(res, 400, 'INVALID_ARGUMENT', 'Chunks other than the last must be a multiple of 256 KiB');
        s.parts.push(raw);
        s.received += raw.length;
      }
      if (total === undefined) {
        res.writeHead(308, { range: `bytes=0-${s.received - 1}` });
        return void res.end();
      }
      if (total !== s.received) return rpc(res, 400, 'INVALID_ARGUMENT', `total ${total} but ${s.received} bytes were sent`);
      objects.set(s.key, Buffer.concat(s.parts));
      const [bucket, ...rest] = s.key.split('/');
      return json(res, 200, objectResource(bucket!, rest.join('/')));
    }
    if (up && req.method === 'DELETE') {
      sessions.delete(u.searchParams.get('upload_id') ?? '');
      res.writeHead(499);
      return void res.end();
    }
    const obj = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(u.pathname);
    if (obj) {
      const bucket = decodeURIComponent(obj[1]!);
      const name = decodeURIComponent(obj[2]!);
      const key = `${bucket}/${name}`;
      if (!objects.has(key)) return rpc(res, 404, 'NOT_FOUND', `No such object: ${key}`);
      if (req.method === 'DELETE') {
        objects.delete(key);
        res.writeHead(204);
        return void res.end();
      }
      if (u.searchParams.get('alt') === 'media') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return void res.end(objects.get(key));
      }
      return json(res, 200, objectResource(bucket, name));
    }

    // batchPredictionJobs
    const jm = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/batchPredictionJobs(?:\/(\d+)(:cancel)?)?$/.exec(u.pathname);
    if (!jm) return rpc(res, 404, 'NOT_FOUND', `The requested URL ${u.pathname} was not found on this server.`);
    const [, project, region, id, cancel] = jm;
    if (!id && req.method === 'POST') {
      const b = JSON.parse(raw.toString('utf8') || '{}') as Json;
      const unknown = Object.keys(b).filter((k) => !['displayName', 'model', 'inputConfig', 'outputConfig', 'labels', 'modelParameters', 'dedicatedResources', 'serviceAccount', 'encryptionSpec', 'instanceConfig'].includes(k));
      if (unknown.length) return rpc(res, 400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${unknown[0]}"`);
      const inCfg = b.inputConfig as Json | undefined;
      const outCfg = b.outputConfig as Json | undefined;
      if (typeof b.displayName !== 'string' || !b.displayName) return rpc(res, 400, 'INVALID_ARGUMENT', 'displayName is required');
      if (typeof b.model !== 'string' || !/^publishers\/(google|anthropic)\/models\/[^/]+$/.test(b.model)) return rpc(res, 400, 'INVALID_ARGUMENT', 'model must be publishers/{publisher}/models/{model}');
      if (inCfg?.instancesFormat !== 'jsonl' || !Array.isArray((inCfg.gcsSource as Json | undefined)?.uris)) return rpc(res, 400, 'INVALID_ARGUMENT', 'inputConfig must be jsonl with gcsSource.uris');
      if (outCfg?.predictionsFormat !== 'jsonl' || typeof (outCfg.gcsDestination as Json | undefined)?.outputUriPrefix !== 'string') return rpc(res, 400, 'INVALID_ARGUMENT', 'outputConfig must be jsonl with gcsDestination.outputUriPrefix');
      const jobId = String(nextJob++);
      const now = new Date().toISOString();
      const job: Json = { name: `projects/${project}/locations/${region}/batchPredictionJobs/${jobId}`, ...b, state: 'JOB_STATE_PENDING', createTime: now, updateTime: now };
      jobs.set(jobId, job);
      return json(res, 200, job);
    }
    if (!id && req.method === 'GET') {
      const all = [...jobs.values()].reverse();
      const size = Number(u.searchParams.get('pageSize') ?? 100);
      const start = Number(u.searchParams.get('pageToken') ?? 0);
      return json(res, 200, { batchPredictionJobs: all.slice(start, start + size).map(({ reads: _r, ...j }) => j), ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}) });
    }
    const job = jobs.get(id!);
    if (!job) return rpc(res, 404, 'NOT_FOUND', `BatchPredictionJob ${id} does not exist.`);
    const now = new Date().toISOString();
    if (cancel && req.method === 'POST') {
      if (!['JOB_STATE_PENDING', 'JOB_STATE_QUEUED', 'JOB_STATE_RUNNING'].includes(String(job.state))) return rpc(res, 400, 'FAILED_PRECONDITION', `Cannot cancel a job in ${job.state}`);
      job.state = 'JOB_STATE_CANCELLING';
      job.reads = 0;
      job.updateTime = now;
      return json(res, 200, {});
    }
    if (req.method !== 'GET' || cancel) return rpc(res, 404, 'NOT_FOUND', 'no such method');
    job.reads = Number(job.reads ?? 0) + 1;
    if (Number(job.reads) > 1) {
      if (job.state === 'JOB_STATE_PENDING') (job.state = 'JOB_STATE_RUNNING'), (job.startTime = now);
      else if (job.state === 'JOB_STATE_RUNNING') (runJob(job), (job.state = 'JOB_STATE_SUCCEEDED'), (job.endTime = now));
      else if (job.state === 'JOB_STATE_CANCELLING') (job.state = 'JOB_STATE_CANCELLED'), (job.endTime = now);
      job.updateTime = now;
    }
    const { reads: _r, ...shown } = job;
    return json(res, 200, shown);
  }

  const server = createFakeServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    vertexBase: `${url}/v1`,
    serviceAccountJson: JSON.stringify({ type: 'service_account', project_id: 'fake-project', private_key_id: 'k1', private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }), client_email: email, token_uri: `${url}/token` }),
    tokenUri: `${url}/token`,
    objects,
    jobs,
    requests,
    get tokenExchanges() {
      return exchanges;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
