/**
 * CORS for browser clients: off by default; with CORS_ALLOWED_ORIGINS, preflights from those origins are
 * answered by the gateway and every answer to them (success, error, stream) says the page may read it.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

const APP = 'https://app.example.com';
let fake: FakeOpenAI;
let withCors: TestGateway;
let without: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  [withCors, without] = await Promise.all([startTestGateway({ CORS_ALLOWED_ORIGINS: `${APP}, http://localhost:5173` }), startTestGateway()]);
});
afterAll(async () => {
  await Promise.all([withCors?.close(), without?.close()]);
  await fake?.close();
});

const preflight = (gw: TestGateway, origin: string) => request(`${gw.url}/v1/chat/completions`, {
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-portkey-provider, x-portkey-custom-host' },
});

const chat = (gw: TestGateway, origin: string, body: string, stream = false) => request(`${gw.url}/v1/chat/completions`, {
  method: 'POST',
  headers: { origin, 'content-type': 'application/json', authorization: 'Bearer sk-test-cors-0123456789', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.baseUrl },
  body: body || JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'from a browser' }] }),
});

describe('CORS', () => {
  it('answers a preflight from an allowed origin, allowing the method and the headers asked for', async () => {
    const res = await preflight(withCors, APP);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-portkey-provider, x-portkey-custom-host');
    expect(res.headers.vary).toContain('origin');
    await res.body.dump();
    expect(fake.requests).toHaveLength(0);
  });

  it('lets an allowed page read answers, errors and streams, with the Portkey headers exposed', async () => {
    const ok = await chat(withCors, 'http://localhost:5173', '');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(String(ok.headers['access-control-expose-headers'])).toContain('x-portkey-trace-id');
    expect(((await ok.body.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('Echo: from a browser');
    const bad = await chat(withCors, APP, '{not json');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['access-control-allow-origin']).toBe(APP);
    await bad.body.dump();
    const stream = await chat(withCors, APP, '', true);
    expect(stream.headers['content-type']).toContain('text/event-stream');
    expect(stream.headers['access-control-allow-origin']).toBe(APP);
    expect(await stream.body.text()).toContain('data: [DONE]');
  });

  it('refuses a preflight from any other origin, and gives its requests no CORS headers', async () => {
    const res = await preflight(withCors, 'https://evil.example.net');
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(((await res.body.json()) as { error: { message: string } }).error.message).toMatch(/CORS_ALLOWED_ORIGINS/);
    const direct = await chat(withCors, 'https://evil.example.net', '');
    expect(direct.headers['access-control-allow-origin']).toBeUndefined();
    await direct.body.dump();
  });

  it('is off by default: no preflight answer and no CORS headers', async () => {
    const res = await preflight(without, APP);
    expect(res.statusCode).not.toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    await res.body.dump();
    const ok = await chat(without, APP, '');
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
    await ok.body.dump();
  });
});
