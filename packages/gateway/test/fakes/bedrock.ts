/**
 * A fake bedrock-runtime on node:http for integration tests. It serves
 *   POST /model/{modelId}/converse | converse-stream | invoke | invoke-with-response-stream
 * (embeddings are InvokeModel on amazon.titan-embed-* / cohere.embed-*), answering in Bedrock's wire
 * format: restJson1 bodies, binary event streams with correct CRCs, errors with x-amzn-ErrorType.
 *
 * Every request's SigV4 signature is recomputed with `aws4` (an implementation independent of the
 * gateway's signer) from known test credentials; bad or missing signatures get AWS's 403s. Bodies are
 * validated against the JSON Schema derived from the Smithy model and Bedrock's documented rules, and
 * malformed ones get 400 ValidationException, as AWS answers them.
 */
import http from 'node:http';
import { answerFailure, createFakeServer } from '../helpers/fake-server.js';
import type { AddressInfo } from 'node:net';
import { validateAnthropic as validateAnthropicSpec } from '../helpers/anthropic-schema.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { modelIdPatterns as modelIdPatternsSpec } from '../providers/bedrock/bedrock-schema.js';
import { encodeAwsEventStreamMessage, encodeEvent, encodeException } from '../providers/bedrock/eventstream-encoder.js';
import { verifySigV4, type FakeAwsCredential } from '../providers/bedrock/sigv4-verify.js';
import { anthropicInvokeBodyErrors, converseBodyErrors, embeddingBodyErrors, type JsonObj } from '../providers/bedrock/fake-validate.js';
import { anthropicMessage, anthropicStreamEvents, converseResponse, converseStreamEvents, embeddingResponse, type FakeReply } from '../providers/bedrock/fake-replies.js';

const validateAnthropic = checkedIfPresent('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json', validateAnthropicSpec, []);
/** Without the Smithy model, any model id of Bedrock's general shape passes. */
const modelIdPatterns = checkedIfPresent('bedrock/bedrock-runtime.smithy-rs.json', modelIdPatternsSpec, { converse: /^\S{1,2048}$/, invoke: /^\S{1,2048}$/ });

export { encodeAwsEventStreamMessage, encodeEvent, encodeException } from '../providers/bedrock/eventstream-encoder.js';
export type { EventStreamHeaderValue } from '../providers/bedrock/eventstream-encoder.js';
export type { FakeAwsCredential } from '../providers/bedrock/sigv4-verify.js';
export type { FakeReply } from '../providers/bedrock/fake-replies.js';

/** Long-lived test keys the fake accepts by default. */
export const FAKE_AWS_CREDENTIALS: FakeAwsCredential = { accessKeyId: 'AKIAFAKEBEDROCK00001', secretAccessKey: 'fakeBedrockSecretKey/ForTestsOnly+0000000' };

export type FakeBedrockFault =
  | { kind: 'http-error'; status: number; errorType: string; message: string }
  | { kind: 'throttle' }
  /** Sends `afterEvents` events, then a modeled exception message, then ends the response. */
  | { kind: 'stream-exception'; afterEvents: number; exceptionType: string; message: string; delayMs?: number }
  /** Sends `afterEvents` events, then an unmodeled `error` message. */
  | { kind: 'stream-error'; afterEvents: number; code: string; message: string }
  /** Sends `afterEvents` events and ends the response cleanly; `midMessage` sends half of the next one first. */
  | { kind: 'cut'; afterEvents: number; midMessage?: boolean }
  /** Flips one payload byte of event number `atEvent`, so its message CRC fails. */
  | { kind: 'corrupt'; atEvent: number };

export interface FakeBedrockRequest {
  method: string;
  /** Raw request path, as sent (model ids percent-encoded). */
  path: string;
  operation: string;
  modelId: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Outcome of the independent SigV4 check. */
  signature: 'valid' | string;
  status: number;
}

export interface FakeBedrock {
  url: string;
  region: string;
  requests: FakeBedrockRequest[];
  /** Queues a one-shot fault for the next request. */
  fault(f: FakeBedrockFault): void;
  /** What the model answers; a function sees the parsed request. */
  reply(r: FakeReply | ((req: { operation: string; modelId: string; body: JsonObj }) => FakeReply)): void;
  /** Writes all of a stream's messages in one chunk instead of one write per message. */
  coalesce(on: boolean): void;
  close(): Promise<void>;
}

export interface FakeBedrockOptions {
  credentials?: FakeAwsCredential[];
  region?: string;
  /** Application inference profiles by ARN, and the model each routes to (Bedrock knows it; the id does not say). */
  profiles?: Record<string, string>;
}

const ROUTE = /^\/model\/([^/?]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

function sendError(res: http.ServerResponse, status: number, errorType: string, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    'x-amzn-requestid': crypto.randomUUID(),
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function startFakeBedrock(opts: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const credentials = opts.credentials ?? [FAKE_AWS_CREDENTIALS];
  const region = opts.region ?? 'us-east-1';
  const requests: FakeBedrockRequest[] = [];
  const faults: FakeBedrockFault[] = [];
  let replyWith: FakeReply | ((req: { operation: string; modelId: string; body: JsonObj }) => FakeReply) = {};
  let coalesce = false;
  const patterns = modelIdPatterns();

  const server = createFakeServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalServerException', `fake bedrock failed: ${(e as Error).message}`);
      else answerFailure(res, e);
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const rawPath = req.url ?? '/';
    const route = ROUTE.exec(rawPath);
    const record: FakeBedrockRequest = { method: req.method ?? '', path: rawPath, operation: route?.[2] ?? 'unknown', modelId: '', headers: req.headers, body: undefined, signature: 'unchecked', status: 0 };
    requests.push(record);
    const reject = (status: number, type: string, message: string) => {
      record.status = status;
      sendError(res, status, type, message);
    };

    const sig = verifySigV4({ method: req.method ?? 'GET', rawPath, headers: req.headers, body: raw }, { service: 'bedrock', region, credentials });
    record.signature = sig.ok ? 'valid' : `${sig.type}: ${sig.message}`;
    if (!sig.ok) return reject(sig.status, sig.type, sig.message);
    if (req.method !== 'POST' || !route) return reject(404, 'UnknownOperationException', `No operation matches ${req.method} ${rawPath}`);

    const operation = route[2]!;
    let modelId: string;
    try {
      modelId = decodeURIComponent(route[1]!);
    } catch {
      return reject(400, 'ValidationException', 'The model id in the path is not valid percent-encoding.');
    }
    record.modelId = modelId;
    const idPattern = operation.startsWith('converse') ? patterns.converse : patterns.invoke;
    if (modelId.length < 1 || modelId.length > 2048) {
      return reject(400, 'ValidationException', `1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must have length between 1 and 2048`);
    }
    if (!idPattern.test(modelId)) {
      return reject(400, 'ValidationException', `1 validation error detected: Value '${modelId}' at 'modelId' failed to satisfy constraint: Member must satisfy regular expression pattern: ${idPattern.source}`);
    }
    const contentType = String(req.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/json')) return reject(400, 'ValidationException', `Content-Type must be application/json, not "${contentType}".`);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reject(400, 'ValidationException', 'Malformed input request, please reformat your input and try again.');
    }
    record.body = body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return reject(400, 'ValidationException', 'Malformed input request: the body must be a JSON object.');
    const obj = body as JsonObj;

    // An application inference profile is served by the model it was made for (when the test declares profiles).
    if (opts.profiles && /:application-inference-profile\//.test(modelId) && !opts.profiles[modelId]) return reject(404, 'ResourceNotFoundException', `The inference profile ${modelId} does not exist.`);
    const servedModel = opts.profiles?.[modelId] ?? modelId;
    const isEmbedding = /(^|[./:])(amazon\.titan-embed|cohere\.embed)/.test(servedModel);
    const problems = operation.startsWith('converse')
      ? converseBodyErrors(obj, operation === 'converse-stream')
      : isEmbedding
        ? operation === 'invoke' ? embeddingBodyErrors(servedModel, obj) : ['Embedding models do not support streaming.']
        : /(^|[./:])anthropic\./.test(servedModel)
          ? anthropicInvokeBodyErrors(obj, servedModel, validateAnthropic)
          : [`The fake serves Anthropic, Titan and Cohere models through InvokeModel, not ${modelId}.`];
    if (problems.length > 0) return reject(400, 'ValidationException', problems[0]!);

    const fault = faults.shift();
    if (fault?.kind === 'throttle') return reject(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
    if (fault?.kind === 'http-error') return reject(fault.status, fault.errorType, fault.message);

    const reply = typeof replyWith === 'function' ? replyWith({ operation, modelId, body: obj }) : replyWith;
    record.status = 200;
    if (operation === 'converse') return json(res, converseResponse(reply));
    if (operation === 'invoke') {
      const out = isEmbedding ? embeddingResponse(servedModel, obj) : anthropicMessage(reply, servedModel);
      return json(res, out, invokeTokenHeaders(out, obj));
    }
    const events = operation === 'converse-stream'
      ? converseStreamEvents(reply).map(([type, payload]) => encodeEvent(type, payload))
      : anthropicStreamEvents(reply, modelId).map((ev) => encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(ev)).toString('base64'), p: 'abcdefghijklmnopqrstuvwxyzABCDEF'.slice(0, 1 + (ev.type.length % 30)) }));
    return stream(res, events, fault);
  }

  function json(res: http.ServerResponse, value: unknown, extra: Record<string, string> = {}): void {
    const body = JSON.stringify(value);
    res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID(), 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  }

  async function stream(res: http.ServerResponse, events: Uint8Array[], fault: FakeBedrockFault | undefined): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': crypto.randomUUID() });
    let out = events;
    let tail: Uint8Array[] = [];
    if (fault?.kind === 'stream-exception') {
      out = events.slice(0, fault.afterEvents);
      tail = [encodeException(fault.exceptionType, fault.message)];
    } else if (fault?.kind === 'stream-error') {
      out = events.slice(0, fault.afterEvents);
      tail = [encodeAwsEventStreamMessage({ ':message-type': 'error', ':error-code': fault.code, ':error-message': fault.message }, new Uint8Array(0))];
    } else if (fault?.kind === 'cut') {
      out = events.slice(0, fault.afterEvents);
      const next = events[fault.afterEvents];
      if (fault.midMessage && next) tail = [next.subarray(0, Math.floor(next.byteLength / 2))];
    } else if (fault?.kind === 'corrupt') {
      const i = Math.min(fault.atEvent, events.length - 1);
      const bad = Uint8Array.from(events[i]!);
      bad[bad.byteLength - 6] = bad[bad.byteLength - 6]! ^ 0xff; // inside the payload, before the message CRC
      out = [...events.slice(0, i), bad, ...events.slice(i + 1)];
    }
    const all = [...out, ...tail];
    const delayMs = fault?.kind === 'stream-exception' ? fault.delayMs ?? 0 : 0;
    if (coalesce) res.end(Buffer.concat(all));
    else {
      for (const m of all) {
        res.write(m);
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      }
      res.end();
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    region,
    requests,
    fault: (f) => faults.push(f),
    reply: (r) => {
      replyWith = r;
    },
    coalesce: (on) => {
      coalesce = on;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** InvokeModel reports token counts in response headers, for every model family. */
function invokeTokenHeaders(out: JsonObj, request: JsonObj): Record<string, string> {
  const usage = out.usage as { input_tokens?: number; output_tokens?: number } | undefined;
  const words = (t: unknown) => String(t ?? '').split(/\s+/).filter(Boolean).length;
  const input = usage?.input_tokens ?? (Array.isArray(request.texts) ? request.texts.reduce((n: number, t) => n + words(t), 0) : words(request.inputText));
  return { 'x-amzn-bedrock-input-token-count': String(input), 'x-amzn-bedrock-output-token-count': String(usage?.output_tokens ?? 0) };
}
