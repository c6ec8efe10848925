import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearBedrockCredentialCache } from '../../../src/providers/bedrock/credentials.js';
import { createAwsEventStreamFramer } from '../../../src/streaming/framers/aws-eventstream.js';
import { startFakeSageMaker, type FakeSageMaker } from '../../fakes/sagemaker.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../../helpers/gateway.js';

/**
 * SageMaker through the gateway: POST /v1/endpoints/{name}/invocations[-response-stream] reaches
 * runtime.sagemaker.{region}.amazonaws.com SigV4-signed for service `sagemaker` (the fake recomputes
 * the signature with aws4), Portkey's x-portkey-amzn-sagemaker-* headers arrive as X-Amzn-SageMaker-*,
 * the body passes through as sent, and the stream comes back as AWS's event stream.
 */
const REGION = 'eu-west-1';
const CREDS = { accessKeyId: 'AKIAFAKESAGEMAKER001', secretAccessKey: 'fakeSageMakerSecret/ForTestsOnly+00000000' };
const HOST = `https://runtime.sagemaker.${REGION}.amazonaws.com`;

let gw: TestGateway;
let fake: FakeSageMaker;

beforeAll(async () => {
  clearBedrockCredentialCache();
  fake = await startFakeSageMaker({ region: REGION, credentials: [CREDS] });
  fake.endpoint('llama-tgi', (body) => {
    const { inputs } = JSON.parse(body.toString('utf8')) as { inputs: string };
    return { contentType: 'application/json', body: JSON.stringify([{ generated_text: `${inputs} -> ok` }]) };
  });
  fake.endpoint('xgb-csv', (body, headers) => ({ contentType: 'text/csv', body: `${headers['content-type']}|${body.toString('utf8').split(',').length}` }));
  fake.endpoint('failing', () => ({ contentType: 'text/plain', body: 'CUDA out of memory', status: 500 }));
  fake.endpoint('llama-stream', () => ({ parts: ['data: {"token":{"text":"Hel"}}\n\n', 'data: {"token":{"text":"lo"}}\n\n'], contentType: 'text/event-stream' }));
  fake.endpoint('stream-breaks', () => ({ parts: ['data: {"token":{"text":"x"}}\n\n'], modelStreamError: 'Container exited' }));
  fake.endpoint('stream-corrupt', () => ({ parts: ['data: {"token":{"text":"a"}}\n\n', 'data: {"token":{"text":"b"}}\n\n'], corruptLast: true }));
  gw = await startTestGateway({}, { redirectTrustedTo: fake.origin });
}, 30_000);
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const awsHeaders = (extra: Record<string, string> = {}) => ({
  'x-portkey-provider': 'sagemaker', 'x-portkey-aws-access-key-id': CREDS.accessKeyId, 'x-portkey-aws-secret-access-key': CREDS.secretAccessKey, 'x-portkey-aws-region': REGION, ...extra,
});
const post = (path: string, body: string, headers: Record<string, string>) =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('sagemaker InvokeEndpoint', () => {
  it('signs for sagemaker, maps the eight X-Amzn-SageMaker-* headers, and passes the body through', async () => {
    const res = await post('/v1/endpoints/llama-tgi/invocations', JSON.stringify({ inputs: 'Hi', parameters: { max_new_tokens: 8 } }), awsHeaders({
      'x-portkey-amzn-sagemaker-custom-attributes': 'trace=abc; tenant=t1',
      'x-portkey-amzn-sagemaker-target-model': 'model-a.tar.gz',
      'x-portkey-amzn-sagemaker-target-variant': 'blue-1',
      'x-portkey-amzn-sagemaker-target-container-hostname': 'container-2',
      'x-portkey-amzn-sagemaker-inference-id': 'inf-0001',
      'x-portkey-amzn-sagemaker-enable-explanations': '`true`',
      'x-portkey-amzn-sagemaker-inference-component': 'ic-llama',
      'x-portkey-amzn-sagemaker-session-id': 'NEW_SESSION',
      'x-portkey-amzn-sagemaker-model-name': 'llama-3-8b',
    }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ generated_text: 'Hi -> ok' }]);
    expect(res.headers.get('x-amzn-sagemaker-custom-attributes')).toBe('trace=abc; tenant=t1');
    expect(res.headers.get('x-amzn-invoked-production-variant')).toBe('blue-1');
    const call = fake.calls.at(-1)!;
    expect(call.signature).toBe('valid');
    expect(call.url).toBe(`${HOST}/endpoints/llama-tgi/invocations`);
    expect(String(call.headers.authorization)).toMatch(new RegExp(`Credential=${CREDS.accessKeyId}/\\d{8}/${REGION}/sagemaker/aws4_request`));
    // Every X-Amzn-SageMaker-* header is covered by the signature, not added after it.
    const signed = /SignedHeaders=([^,]+)/.exec(String(call.headers.authorization))![1]!.split(';');
    expect(call.sagemakerHeaders).toEqual({
      'x-amzn-sagemaker-custom-attributes': 'trace=abc; tenant=t1',
      'x-amzn-sagemaker-target-model': 'model-a.tar.gz',
      'x-amzn-sagemaker-target-variant': 'blue-1',
      'x-amzn-sagemaker-target-container-hostname': 'container-2',
      'x-amzn-sagemaker-inference-id': 'inf-0001',
      'x-amzn-sagemaker-enable-explanations': '`true`',
      'x-amzn-sagemaker-inference-component': 'ic-llama',
      'x-amzn-sagemaker-session-id': 'NEW_SESSION',
    });
    for (const h of Object.keys(call.sagemakerHeaders)) expect(signed).toContain(h);
    expect(JSON.parse(call.body.toString('utf8'))).toEqual({ inputs: 'Hi', parameters: { max_new_tokens: 8 } });
    // No Portkey header and no AWS secret travels upstream.
    expect(Object.keys(call.headers).filter((k) => k.startsWith('x-portkey-'))).toEqual([]);
    expect(JSON.stringify(call.headers)).not.toContain(CREDS.secretAccessKey);
    // The model-name header names the model in the log document.
    const traceId = res.headers.get('x-portkey-trace-id')!;
    const line = await eventually(() => {
      const found = readAllLogs(gw).split('\n').find((l) => l.includes(traceId));
      if (!found) throw new Error('not written yet');
      return found;
    }, 5000);
    expect(line).not.toContain(CREDS.secretAccessKey);
    const doc = JSON.parse(line);
    expect(doc.provider).toBe('sagemaker');
    expect(doc.model).toBe('llama-3-8b');
  });

  it('works from the portkey-ai SDK as Portkey documents it (portkey.post to endpoints/{name}/invocations)', async () => {
    const portkey = new Portkey({
      apiKey: 'unused', baseURL: `${gw.url}/v1`, provider: 'sagemaker', awsAccessKeyId: CREDS.accessKeyId, awsSecretAccessKey: CREDS.secretAccessKey, awsRegion: REGION,
      amznSagemakerInferenceId: 'sdk-1',
    } as never);
    const out = await portkey.post('/endpoints/llama-tgi/invocations', { inputs: 'From SDK' } as never);
    expect(JSON.stringify(out)).toContain('From SDK -> ok');
    const call = fake.calls.at(-1)!;
    expect(call.signature).toBe('valid');
    expect(call.sagemakerHeaders['x-amzn-sagemaker-inference-id']).toBe('sdk-1');
  });

  it('a non-JSON body (CSV) passes through with its content type, signed over its exact bytes', async () => {
    const res = await fetch(`${gw.url}/v1/endpoints/xgb-csv/invocations`, { method: 'POST', headers: { 'content-type': 'text/csv', ...awsHeaders() }, body: '1.5,2,3,4.25' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('text/csv|4');
    expect(fake.calls.at(-1)!.signature).toBe('valid');
  });

  it("an unknown endpoint is SageMaker's 400 ValidationError, relayed in OpenAI's error shape", async () => {
    const res = await post('/v1/endpoints/nope/invocations', '{"inputs":"x"}', awsHeaders());
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('ValidationError');
    expect(body.error.message).toContain('Endpoint nope of account 123456789012 not found');
  });

  it("a container failure is a 424 ModelError carrying the container's own status and message", async () => {
    const res = await post('/v1/endpoints/failing/invocations', '{"inputs":"x"}', awsHeaders());
    expect(res.status).toBe(424);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('ModelError');
    expect(body.error.message).toContain('container status 500: CUDA out of memory');
  });

  it('a wrong secret fails the real signature check: 403, the secret in no answer', async () => {
    clearBedrockCredentialCache();
    const res = await post('/v1/endpoints/llama-tgi/invocations', '{"inputs":"x"}', awsHeaders({ 'x-portkey-aws-secret-access-key': 'wrong-secret-value-123' }));
    expect(res.status).toBe(403);
    expect(fake.calls.at(-1)!.signature).not.toBe('valid');
    expect(await res.text()).not.toContain('wrong-secret-value-123');
  });
});

describe('sagemaker InvokeEndpointWithResponseStream', () => {
  it("relays AWS's event stream, whose PayloadPart events carry the container's own stream", async () => {
    const res = await post('/v1/endpoints/llama-stream/invocations-response-stream', '{"inputs":"Hi","stream":true}', awsHeaders({ 'x-portkey-amzn-sagemaker-session-id': 'sess-1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const framer = createAwsEventStreamFramer();
    const events = [...framer.push(new Uint8Array(await res.arrayBuffer())), ...framer.end()];
    expect(events.map((e) => e.headers?.[':event-type'])).toEqual(['PayloadPart', 'PayloadPart']);
    expect(events.map((e) => e.data).join('')).toBe('data: {"token":{"text":"Hel"}}\n\ndata: {"token":{"text":"lo"}}\n\n');
    const call = fake.calls.at(-1)!;
    expect(call.operation).toBe('InvokeEndpointWithResponseStream');
    expect(call.url).toBe(`${HOST}/endpoints/llama-stream/invocations-response-stream`);
    expect(call.signature).toBe('valid');
    expect(call.sagemakerHeaders).toEqual({ 'x-amzn-sagemaker-session-id': 'sess-1' });
  });

  it('a ModelStreamError mid-stream reaches the client as AWS sent it, and the log records the failure', async () => {
    const trace = `sm-stream-error-${Date.now()}`;
    const res = await post('/v1/endpoints/stream-breaks/invocations-response-stream', '{"inputs":"Hi"}', awsHeaders({ 'x-portkey-trace-id': trace }));
    const framer = createAwsEventStreamFramer();
    const events = [...framer.push(new Uint8Array(await res.arrayBuffer())), ...framer.end()];
    expect(events[0]!.headers?.[':event-type']).toBe('PayloadPart');
    expect(events[1]!.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': 'ModelStreamError' });
    expect(JSON.parse(events[1]!.data).Message).toBe('Container exited');
    // The gateway's own closing exception repeats it in the same framing (a reader stops at the first).
    expect(events.at(-1)!.headers).toMatchObject({ ':message-type': 'exception', ':exception-type': 'ModelStreamError' });
    const doc = await eventually(() => {
      const line = readAllLogs(gw).split('\n').find((l) => l.includes(trace));
      if (!line) throw new Error('not written yet');
      return JSON.parse(line);
    }, 5000);
    expect(JSON.stringify(doc)).toContain('ModelStreamError');
  });

  it('a corrupt message is not relayed: the stream ends with an exception message the reader can decode', async () => {
    const res = await post('/v1/endpoints/stream-corrupt/invocations-response-stream', '{"inputs":"Hi"}', awsHeaders());
    const framer = createAwsEventStreamFramer();
    const events = [...framer.push(new Uint8Array(await res.arrayBuffer())), ...framer.end()];
    expect(events.map((e) => e.headers?.[':message-type'])).toEqual(['event', 'exception']);
    expect(events[0]!.data).toBe('data: {"token":{"text":"a"}}\n\n');
    expect(events[1]!.headers?.[':exception-type']).toBe('upstream_stream_corrupt');
    expect(JSON.parse(events[1]!.data).message).toMatch(/corrupt/);
  });

  it('a header the streaming operation does not take is a 400 naming it, before anything is sent', async () => {
    const before = fake.calls.length;
    const res = await post('/v1/endpoints/llama-stream/invocations-response-stream', '{}', awsHeaders({ 'x-portkey-amzn-sagemaker-target-model': 'm.tar.gz' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('x-portkey-amzn-sagemaker-target-model');
    expect(fake.calls.length).toBe(before);
  });
});

describe('sagemaker: bad input is refused by name', () => {
  it.each([
    ['/v1/endpoints/llama-tgi/predict', {}, 'path'],
    ['/v1/endpoints/bad_name!/invocations', {}, 'path'],
    ['/v1/endpoints/llama-tgi/invocations', { 'x-portkey-amzn-sagemaker-target-varient': 'x' }, 'x-portkey-amzn-sagemaker-target-varient'],
    ['/v1/endpoints/llama-tgi/invocations', { 'x-portkey-amzn-sagemaker-custom-attributes': 'é'.repeat(3) }, 'x-portkey-amzn-sagemaker-custom-attributes'],
    ['/v1/endpoints/llama-tgi/invocations', { 'x-portkey-aws-region': 'mars-1' }, 'aws_region'],
  ])('%s with %j → 400 naming %s', async (path, headers, param) => {
    const before = fake.calls.length;
    const res = await post(path, '{"inputs":"x"}', awsHeaders(headers as Record<string, string>));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string; param: string } };
    expect(body.error.param).toBe(param);
    expect(body.error.message).toMatch(/sagemaker/);
    expect(fake.calls.length).toBe(before);
  });

  it('GET on an invocation path is a 405', async () => {
    const res = await fetch(`${gw.url}/v1/endpoints/llama-tgi/invocations`, { headers: awsHeaders() });
    expect(res.status).toBe(405);
  });
});
