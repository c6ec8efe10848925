/**
 * default.webhook guardrail checks (Portkey's "bring your own guardrail"), through the openai SDK: the
 * gateway POSTs the text, bodies, event and metadata to a real HTTP server and acts on its verdict.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface Call {
  headers: IncomingMessage['headers'];
  body: { request: { json: unknown; text: string | null }; response: { json: unknown; text: string | null }; eventType: string; metadata: Record<string, string> };
}

let gw: TestGateway;
let upstream: FakeOpenAI;
let webhook: Server;
let webhookUrl: string;
const calls: Call[] = [];
/** What the webhook does next: answer with a body and status, after a delay. */
let behaviour: { status?: number; body?: string; delayMs?: number } = {};

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  webhook = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      calls.push({ headers: req.headers, body: JSON.parse(text) });
      setTimeout(() => {
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' });
        res.end(behaviour.body ?? JSON.stringify({ verdict: true, data: { reason: 'fine' } }));
      }, behaviour.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/guard`;
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  webhook?.closeAllConnections();
  await new Promise((r) => webhook?.close(r));
});
beforeEach(() => {
  upstream.reset();
  calls.length = 0;
  behaviour = {};
});

function client(hooks: object, metadata?: Record<string, string>): OpenAI {
  return new OpenAI({
    apiKey: 'sk-test-webhook-key-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0,
    defaultHeaders: {
      'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, ...hooks }),
      ...(metadata ? { 'x-portkey-metadata': JSON.stringify(metadata) } : {}),
    },
  });
}

/** The raw answer: a 446 carries hook_results next to its error, outside what the SDK's error exposes. */
async function raw(hooks: object, content: string, metadata?: Record<string, string>): Promise<{ status: number; body: { hook_results: { before_request_hooks: Array<{ checks: Array<{ id: string; verdict: boolean; data: unknown; error: string | null }> }> } } }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', authorization: 'Bearer sk-test-webhook-key-0123456789',
      'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, ...hooks }),
      ...(metadata ? { 'x-portkey-metadata': JSON.stringify(metadata) } : {}),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

const check = (parameters: object) => ({ id: 'default.webhook', parameters: { webhookURL: webhookUrl, ...parameters } });
const ask = (c: OpenAI, content = 'hello there') => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

describe('default.webhook guardrail', () => {
  it('denies with 446 when the webhook says so, after sending it the text, body, event, metadata and headers', async () => {
    behaviour = { body: JSON.stringify({ verdict: false, data: { reason: 'policy 7' } }) };
    const hooks = { before_request_hooks: [{ id: 'mine', deny: true, checks: [check({ headers: JSON.stringify({ authorization: 'Bearer guard-secret', 'Content-Type': 'Application/JSON' }) })] }] };
    const sdkErr = (await ask(client(hooks, { team: 'red' }), 'is this allowed?').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(sdkErr.status).toBe(446);
    const { status, body } = await raw(hooks, 'is this allowed?', { team: 'red' });
    expect(status).toBe(446);
    expect(body.hook_results.before_request_hooks[0].checks[0]).toMatchObject({ id: 'default.webhook', verdict: false, data: { webhook: { reason: 'policy 7' } } });
    calls.splice(0, 1);
    expect(upstream.requests).toHaveLength(0);
    expect(calls).toHaveLength(1);
    expect(calls[0].headers.authorization).toBe('Bearer guard-secret');
    expect(calls[0].headers['content-type']).toBe('application/json');
    expect(calls[0].body).toMatchObject({ eventType: 'beforeRequestHook', metadata: { team: 'red' }, request: { text: 'is this allowed?', json: { model: 'gpt-4o-mini' } }, response: { json: null, text: null } });
  });

  it('checks the answer after the call, and passes it on with the verdict in hook_results', async () => {
    const hooks = { after_request_hooks: [{ deny: true, checks: [check({})] }] };
    const res = await ask(client(hooks), 'echo me').withResponse();
    expect(res.response.status).toBe(200);
    expect(res.data.choices[0].message.content).toBe('Echo: echo me');
    expect(calls[0].body).toMatchObject({ eventType: 'afterRequestHook', response: { text: 'Echo: echo me' } });
    expect((calls[0].body.response.json as { choices: unknown[] }).choices).toHaveLength(1);
  });

  it('lets the request pass when the webhook does not answer in time, as Portkey does', async () => {
    behaviour = { delayMs: 1500, body: JSON.stringify({ verdict: false }) };
    const hooks = { before_request_hooks: [{ deny: true, checks: [check({ timeout: 200 })] }] };
    const started = Date.now();
    const res = await ask(client(hooks)).withResponse();
    expect(res.response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1400);
    expect(upstream.requests).toHaveLength(1);
  });

  it('never holds the response for an "async": true hook; its verdict reaches the log document', async () => {
    behaviour = { delayMs: 700, body: JSON.stringify({ verdict: false, data: { reason: 'noted later' } }) };
    const trace = `async-hook-${Date.now()}`;
    const hooks = { before_request_hooks: [{ id: 'audit', async: true, deny: true, checks: [check({})] }] };
    const started = Date.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-webhook-key-0123456789', 'x-portkey-trace-id': trace, 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, ...hooks }) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'audit me' }] }),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    expect(Date.now() - started).toBeLessThan(600);
    const doc = await eventually(() => {
      const line = readAllLogs(gw).split('\n').find((l) => l.includes(trace));
      if (!line) throw new Error('not written yet');
      return JSON.parse(line);
    }, 5000);
    expect(doc.hook_results.before_request_hooks[0]).toMatchObject({ id: 'audit', async: true, verdict: false, checks: [{ id: 'default.webhook', data: { webhook: { reason: 'noted later' } } }] });
    // The document times the request, not the hook that finished after it.
    expect(doc.timings.total_ms).toBeLessThan(600);
  });

  it('bounds background hook runs: past GUARDRAIL_BACKGROUND_MAX, new ones are skipped and the log says so', async () => {
    const bounded = await startTestGateway({ GUARDRAIL_BACKGROUND_MAX: '1' });
    try {
      behaviour = { delayMs: 700 };
      const config = JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, before_request_hooks: [{ id: 'audit', async: true, checks: [check({})] }] });
      const traces = [`bounded-a-${Date.now()}`, `bounded-b-${Date.now()}`];
      for (const trace of traces) {
        const res = await fetch(`${bounded.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-webhook-key-0123456789', 'x-portkey-trace-id': trace, 'x-portkey-config': config },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
      const docs = await eventually(() => {
        const lines = readAllLogs(bounded).split('\n');
        const found = traces.map((t) => lines.find((l) => l.includes(t)));
        if (found.some((l) => !l)) throw new Error('not written yet');
        return found.map((l) => JSON.parse(l!));
      }, 5000);
      expect(docs[0].hook_results.before_request_hooks[0].checks[0]).toMatchObject({ id: 'default.webhook', error: null });
      expect(docs[1].hook_results.before_request_hooks[0].checks[0].error).toMatch(/not run: 1 background guardrail runs/);
      expect(calls).toHaveLength(1);
    } finally {
      await bounded.close();
    }
  });

  it('fails the check on a broken webhook (error status, no verdict): 246 without deny, with the error recorded', async () => {
    for (const b of [{ status: 500, body: '{"oops":true}' }, { body: '{"verdict":"yes"}' }, { body: 'not json' }]) {
      behaviour = b;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-webhook-key-0123456789', 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, before_request_hooks: [{ checks: [check({})] }] }) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(246);
      const body = (await res.json()) as { hook_results: { before_request_hooks: Array<{ checks: Array<{ verdict: boolean; error: string }> }> } };
      expect(body.hook_results.before_request_hooks[0].checks[0].verdict).toBe(false);
      expect(body.hook_results.before_request_hooks[0].checks[0].error).toMatch(/webhook/);
    }
  });

  it('never reaches cloud metadata or a private range that is not allowed, whatever the config says', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/guard']) {
      const hooks = { before_request_hooks: [{ deny: true, checks: [{ id: 'default.webhook', parameters: { webhookURL: url } }] }] };
      const { status, body } = await raw(hooks, 'hi');
      expect(status).toBe(446);
      expect(body.hook_results.before_request_hooks[0].checks[0].error).toMatch(/not allowed/);
    }
    expect(calls).toHaveLength(0);
  });
});
