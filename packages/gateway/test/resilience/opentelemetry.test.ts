/**
 * OpenTelemetry over OTLP/HTTP: a local receiver (an HTTP server taking OTLP JSON on /v1/traces, as
 * a collector does), a gateway with OTEL_EXPORTER_OTLP_ENDPOINT set, a fake provider that records the
 * traceparent it receives. Checks the GenAI attributes, the parent/child links and the propagation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface OtlpSpan { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: Array<{ key: string; value: Record<string, unknown> }>; status?: { code?: number } }

let receiver: Server;
const spans: OtlpSpan[] = [];
const contentTypes: string[] = [];
/** Protobuf bodies, kept raw: the test looks for a trace id's 16 bytes in them. */
const protobufBodies: Buffer[] = [];
let gw: TestGateway;
let off: TestGateway;
let proto: TestGateway;
let sampledOut: TestGateway;
let fake: FakeOpenAI;

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    contentTypes.push(String(req.headers['content-type']));
    if (req.url === '/v1/traces' && req.headers['content-type'] === 'application/x-protobuf') protobufBodies.push(raw);
    if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
      const body = JSON.parse(raw.toString('utf8'));
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  [gw, off, proto, sampledOut, fake] = await Promise.all([
    startTestGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
    startTestGateway(),
    startTestGateway({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }),
    startTestGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0', OTEL_BSP_SCHEDULE_DELAY: '100' }),
    startFakeOpenAI(),
  ]);
});
afterAll(async () => {
  await Promise.all([gw?.close(), off?.close(), proto?.close(), sampledOut?.close(), fake?.close()]);
  await new Promise((r) => receiver.close(r));
});

const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : v.boolValue)) : undefined;
};

describe('OpenTelemetry', () => {
  it('is off without an endpoint: the SDK is not even loaded', () => {
    expect(off.gateway.deps.tracing).toBeUndefined();
    expect(gw.gateway.deps.tracing).toBeDefined();
  });

  it('exports a server span per request and a client span per attempt, with gen_ai attributes, and propagates traceparent', async () => {
    const parentTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const config = { strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', api_key: 'sk-test', custom_host: 'http://127.0.0.1:9/v1' }, { provider: 'openai', api_key: 'sk-test', custom_host: fake.baseUrl }] };
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config), traceparent: `00-${parentTrace}-00f067aa0ba902b7-01` } });
    const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'trace me' }] });
    expect(r.choices[0].message.content).toContain('trace me');

    const mine = await eventually(() => {
      const found = spans.filter((s) => s.traceId === parentTrace);
      expect(found.length).toBe(3);
      return found;
    }, 10_000);
    expect(contentTypes.some((c) => c.includes('application/json'))).toBe(true);
    const server = mine.find((s) => s.kind === 2)!;
    const clients = mine.filter((s) => s.kind === 3);
    expect(server.parentSpanId).toBe('00f067aa0ba902b7');
    expect(server.name).toBe('chat gpt-4o-mini');
    expect(attr(server, 'gen_ai.operation.name')).toBe('chat');
    expect(attr(server, 'gen_ai.request.model')).toBe('gpt-4o-mini');
    expect(attr(server, 'gen_ai.provider.name')).toBe('openai');
    expect(attr(server, 'gen_ai.usage.input_tokens')).toBe(r.usage!.prompt_tokens);
    expect(attr(server, 'gen_ai.usage.output_tokens')).toBe(r.usage!.completion_tokens);
    expect(attr(server, 'http.response.status_code')).toBe(200);
    expect(clients).toHaveLength(2);
    for (const c of clients) expect(c.parentSpanId).toBe(server.spanId);
    const failed = clients.find((c) => attr(c, 'portico.target') === 'config.targets[0]')!;
    const served = clients.find((c) => attr(c, 'portico.target') === 'config.targets[1]')!;
    expect(attr(failed, 'http.response.status_code')).toBe(502);
    expect(failed.status?.code).toBe(2);
    expect(attr(served, 'http.response.status_code')).toBe(200);
    expect(attr(served, 'gen_ai.provider.name')).toBe('openai');
    // The provider got the attempt span's traceparent, in the caller's trace.
    expect(fake.requests.at(-1)!.headers.traceparent).toBe(`00-${parentTrace}-${served.spanId}-01`);
  });

  it('exports http/protobuf by default (the OTLP default), carrying the trace', async () => {
    const parentTrace = '0af7651916cd43dd8448eb211c80319c';
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${proto.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', api_key: 'sk-test', custom_host: fake.baseUrl }), traceparent: `00-${parentTrace}-b7ad6b7169203331-01` } });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'protobuf' }] });
    const id = Buffer.from(parentTrace, 'hex');
    await eventually(() => expect(protobufBodies.some((b) => b.includes(id))).toBe(true), 10_000);
    expect(fake.requests.at(-1)!.headers.traceparent).toMatch(new RegExp(`^00-${parentTrace}-[0-9a-f]{16}-01$`));
  });

  it('builds nothing for a request the sampler drops: no span exported, no traceparent of its own', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${sampledOut.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', api_key: 'sk-test', custom_host: fake.baseUrl }) } });
    const before = spans.length;
    const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'not sampled' }] }).withResponse();
    expect(r.response.status).toBe(200);
    expect(fake.requests.at(-1)!.headers.traceparent).toBeUndefined();
    await new Promise((res) => setTimeout(res, 400));
    expect(spans.slice(before).filter((s) => s.attributes.some((a) => a.value.stringValue === r.response.headers.get('x-portkey-trace-id')))).toEqual([]);
  });

  it('refuses a sampler ratio out of range at start', async () => {
    await expect(startTestGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_SAMPLER_ARG: '1.5' })).rejects.toThrow(/OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1/);
  });

  it('sends no traceparent upstream when off', async () => {
    const openai = new OpenAI({ apiKey: 'unused', baseURL: `${off.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', api_key: 'sk-test', custom_host: fake.baseUrl }) } });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    expect(fake.requests.at(-1)!.headers.traceparent).toBeUndefined();
  });
});
