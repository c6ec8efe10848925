import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { assertOpenAI } from '../helpers/openai-schema.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** The official openai SDK against the gateway, which routes to fake OpenAI upstreams. */
let gw: TestGateway;
let primary: FakeOpenAI;
let secondary: FakeOpenAI;

const PROVIDER_KEY = 'sk-test-provider-key-1234567890';

function client(headers: Record<string, string> = {}, opts: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: `${gw.url}/v1`,
    maxRetries: opts.maxRetries ?? 0,
    defaultHeaders: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': primary.baseUrl, ...headers },
  });
}

function configHeader(config: object): Record<string, string> {
  return { 'x-portkey-config': JSON.stringify(config) };
}

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([primary?.close(), secondary?.close()]);
});
beforeEach(() => {
  primary.reset();
  secondary.reset();
});

describe('chat completions through the openai SDK', () => {
  it('returns a schema-valid completion and forwards the provider key as Bearer', async () => {
    const { data, response } = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'What is a fractal?' }] }).withResponse();
    assertOpenAI('CreateChatCompletionResponse', data);
    expect(data.choices[0].message.content).toBe('Echo: What is a fractal?');
    expect(primary.requests[0].headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(response.headers.get('x-portkey-provider')).toBe('openai');
    expect(response.headers.get('x-portkey-trace-id')).toMatch(/.+/);
    expect(response.headers.get('x-portkey-cache-status')).toBe('DISABLED');
  });

  it('passes unknown request fields through unchanged', async () => {
    await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], seed: 7, metadata: { a: 'b' } } as never);
    expect(primary.requests[0].body.seed).toBe(7);
    expect(primary.requests[0].body.metadata).toEqual({ a: 'b' });
  });

  it('streams schema-valid chunks, and omits usage unless asked', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream please' }], stream: true });
    let text = '';
    let sawUsage = false;
    for await (const chunk of stream) {
      assertOpenAI('CreateChatCompletionStreamResponse', chunk);
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe('Echo: stream please');
    expect(sawUsage).toBe(false);
    // The gateway asked upstream for usage anyway, for its log.
    expect(primary.requests[0].body.stream_options).toEqual({ include_usage: true });
  });

  it('streams the usage chunk when include_usage is set', async () => {
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'u' }], stream: true, stream_options: { include_usage: true } });
    let usage: unknown;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toEqual({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
  });

  it('returns tool calls, streamed and not', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'search', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'find cats' }], tools });
    expect(res.choices[0].finish_reason).toBe('tool_calls');
    expect(JSON.parse((res.choices[0].message.tool_calls![0] as { function: { arguments: string } }).function.arguments)).toEqual({ query: 'find cats' });

    const runner = client().chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'find dogs' }], tools });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0].message.tool_calls![0] as { function: { name: string; arguments: string } };
    expect(call.function.name).toBe('search');
    expect(JSON.parse(call.function.arguments)).toEqual({ query: 'find dogs' });
  });

  it('serves embeddings and legacy completions', async () => {
    const emb = await client().embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    assertOpenAI('CreateEmbeddingResponse', emb);
    expect(emb.data).toHaveLength(2);
    const cmpl = await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(cmpl.choices[0].text).toContain('completion of Say hi');
  });

  it('maps upstream errors to OpenAI shape keeping status and message', async () => {
    primary.enqueue({ status: 400, body: { error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } } });
    const err = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.message).toContain('Invalid value for temperature');
    assertOpenAI('ErrorResponse', { error: err.error });
  });
});

describe('routing configs', () => {
  it('retries on 503 with backoff and reports the attempt count', async () => {
    primary.enqueue({ status: 503 }, { status: 503 });
    const { data, response } = await client(configHeader({ retry: { attempts: 3 }, provider: 'openai', custom_host: primary.baseUrl }))
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'retry me' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('Echo: retry me');
    expect(response.headers.get('x-portkey-retry-attempt-count')).toBe('2');
    expect(primary.requests).toHaveLength(3);
  });

  it('honours retry-after when use_retry_after_header is set', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '1' } });
    const started = Date.now();
    await client(configHeader({ retry: { attempts: 1, use_retry_after_header: true }, provider: 'openai', custom_host: primary.baseUrl }))
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'r' }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('falls back to the next target on failure and names it in the response headers', async () => {
    primary.setDefault({ status: 500 });
    const cfg = { strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', custom_host: primary.baseUrl }, { provider: 'openai', custom_host: secondary.baseUrl }] };
    const { data, response } = await client(configHeader(cfg)).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fb' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('Echo: fb');
    expect(response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    expect(secondary.requests).toHaveLength(1);
  });

  it('falls back only on the listed status codes', async () => {
    primary.setDefault({ status: 400 });
    const cfg = { strategy: { mode: 'fallback', on_status_codes: [429, 500] }, targets: [{ provider: 'openai', custom_host: primary.baseUrl }, { provider: 'openai', custom_host: secondary.baseUrl }] };
    const err = await client(configHeader(cfg)).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(secondary.requests).toHaveLength(0);
  });

  it('falls back when the first target cannot be reached at all', async () => {
    const cfg = { strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', custom_host: 'http://127.0.0.1:9/v1' }, { provider: 'openai', custom_host: secondary.baseUrl }] };
    const res = await client(configHeader(cfg)).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'down' }] });
    expect(res.choices[0].message.content).toBe('Echo: down');
  });

  it('load-balances by weight', async () => {
    const cfg = configHeader({ strategy: { mode: 'loadbalance' }, targets: [{ provider: 'openai', custom_host: primary.baseUrl, weight: 0.75 }, { provider: 'openai', custom_host: secondary.baseUrl, weight: 0.25 }] });
    const c = client(cfg);
    const N = 200;
    for (let i = 0; i < N; i += 20) {
      await Promise.all(Array.from({ length: 20 }, () => c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'lb' }] })));
    }
    // Binomial(200, 0.75): mean 150, sd 6.1; ±25 is four standard deviations.
    expect(primary.requests.length + secondary.requests.length).toBe(N);
    expect(primary.requests.length).toBeGreaterThan(125);
    expect(primary.requests.length).toBeLessThan(175);
  });

  it('routes conditionally on metadata and params', async () => {
    const cfg = {
      strategy: { mode: 'conditional', conditions: [{ query: { $and: [{ 'metadata.plan': { $eq: 'pro' } }, { 'params.model': { $regex: '^gpt-4o' } }] }, then: 'pro' }], default: 'free' },
      targets: [{ name: 'pro', provider: 'openai', custom_host: primary.baseUrl }, { name: 'free', provider: 'openai', custom_host: secondary.baseUrl }],
    };
    await client({ ...configHeader(cfg), 'x-portkey-metadata': JSON.stringify({ plan: 'pro' }) }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'c' }] });
    await client({ ...configHeader(cfg), 'x-portkey-metadata': JSON.stringify({ plan: 'free' }) }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'c' }] });
    expect(primary.requests).toHaveLength(1);
    expect(secondary.requests).toHaveLength(1);
  });

  it('applies override_params, inherited by nested targets', async () => {
    const cfg = { override_params: { temperature: 0.1 }, strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', custom_host: primary.baseUrl, override_params: { model: 'gpt-4o' } }] };
    await client(configHeader(cfg)).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'o' }] });
    expect(primary.requests[0].body.model).toBe('gpt-4o');
    expect(primary.requests[0].body.temperature).toBe(0.1);
  });

  it('times out with 408 after request_timeout', async () => {
    primary.enqueue({ delayMs: 1500 });
    const err = await client(configHeader({ request_timeout: 200, provider: 'openai', custom_host: primary.baseUrl }))
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 't' }] }).catch((e) => e);
    expect(err.status).toBe(408);
    expect(err.message).toMatch(/timed out/);
  });

  it('serves the simple cache: MISS, then HIT, also as a stream, and REFRESH on force-refresh', async () => {
    const cfg = configHeader({ cache: { mode: 'simple', max_age: 60 }, provider: 'openai', custom_host: primary.baseUrl });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: `cache ${Math.random()}` }] };
    const first = await client(cfg).chat.completions.create(body).withResponse();
    expect(first.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    await new Promise((r) => setTimeout(r, 50));
    const second = await client(cfg).chat.completions.create(body).withResponse();
    expect(second.response.headers.get('x-portkey-cache-status')).toBe('HIT');
    expect(second.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    const stream = await client(cfg).chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(first.data.choices[0].message.content);
    expect(primary.requests).toHaveLength(1);
    const refreshed = await client({ ...cfg, 'x-portkey-cache-force-refresh': 'true' }).chat.completions.create(body).withResponse();
    expect(refreshed.response.headers.get('x-portkey-cache-status')).toBe('REFRESH');
    expect(primary.requests).toHaveLength(2);
  });

  it('partitions the cache by x-portkey-cache-namespace alone when it is sent, as Portkey does', async () => {
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: `namespaced ${Math.random()}` }] };
    // Two configs that differ (so, without a namespace, two partitions) but share a namespace.
    const viaA = { ...configHeader({ cache: { mode: 'simple', max_age: 60 }, provider: 'openai', custom_host: primary.baseUrl, retry: { attempts: 1 } }), 'x-portkey-cache-namespace': 'user-123' };
    const viaB = { ...configHeader({ cache: { mode: 'simple', max_age: 60 }, provider: 'openai', custom_host: primary.baseUrl, retry: { attempts: 2 } }), 'x-portkey-cache-namespace': 'user-123' };
    const first = await client(viaA).chat.completions.create(body).withResponse();
    expect(first.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    await new Promise((r) => setTimeout(r, 50));
    const shared = await client(viaB).chat.completions.create(body).withResponse();
    expect(shared.response.headers.get('x-portkey-cache-status')).toBe('HIT');
    const other = await client({ ...viaA, 'x-portkey-cache-namespace': 'user-456' }).chat.completions.create(body).withResponse();
    expect(other.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    const plain = await client(configHeader({ cache: { mode: 'simple', max_age: 60 }, provider: 'openai', custom_host: primary.baseUrl, retry: { attempts: 1 } })).chat.completions.create(body).withResponse();
    expect(plain.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    expect(primary.requests).toHaveLength(3);
    const tooLong = await client({ ...viaA, 'x-portkey-cache-namespace': 'n'.repeat(300) }).chat.completions.create(body).catch((e: unknown) => e);
    expect((tooLong as { status: number }).status).toBe(400);
  });

  it('applies a cache set on one target to that target only, looked up when routing reaches it', async () => {
    const cfg = configHeader({
      strategy: { mode: 'fallback' },
      targets: [
        { provider: 'openai', custom_host: primary.baseUrl },
        { provider: 'openai', custom_host: secondary.baseUrl, cache: { mode: 'simple', max_age: 60 } },
      ],
    });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: `target cache ${Math.random()}` }] };
    // The first target answers: it has no cache, so nothing is stored.
    const direct = await client(cfg).chat.completions.create(body).withResponse();
    expect(direct.response.headers.get('x-portkey-cache-status')).toBe('DISABLED');
    primary.enqueue({ status: 503 });
    const missed = await client(cfg).chat.completions.create(body).withResponse();
    expect(missed.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    expect(missed.response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    await new Promise((r) => setTimeout(r, 50));
    primary.enqueue({ status: 503 });
    const hit = await client(cfg).chat.completions.create(body).withResponse();
    expect(hit.response.headers.get('x-portkey-cache-status')).toBe('HIT');
    expect(hit.response.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    expect(hit.data.choices[0].message.content).toBe(missed.data.choices[0].message.content);
    const stream = await client(cfg).chat.completions.create({ ...body, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Echo: ' + body.messages[0].content);
    expect(secondary.requests).toHaveLength(1);
    expect(primary.requests).toHaveLength(4);
  });

  it('keeps the answers of a target that turns the cache off out of the root cache (semantic mode: test/cache/semantic-cache.test.ts)', async () => {
    const off = configHeader({ cache: { mode: 'simple' }, strategy: { mode: 'single' }, targets: [{ provider: 'openai', custom_host: primary.baseUrl, cache: { mode: 'disabled' } }] });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: `no cache ${Math.random()}` }] };
    await client(off).chat.completions.create(body);
    await new Promise((r) => setTimeout(r, 50));
    const again = await client(off).chat.completions.create(body).withResponse();
    expect(again.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    expect(primary.requests).toHaveLength(2);
  });
});

describe('streams that fail', () => {
  it('retries a stream that fails before the first byte', async () => {
    primary.enqueue({ status: 502 });
    const stream = await client(configHeader({ retry: { attempts: 2 }, provider: 'openai', custom_host: primary.baseUrl }))
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Echo: again');
  });

  it('ends a stream cut mid-way with an error event, never a clean finish', async () => {
    primary.enqueue({ cutAfterEvents: 2, eventDelayMs: 30 });
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five' }], stream: true });
    const err = await (async () => {
      for await (const _ of stream) { /* drain */ }
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toMatch(/incomplete/);
  });

  it('relays an upstream error event mid-stream as an error', async () => {
    primary.enqueue({ errorAfterEvents: 2, eventDelayMs: 30 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': primary.baseUrl },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a b c d' }], stream: true }),
    });
    const text = await res.text();
    expect(text).toContain('"error"');
    expect(text).not.toContain('[DONE]');
  });
});

describe('passthrough of other /v1 paths', () => {
  it('forwards GET /v1/models to the provider when routing headers are present', async () => {
    const models = await client().models.list();
    expect(models.data[0].id).toBe('gpt-4o-mini');
    expect(primary.requests.at(-1)!.path).toBe('/v1/models');
  });
  it('relays a binary response as it arrives (audio/speech)', async () => {
    const res = await client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hello' });
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(3000);
    expect([bytes[0], bytes[1000], bytes[2999]]).toEqual([1, 2, 3]);
  });

  it('lists the gateway providers without routing headers', async () => {
    const res = await fetch(`${gw.url}/v1/models`);
    const body = await res.json();
    expect(body.data.map((m: { id: string }) => m.id)).toContain('bedrock');
  });
  it('answers 400 naming the provider for an endpoint it lacks', async () => {
    const res = await fetch(`${gw.url}/v1/audio/speech`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-provider': 'google', authorization: 'Bearer k' }, body: '{}' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/google does not support/);
  });
});

describe('forwarded headers', () => {
  it('forwards only the headers that x-portkey-forward-headers names, on native and translated paths', async () => {
    await client({ 'x-portkey-forward-headers': 'x-tenant-id', 'x-tenant-id': 't-42', 'x-other': 'no' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'fw' }] });
    expect(primary.requests[0].headers['x-tenant-id']).toBe('t-42');
    expect(primary.requests[0].headers['x-other']).toBeUndefined();
    const cfg = { forward_headers: ['x-tenant-id'], provider: 'openai', custom_host: primary.baseUrl };
    await client({ ...configHeader(cfg), 'x-tenant-id': 't-43' }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(primary.requests[1].headers['x-tenant-id']).toBe('t-43');
  });
});

describe('stalled streams', () => {
  it('cuts an upstream that goes silent mid-stream for longer than request_timeout, with an error event', async () => {
    primary.enqueue({ eventDelayMs: 1500 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}`, 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: primary.baseUrl, request_timeout: 300 }) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow words here' }], stream: true }),
    });
    const started = Date.now();
    const text = await res.text();
    expect(Date.now() - started).toBeLessThan(1400);
    expect(text).toContain('stream_stalled');
    expect(text).not.toContain('[DONE]');
  });
});
