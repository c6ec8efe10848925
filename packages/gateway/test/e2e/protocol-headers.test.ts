/**
 * A provider's own protocol headers reach it (OpenAI-Beta for the Assistants API, anthropic-beta),
 * on passthrough, native and translated routes; hop-by-hop and credential headers never do.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { BUILTIN_PROVIDERS } from '../../src/providers/registry.js';

let openai: FakeOpenAI;
let anthropic: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  [openai, anthropic] = await Promise.all([startFakeOpenAI(), startFakeAnthropic()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([openai?.close(), anthropic?.close()]);
});

const anthropicConfig = () => JSON.stringify({ provider: 'anthropic', api_key: 'sk-ant-provider', custom_host: anthropic.baseUrlV1 });

describe('protocol headers', () => {
  it("reach OpenAI on passthrough: the SDK's Assistants API (OpenAI-Beta: assistants=v2) works", async () => {
    const client = new OpenAI({ apiKey: 'sk-provider', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl } });
    const assistant = await client.beta.assistants.create({ model: 'gpt-4o-mini', name: 'helper' });
    expect(assistant).toMatchObject({ object: 'assistant', name: 'helper', model: 'gpt-4o-mini' });
    expect(openai.requests.at(-1)!.headers['openai-beta']).toBe('assistants=v2');
  });

  it('reach Anthropic on /v1/messages and on chat translated to it', async () => {
    const beta = 'prompt-caching-2024-07-31,output-128k-2025-02-19';
    const native = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-config': anthropicConfig(), 'anthropic-version': '2023-06-01', 'anthropic-beta': beta },
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(native.status).toBe(200);
    expect(anthropic.requests.at(-1)!.headers['anthropic-beta']).toBe(beta);
    const translated = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-config': anthropicConfig(), 'anthropic-beta': beta },
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(translated.status).toBe(200);
    expect(anthropic.requests.at(-1)!.headers['anthropic-beta']).toBe(beta);
  });

  it("go only to their own provider, and hop-by-hop and credential headers go nowhere", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', authorization: 'Bearer sk-provider', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': openai.baseUrl,
        'anthropic-beta': 'not-for-openai', 'x-api-key': 'client-secret-1', 'proxy-authorization': 'Basic c2VjcmV0', cookie: 'session=secret', te: 'trailers', 'x-other': 'kept-out',
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const sent = openai.requests.at(-1)!.headers;
    for (const h of ['anthropic-beta', 'x-api-key', 'proxy-authorization', 'cookie', 'te', 'x-other']) expect(sent[h], h).toBeUndefined();
    expect(sent.authorization).toBe('Bearer sk-provider');
  });

  it('are never auth or hop-by-hop headers, for any provider', () => {
    const forbidden = /^(authorization|proxy-authorization|x-api-key|api-key|cookie|x-goog-api-key|x-amz-.*|connection|keep-alive|transfer-encoding|te|trailer|upgrade|host|content-length)$/;
    const declared = BUILTIN_PROVIDERS.flatMap((p) => (p.protocolHeaders ?? []).map((h) => `${p.id}: ${h}`));
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((d) => forbidden.test(d.split(': ')[1]!))).toEqual([]);
    expect(declared.every((d) => d.split(': ')[1] === d.split(': ')[1]!.toLowerCase())).toBe(true);
  });
});
