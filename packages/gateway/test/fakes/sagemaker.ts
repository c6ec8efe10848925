/**
 * A fake SageMaker runtime (runtime.sagemaker.{region}.amazonaws.com) on node:http, reached through
 * the redirecting dispatcher so the gateway signs the real host. It serves, as AWS's API reference
 * documents them:
 *   POST /endpoints/{EndpointName}/invocations                   InvokeEndpoint
 *   POST /endpoints/{EndpointName}/invocations-response-stream   InvokeEndpointWithResponseStream
 * Every request's SigV4 signature is recomputed with `aws4` (independent of the gateway's signer) for
 * service `sagemaker`; a bad one gets AWS's 403. X-Amzn-SageMaker-* headers are checked against the
 * API's constraints (and the headers each operation takes), an unknown endpoint is a 400
 * ValidationError, and the container's answer is the body it returns: for the stream, PayloadPart
 * events in application/vnd.amazon.eventstream with correct CRCs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeServer } from '../helpers/fake-server.js';
import { ORIGINAL_ORIGIN_HEADER } from '../helpers/redirect-dispatcher.js';
import { encodeAwsEventStreamMessage } from '../providers/bedrock/eventstream-encoder.js';
import { verifySigV4, type FakeAwsCredential } from '../providers/bedrock/sigv4-verify.js';

export interface SageMakerCall {
  /** Full URL the gateway meant to reach. */
  url: string;
  operation: 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream';
  endpoint: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  signature: 'valid' | string;
  /** The X-Amzn-SageMaker-* headers received, lower-cased names. */
  sagemakerHeaders: Record<string, string>;
}

/** What a model container answers: its content type and body, or for the stream the parts it sends. */
export type ContainerReply =
  | { contentType: string; body: string; status?: number }
  | { parts: string[]; contentType?: string; modelStreamError?: string; corruptLast?: boolean };

export interface FakeSageMaker {
  origin: string;
  calls: SageMakerCall[];
  /** Endpoints that exist, and what each container answers to a request body. */
  endpoint(name: string, reply: (body: Buffer, headers: IncomingHttpHeaders) => ContainerReply): void;
  close(): Promise<void>;
}

/** Header constraints from the InvokeEndpoint / InvokeEndpointWithResponseStream API reference. */
const RULES: Record<string, { max: number; pattern?: RegExp; stream: boolean; invoke: boolean }> = {
  'x-amzn-sagemaker-custom-attributes': { max: 1024, pattern: /^[\x20-\x7e]*$/, stream: true, invoke: true },
  'x-amzn-sagemaker-target-model': { max: 1024, pattern: /^\S[\x20-\x7e]*$/, stream: false, invoke: true },
  'x-amzn-sagemaker-target-variant': { max: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, stream: true, invoke: true },
  'x-amzn-sagemaker-target-container-hostname': { max: 63, pattern: /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, stream: true, invoke: true },
  'x-amzn-sagemaker-inference-id': { max: 64, pattern: /^\S[\x20-\x7e]*$/, stream: true, invoke: true },
  'x-amzn-sagemaker-enable-explanations': { max: 64, pattern: /^.{0,64}$/, stream: false, invoke: true },
  'x-amzn-sagemaker-inference-component': { max: 63, pattern: /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/, stream: true, invoke: true },
  'x-amzn-sagemaker-session-id': { max: 256, pattern: /^(NEW_SESSION)$|^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, stream: true, invoke: true },
  'x-amzn-sagemaker-accept': { max: 1024, stream: true, invoke: false },
};

const ROUTE = /^\/endpoints\/([^/?]+)\/(invocations|invocations-response-stream)$/;

export async function startFakeSageMaker(opts: { region: string; credentials: FakeAwsCredential[] }): Promise<FakeSageMaker> {
  const calls: SageMakerCall[] = [];
  const endpoints = new Map<string, (body: Buffer, headers: IncomingHttpHeaders) => ContainerReply>();
  const error = (res: import('node:http').ServerResponse, status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.sagemaker/` });
    res.end(JSON.stringify({ message }));
  };
  const server = createFakeServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const rawPath = req.url ?? '/';
    const m = ROUTE.exec(rawPath);
    const origin = String(req.headers[ORIGINAL_ORIGIN_HEADER] ?? `http://${req.headers.host}`);
    const headers = { ...req.headers };
    delete headers[ORIGINAL_ORIGIN_HEADER];
    const verdict = verifySigV4({ method: req.method ?? 'GET', rawPath, headers, body }, { service: 'sagemaker', region: opts.region, credentials: opts.credentials });
    const sagemakerHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amzn-sagemaker-')) sagemakerHeaders[k] = String(v);
    const call: SageMakerCall = {
      url: origin + rawPath, operation: m?.[2] === 'invocations-response-stream' ? 'InvokeEndpointWithResponseStream' : 'InvokeEndpoint', endpoint: m ? decodeURIComponent(m[1]!) : '',
      headers: req.headers, body, signature: verdict.ok ? 'valid' : verdict.message, sagemakerHeaders,
    };
    calls.push(call);
    if (!verdict.ok) return error(res, verdict.status, verdict.type, verdict.message);
    if (req.method !== 'POST' || !m) return error(res, 404, 'UnknownOperationException', `No operation matches ${req.method} ${rawPath}`);
    const streaming = call.operation === 'InvokeEndpointWithResponseStream';
    for (const [name, value] of Object.entries(sagemakerHeaders)) {
      const rule = RULES[name];
      if (!rule || !(streaming ? rule.stream : rule.invoke)) return error(res, 400, 'ValidationError', `${name} is not a parameter of ${call.operation}`);
      if (value.length > rule.max || (rule.pattern && !rule.pattern.test(value))) return error(res, 400, 'ValidationError', `1 validation error detected: Value at '${name}' failed to satisfy constraint`);
    }
    if (body.length === 0) return error(res, 400, 'ValidationError', "1 validation error detected: Value null at 'body' failed to satisfy constraint: Member must not be null");
    const container = endpoints.get(call.endpoint);
    if (!container) return error(res, 400, 'ValidationError', `Endpoint ${call.endpoint} of account 123456789012 not found.`);
    const reply = container(body, req.headers);
    const common: Record<string, string> = { 'x-amzn-invoked-production-variant': sagemakerHeaders['x-amzn-sagemaker-target-variant'] ?? 'AllTraffic' };
    if (sagemakerHeaders['x-amzn-sagemaker-custom-attributes']) common['x-amzn-sagemaker-custom-attributes'] = sagemakerHeaders['x-amzn-sagemaker-custom-attributes'];
    if ('body' in reply) {
      if (reply.status && reply.status >= 400) {
        // The container failed: SageMaker answers 424 ModelError with the container's own status and text.
        res.writeHead(424, { 'content-type': 'application/json', 'x-amzn-errortype': 'ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/' });
        return res.end(JSON.stringify({ message: `Received client error (${reply.status}) from primary with message "${reply.body}".`, OriginalStatusCode: reply.status, OriginalMessage: reply.body, LogStreamArn: `arn:aws:logs:${opts.region}:123456789012:log-group:/aws/sagemaker/Endpoints/${call.endpoint}` }));
      }
      if (streaming) return error(res, 400, 'ValidationError', 'This endpoint does not stream');
      res.writeHead(200, { ...common, 'content-type': reply.contentType });
      return res.end(reply.body);
    }
    if (!streaming) return error(res, 400, 'ValidationError', 'This container streams only');
    res.writeHead(200, { ...common, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-sagemaker-content-type': reply.contentType ?? 'text/event-stream' });
    for (const [i, part] of reply.parts.entries()) {
      const msg = encodeAwsEventStreamMessage({ ':event-type': 'PayloadPart', ':content-type': 'application/octet-stream', ':message-type': 'event' }, part);
      // A flipped payload byte: the message CRC no longer matches, as after corruption in transit.
      if (reply.corruptLast && i === reply.parts.length - 1) msg[msg.length - 6] ^= 0xff;
      res.write(msg);
      await new Promise((r) => setImmediate(r));
    }
    if (reply.modelStreamError) {
      res.write(encodeAwsEventStreamMessage({ ':exception-type': 'ModelStreamError', ':content-type': 'application/json', ':message-type': 'exception' }, JSON.stringify({ Message: reply.modelStreamError, ErrorCode: 'ModelError' })));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    endpoint: (name, reply) => void endpoints.set(name, reply),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
