import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const GATEWAY_KEY = 'pk-gateway-key-for-tests-0001';
const VK_SECRET = 'sk-virtual-key-secret-998877';
let gw: TestGateway;
let fake: FakeOpenAI;
let entitiesFile: string;

function entitiesYaml(extraConfig = ''): string {
  const hash = createHash('sha256').update(GATEWAY_KEY).digest('hex');
  return `
keys:
  - id: team-a
    key_hash: ${hash}
    scopes: [completions, logs]
    defaults:
      metadata: { team: a }
virtual_keys:
  - slug: openai-main
    provider: openai
    api_key: \${PORTICO_TEST_VK_SECRET}
    settings: { custom_host: "${fake.baseUrl}" }
configs:
  - id: pc-fallback
    config:
      strategy: { mode: fallback }
      targets:
        - { virtual_key: openai-main, custom_host: "http://127.0.0.1:9/v1" }
        - { virtual_key: openai-main, custom_host: "${fake.baseUrl}" }
${extraConfig}`;
}

beforeAll(async () => {
  process.env.PORTICO_TEST_VK_SECRET = VK_SECRET;
  fake = await startFakeOpenAI();
  entitiesFile = join(mkdtempSync(join(tmpdir(), 'portico-ent-')), 'entities.yaml');
  writeFileSync(entitiesFile, entitiesYaml());
  gw = await startTestGateway({ ENTITIES_FILE: entitiesFile });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

describe('gateway keys, virtual keys and saved configs', () => {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'auth' }] });
  const post = (headers: Record<string, string>) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('requires x-portkey-api-key once keys are configured', async () => {
    const res = await post({ 'x-portkey-virtual-key': 'openai-main', 'x-portkey-custom-host': fake.baseUrl });
    expect(res.status).toBe(401);
    expect((await res.json()).error.message).toMatch(/x-portkey-api-key/);
    const bad = await post({ 'x-portkey-api-key': 'wrong', 'x-portkey-virtual-key': 'openai-main', 'x-portkey-custom-host': fake.baseUrl });
    expect(bad.status).toBe(401);
  });

  it('resolves a virtual key to its provider and secret', async () => {
    fake.reset();
    const res = await post({ 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-virtual-key': 'openai-main', 'x-portkey-custom-host': fake.baseUrl });
    expect(res.status).toBe(200);
    expect(fake.requests[0].headers.authorization).toBe(`Bearer ${VK_SECRET}`);
  });

  it('lists providers on /v1/models only with a valid key', async () => {
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(401);
    expect((await fetch(`${gw.url}/v1/models`, { headers: { 'x-portkey-api-key': GATEWAY_KEY } })).status).toBe(200);
  });

  it('serves a saved config by id through the portkey-ai SDK', async () => {
    const portkey = new Portkey({ apiKey: GATEWAY_KEY, baseURL: `${gw.url}/v1`, config: 'pc-fallback', metadata: { _user: 'alice' } });
    const res = await portkey.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'portkey sdk' }] });
    expect(res.choices?.[0]?.message?.content).toBe('Echo: portkey sdk');
  });

  it('streams through the portkey-ai SDK', async () => {
    const portkey = new Portkey({ apiKey: GATEWAY_KEY, baseURL: `${gw.url}/v1`, virtualKey: 'openai-main', customHost: fake.baseUrl });
    const stream = await portkey.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'portkey stream' }], stream: true });
    let text = '';
    for await (const chunk of stream as AsyncIterable<{ choices: Array<{ delta?: { content?: string } }> }>) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Echo: portkey stream');
  });

  it('answers guardrail verdicts the portkey-ai SDK understands: 246 returns the completion, 446 throws', async () => {
    const portkey = (config: object) => new Portkey({ apiKey: GATEWAY_KEY, baseURL: `${gw.url}/v1`, virtualKey: 'openai-main', customHost: fake.baseUrl, config: config as never });
    const flagged = await portkey({ output_guardrails: [{ 'default.wordCount': { maxWords: 1 } }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a b c' }] });
    expect(flagged.choices?.[0]?.message?.content).toBe('Echo: a b c');
    const denied = await portkey({ input_guardrails: [{ 'default.contains': { words: ['secret'], operator: 'none' }, deny: true }] })
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a secret' }] })
      .catch((e: unknown) => e as { status?: number; message?: string });
    expect(denied).toMatchObject({ status: 446 });
    expect((denied as { message: string }).message).toMatch(/hooks_failed|guardrail checks/);
  });

  it('reloads the entities file when it changes, and keeps the last good one when it breaks', async () => {
    writeFileSync(entitiesFile, 'keys: [ {id: broken');
    await new Promise((r) => setTimeout(r, 1600));
    const still = await post({ 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-virtual-key': 'openai-main', 'x-portkey-custom-host': fake.baseUrl });
    expect(still.status).toBe(200);
    const health = await (await fetch(`${gw.url}/v1/health`)).json();
    expect(health.dependencies.entities.status).toBe('degraded');
    writeFileSync(entitiesFile, entitiesYaml(`  - id: pc-new\n    config: { provider: openai, custom_host: "${fake.baseUrl}" }\n`));
    await eventually(async () => {
      const res = await post({ 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-config': 'pc-new', authorization: 'Bearer sk-direct' });
      expect(res.status, await res.text()).toBe(200);
    }, 5000, 200);
  });
});

describe('log documents, metrics and health', () => {
  it('writes one redacted log document per request, with usage, metadata and config path', async () => {
    const traceId = `trace-${Date.now()}`;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-config': 'pc-fallback', 'x-portkey-trace-id': traceId, 'x-portkey-metadata': '{"_user":"bob"}' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'log me' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-portkey-trace-id')).toBe(traceId);
    const doc = await eventually(() => {
      const line = readAllLogs(gw).split('\n').find((l) => l.includes(traceId));
      if (!line) throw new Error('not written yet');
      return JSON.parse(line);
    });
    expect(doc).toMatchObject({ trace_id: traceId, provider: 'openai', model: 'gpt-4o-mini', config_path: 'config.targets[1]', cache_status: 'DISABLED' });
    expect(doc.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
    expect(doc.metadata).toEqual({ team: 'a', _user: 'bob' });
    expect(doc.principal.key_id).toBe('team-a');
    expect(doc.attempts).toHaveLength(2);
    expect(doc.timings.total_ms).toBeGreaterThan(0);
    const all = readAllLogs(gw);
    expect(all).not.toContain(GATEWAY_KEY);
    expect(all).not.toContain(VK_SECRET);
    expect(all).not.toContain('sk-direct');
  });

  it('records where a request sits in the caller\'s trace: Portkey span headers, or a W3C traceparent', async () => {
    const post = (headers: Record<string, string>) => fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-direct-0123456789', 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl, ...headers },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'span me' }] }),
    });
    const viaPortkey = await post({ 'x-portkey-trace-id': 'agent-run-7', 'x-portkey-span-id': 'step-3', 'x-portkey-span-name': 'Plan the answer', 'x-portkey-parent-span-id': 'step-1' });
    expect(viaPortkey.status).toBe(200);
    await viaPortkey.text();
    const otelTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const viaW3c = await post({ traceparent: `00-${otelTrace}-00f067aa0ba902b7-01` });
    expect(viaW3c.headers.get('x-portkey-trace-id')).toBe(otelTrace);
    await viaW3c.text();
    const bad = await post({ 'x-portkey-span-id': 'no spaces allowed' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('x-portkey-span-id');
    const docs = await eventually(() => {
      const lines = readAllLogs(gw).split('\n');
      const a = lines.find((l) => l.includes('agent-run-7'));
      const b = lines.find((l) => l.includes(otelTrace));
      if (!a || !b) throw new Error('not written yet');
      return [JSON.parse(a), JSON.parse(b)];
    });
    expect(docs[0].span).toEqual({ id: 'step-3', name: 'Plan the answer', parent_id: 'step-1' });
    expect(docs[1]).toMatchObject({ trace_id: otelTrace, span: { parent_id: '00f067aa0ba902b7' } });
  });

  it('keeps no bodies for x-portkey-debug: false, in the log or the cache, and logs the rest', async () => {
    const traceId = `nodebug-${Date.now()}`;
    const config = JSON.stringify({ provider: 'openai', custom_host: fake.baseUrl, cache: { mode: 'simple', max_age: 60 } });
    const send = () => fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-direct-0123456789', 'x-portkey-api-key': GATEWAY_KEY, 'x-portkey-config': config, 'x-portkey-trace-id': traceId, 'x-portkey-debug': 'false' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'private words' }] }),
    });
    for (let i = 0; i < 2; i++) {
      const res = await send();
      expect(res.status).toBe(200);
      expect(res.headers.get('x-portkey-cache-status')).toBe('DISABLED');
      expect((await res.json()).choices[0].message.content).toBe('Echo: private words');
    }
    const docs = await eventually(() => {
      const lines = readAllLogs(gw).split('\n').filter((l) => l.includes(traceId));
      if (lines.length < 2) throw new Error('not written yet');
      return lines;
    });
    for (const line of docs) {
      expect(line).not.toContain('private words');
      const doc = JSON.parse(line);
      expect(doc.request.body).toMatch(/x-portkey-debug: false/);
      expect(doc.response).toMatchObject({ status: 200, body_truncated: true });
      expect(doc.usage.total_tokens).toBeGreaterThan(0);
    }
  });

  it('serves the log document by id with the logs scope', async () => {
    const first = JSON.parse(readAllLogs(gw).split('\n')[0]);
    const denied = await fetch(`${gw.url}/v1/logs/${first.id}`);
    expect(denied.status).toBe(401);
    const res = await fetch(`${gw.url}/v1/logs/${first.id}`, { headers: { 'x-portkey-api-key': GATEWAY_KEY } });
    expect(res.status).toBe(200);
    expect((await res.json()).id).toBe(first.id);
    const malformed = await fetch(`${gw.url}/v1/logs/%E0%A4%A`, { headers: { 'x-portkey-api-key': GATEWAY_KEY } });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.message).toMatch(/percent-encoding/);
  });

  it('exposes Prometheus metrics without secrets', async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/portico_requests_total\{endpoint="chat",provider="openai",model="gpt-4o-mini",status="200"\} \d+/);
    expect(text).toContain('portico_request_duration_seconds_bucket');
    expect(text).toMatch(/portico_upstream_duration_seconds_count\{provider="openai",status="200"\} [1-9]\d*/);
    expect(text).toContain('portico_fallbacks_total');
    expect(text).toContain('portico_requests_in_flight');
    expect(text).not.toContain(GATEWAY_KEY);
    expect(text).not.toContain(VK_SECRET);
  });

  it('reports health on /health and /v1/health', async () => {
    for (const p of ['/health', '/v1/health']) {
      const res = await fetch(`${gw.url}${p}`);
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.dependencies.cache.kind).toBe('memory');
      expect(body.dependencies.log_store.kind).toBe('file');
    }
  });
});
