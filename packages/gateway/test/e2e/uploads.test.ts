import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { pollUntil } from '../helpers/until.js';

/**
 * Uploads on other /v1 paths (files, audio): a multipart or binary body over MAX_BODY_BYTES is streamed to
 * the provider as it arrives instead of being held in memory, up to MAX_UPLOAD_BYTES, and sent only once.
 */
const MiB = 1024 * 1024;
const BUFFER_LIMIT = MiB;
const UPLOAD_LIMIT = 8 * MiB;
const PROVIDER_KEY = 'sk-test-upload-key-1234567890';

let gw: TestGateway;
let primary: FakeOpenAI;
let secondary: FakeOpenAI;

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gw = await startTestGateway({ MAX_BODY_BYTES: String(BUFFER_LIMIT), MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([primary?.close(), secondary?.close()]);
});
beforeEach(() => {
  primary.reset();
  secondary.reset();
});

function client(headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: `${gw.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': primary.baseUrl, ...headers },
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body as the SDKs send it: fields, then one file part. */
function multipart(fields: Record<string, string>, file: Buffer, filename: string): { boundary: string; head: Buffer; tail: Buffer } {
  const boundary = `----portico${randomBytes(8).toString('hex')}`;
  let head = '';
  for (const [k, v] of Object.entries(fields)) head += `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  head += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/octet-stream\r\n\r\n`;
  return { boundary, head: Buffer.from(head), tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * POST /v1/files written by hand: `declareLength` false sends it chunked; `between` runs after the first
 * `splitAt` bytes are written and before the rest; `paced` sends the rest in pieces with pauses.
 */
function rawUpload(file: Buffer, opts: { declareLength?: boolean; splitAt?: number; between?: () => Promise<void>; paced?: { pieces: number; pauseMs: number }; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const { boundary, head, tail } = multipart({ purpose: 'fine-tune' }, file, 'train.jsonl');
  const body = Buffer.concat([head, file, tail]);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}/v1/files`, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        authorization: `Bearer ${PROVIDER_KEY}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': primary.baseUrl,
        ...(opts.declareLength === false ? {} : { 'content-length': String(body.length) }),
        ...opts.headers,
      },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    // The gateway may answer (413) and close before the whole body is written.
    req.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    const splitAt = opts.splitAt ?? body.length;
    req.write(body.subarray(0, splitAt), async () => {
      try {
        await opts.between?.();
      } catch (e) {
        reject(e);
        req.destroy();
        return;
      }
      const rest = body.subarray(splitAt);
      if (!opts.paced) return req.end(rest);
      // The rest in equal pieces with a pause before each, as a slow client sends it.
      const size = Math.ceil(rest.length / opts.paced.pieces);
      for (let at = 0; at < rest.length; at += size) {
        await sleep(opts.paced.pauseMs);
        req.write(rest.subarray(at, at + size));
      }
      req.end();
    });
  });
}

async function logFor(traceId: string): Promise<Record<string, any>> {
  return eventually(() => {
    const doc = readAllLogs(gw).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((d) => d.trace_id === traceId);
    if (!doc) throw new Error(`no log document for ${traceId} yet`);
    return doc;
  }, 5000);
}

describe('uploads larger than MAX_BODY_BYTES', () => {
  it('streams a file upload from the openai SDK to the provider, bytes intact, and logs its size, not its bytes', async () => {
    const file = randomBytes(3 * MiB);
    const { data, response } = await client({ 'x-portkey-trace-id': 'upload-sdk-1' }).files.create({ file: await toFile(file, 'train.jsonl'), purpose: 'fine-tune' }).withResponse();
    assertOpenAI('OpenAIFile', data);
    expect(data.bytes).toBe(file.length);
    expect(data.filename).toBe('train.jsonl');
    expect(primary.requests[0].body.files.file.sha256).toBe(sha256(file));
    expect(primary.requests).toHaveLength(1);
    expect(primary.requests[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    const doc = await logFor('upload-sdk-1');
    expect(doc.request.body).toMatch(/^\[upload of \d+ bytes, streamed to the provider, not logged\]$/);
    expect(Number(/of (\d+) bytes/.exec(doc.request.body)![1])).toBeGreaterThan(file.length);
    expect(doc.response.status).toBe(200);
  });

  it('streams an audio transcription upload (multipart with a model field)', async () => {
    const audio = randomBytes(2 * MiB);
    const out = await client().audio.transcriptions.create({ file: await toFile(audio, 'talk.mp3'), model: 'whisper-1' });
    expect(out.text).toBe(`Transcribed ${audio.length} bytes of talk.mp3.`);
  });

  it('passes bytes to the provider before the client has finished sending them', async () => {
    const file = randomBytes(4 * MiB);
    const res = await rawUpload(file, {
      splitAt: 3 * MiB,
      // Held back here: the rest is not sent until the provider has received most of the first part.
      between: () => pollUntil('the provider to receive the first bytes of the upload', () => primary.bytesReceived() >= 2 * MiB, 5000, 5),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).bytes).toBe(file.length);
    expect(primary.requests[0].body.files.file.sha256).toBe(sha256(file));
  });

  it('streams a chunked upload (no content-length) once it outgrows MAX_BODY_BYTES, starting with the bytes already read', async () => {
    const file = randomBytes(3 * MiB);
    const res = await rawUpload(file, { declareLength: false, splitAt: 2 * MiB, between: () => pollUntil('the provider to receive the buffered prefix', () => primary.bytesReceived() >= MiB, 5000, 5) });
    expect(res.status).toBe(200);
    expect(primary.requests[0].body.files.file.sha256).toBe(sha256(file));
    expect(primary.requests[0].headers['transfer-encoding']).toBe('chunked');
  });

  it('answers 413 at once for a declared length over MAX_UPLOAD_BYTES, without calling the provider', async () => {
    const res = await rawUpload(randomBytes(UPLOAD_LIMIT + MiB), { splitAt: 0, between: async () => undefined });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    const err = JSON.parse(res.body).error;
    expect(err.code).toBe('request_too_large');
    expect(err.message).toMatch(/MAX_UPLOAD_BYTES/);
    expect(primary.requests).toHaveLength(0);
  });

  it('answers 413 for a chunked upload that passes MAX_UPLOAD_BYTES on the way, and the provider gets no complete request', async () => {
    const res = await rawUpload(randomBytes(UPLOAD_LIMIT + MiB), { declareLength: false });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.message).toMatch(/MAX_UPLOAD_BYTES/);
    expect(primary.requests).toHaveLength(0);
  });

  it('sends a streamed upload once: no retry and no fallback after the provider failed it, and says so in the log', async () => {
    const config = {
      strategy: { mode: 'fallback' },
      retry: { attempts: 3, on_status_codes: [503] },
      targets: [{ provider: 'openai', custom_host: primary.baseUrl }, { provider: 'openai', custom_host: secondary.baseUrl }],
    };
    primary.enqueue({ status: 503 });
    const res = await rawUpload(randomBytes(2 * MiB), { headers: { 'x-portkey-config': JSON.stringify(config), 'x-portkey-trace-id': 'upload-once-1' } });
    expect(res.status).toBe(503);
    expect(primary.requests).toHaveLength(1);
    expect(secondary.requests).toHaveLength(0);
    const doc = await logFor('upload-once-1');
    expect(doc.retries).toBe(0);
    expect(doc.attempts).toHaveLength(1);
  });

  it('still retries and falls back with an upload small enough to hold in memory', async () => {
    const config = {
      strategy: { mode: 'fallback' },
      targets: [{ provider: 'openai', custom_host: primary.baseUrl, retry: { attempts: 1, on_status_codes: [503] } }, { provider: 'openai', custom_host: secondary.baseUrl }],
    };
    primary.enqueue({ status: 503 }, { status: 503 });
    const file = randomBytes(100 * 1024);
    const { data } = await client({ 'x-portkey-config': JSON.stringify(config) }).files.create({ file: await toFile(file, 'small.jsonl'), purpose: 'batch' }).withResponse();
    expect(data.bytes).toBe(file.length);
    expect(primary.requests).toHaveLength(2);
    expect(secondary.requests).toHaveLength(1);
  });

  it('survives a client that disconnects mid-upload: the provider request is dropped and the log says why', async () => {
    const { boundary, head } = multipart({ purpose: 'fine-tune' }, Buffer.alloc(0), 'cut.jsonl');
    const req = httpRequest(`${gw.url}/v1/files`, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(4 * MiB),
        authorization: `Bearer ${PROVIDER_KEY}`,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': primary.baseUrl,
        'x-portkey-trace-id': 'upload-cut-1',
      },
    });
    req.on('error', () => undefined);
    req.write(Buffer.concat([head, randomBytes(2 * MiB)]));
    await pollUntil('the provider to receive part of the upload', () => primary.bytesReceived() >= MiB, 5000, 5);
    req.destroy();
    const doc = await logFor('upload-cut-1');
    expect(doc.error.code).toBe('client_closed_request');
    expect(doc.response.status).toBe(499);
    expect(primary.requests).toHaveLength(0);
    // Still serving.
    const res = await fetch(`${gw.url}/health`);
    expect(res.status).toBe(200);
  });

  it('closes the connection after refusing a body that is still arriving, instead of reading the rest of it', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => (answer += d));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${50 * MiB}\r\nauthorization: Bearer ${PROVIDER_KEY}\r\nx-portkey-provider: openai\r\n\r\n{"model":`);
    await closed;
    expect(answer).toMatch(/^HTTP\/1.1 413/);
    expect(answer.toLowerCase()).toContain('connection: close');
  });

  it('times an upload by its progress: one that keeps moving outlasts request_timeout, one that stalls gets 408', async () => {
    const file = randomBytes(3 * MiB);
    const timeout = { 'x-portkey-request-timeout': '500' };
    // The rest in five pieces 150 ms apart: about 0.75 s in all, longer than the timeout, never 500 ms without a byte.
    const started = Date.now();
    const moving = await rawUpload(file, { headers: timeout, splitAt: MiB, paced: { pieces: 5, pauseMs: 150 } });
    expect(Date.now() - started).toBeGreaterThan(700);
    expect(moving.status).toBe(200);
    expect(primary.requests[0].body.files.file.sha256).toBe(sha256(file));
    // A third of the upload, then nothing for longer than the timeout.
    const stalled = await rawUpload(file, { headers: timeout, splitAt: MiB, between: () => sleep(1500) });
    expect(stalled.status).toBe(408);
    expect(JSON.parse(stalled.body).error.message).toMatch(/no progress for 500 ms/);
  });

  it('keeps refusing JSON bodies over MAX_BODY_BYTES on other /v1 paths: they are parsed, not streamed', async () => {
    const res = await fetch(`${gw.url}/v1/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': primary.baseUrl },
      body: JSON.stringify({ input_file_id: 'x'.repeat(BUFFER_LIMIT) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toMatch(/MAX_BODY_BYTES/);
    expect(primary.requests).toHaveLength(0);
  });
});
