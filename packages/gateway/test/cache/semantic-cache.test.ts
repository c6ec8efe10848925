/**
 * The semantic cache (cache.mode "semantic") through the gateway, with the official openai SDK as the
 * client, a fake OpenAI upstream that echoes the question, and a fake embeddings endpoint whose vectors
 * are deterministic (fake-embeddings.ts). A paraphrase gets the first question's answer (SEMANTIC HIT);
 * tenants and namespaces never see each other's entries; a miss costs one embedding call; a failing
 * or stalled embedding falls back to exact matching.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './fake-embeddings.js';

const PROVIDER_KEY = 'sk-test-provider-key-semantic-1';
const EMBEDDING_KEY = 'sk-test-embedding-key-semantic-2';
const KEY_A = 'pk-semantic-tenant-a-0123';
const KEY_B = 'pk-semantic-tenant-b-0123';

let gw: TestGateway;
let upstream: FakeOpenAI;
let emb: FakeEmbeddings;

beforeAll(async () => {
  [upstream, emb] = await Promise.all([startFakeOpenAI(), startFakeEmbeddings()]);
  Object.assign(process.env, { SEM_KEY_A: KEY_A, SEM_KEY_B: KEY_B });
  gw = await startTestGateway({}, {
    entities: `keys:
  - { id: sem-a, key_env: SEM_KEY_A, workspace: wsA }
  - { id: sem-b, key_env: SEM_KEY_B, workspace: wsB }
`,
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), emb?.close()]);
});
beforeEach(() => {
  upstream.reset();
  emb.reset();
});

function semanticConfig(extra: Record<string, unknown> = {}, embedding: Record<string, unknown> = {}) {
  return {
    provider: 'openai', custom_host: upstream.baseUrl,
    // A generous timeout: on a loaded machine a slow embedding would turn a semantic miss into a plain MISS.
    cache: { mode: 'semantic', semantic: { embedding: { provider: 'openai', custom_host: emb.baseUrl, api_key: EMBEDDING_KEY, model: 'text-embedding-3-small', request_timeout: 20_000, ...embedding }, ...extra } },
  };
}

function client(opts: { key?: string; config?: object; headers?: Record<string, string> } = {}): OpenAI {
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: `${gw.url}/v1`,
    maxRetries: 0,
    defaultHeaders: { 'x-portkey-api-key': opts.key ?? KEY_A, 'x-portkey-config': JSON.stringify(opts.config ?? semanticConfig()), ...opts.headers },
  });
}

const ask = (c: OpenAI, content: string, system?: string) =>
  c.chat.completions.create({ model: 'gpt-4o-mini', messages: [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content }] }).withResponse();

const status = (r: { response: Response }) => r.response.headers.get('x-portkey-cache-status');
async function indexedEntries(url = gw.url): Promise<number> {
  const m = /portico_semantic_cache_entries (\d+)/.exec(await (await fetch(`${url}/metrics`)).text());
  return Number(m?.[1] ?? 0);
}
/** The answer is stored after it is sent: runs `request`, then waits until its entry is indexed. */
async function stored<T>(request: () => Promise<T>, url = gw.url): Promise<T> {
  const before = await indexedEntries(url);
  const out = await request();
  // Only a request whose lookup embedded it (or a refresh) is indexed: say so if it was not one.
  expect(['SEMANTIC MISS', 'REFRESH']).toContain(status(out as { response: Response }));
  await eventually(async () => expect(await indexedEntries(url)).toBeGreaterThan(before), 15_000);
  return out;
}
const settle = () => new Promise((r) => setTimeout(r, 100));
/** Each test asks about its own subject, so entries of earlier tests cannot answer it. It ends in "x", never "s": the fake strips a plural "s". */
const subject = () => `topic${Math.random().toString(36).slice(2, 8)}x`;

describe('semantic cache through the openai SDK', () => {
  it('answers a paraphrase from the cache (SEMANTIC HIT), an identical request by exact match (HIT), at one embedding call per miss', async () => {
    const s = subject();
    const first = await stored(() => ask(client(), `What is a ${s}?`));
    expect(status(first)).toBe('SEMANTIC MISS');
    expect(first.data.choices[0].message.content).toBe(`Echo: What is a ${s}?`);
    expect(emb.calls).toHaveLength(1);
    expect(emb.calls[0]).toMatchObject({ input: `What is a ${s}?`, model: 'text-embedding-3-small', authorization: `Bearer ${EMBEDDING_KEY}` });
    await settle();
    // The miss's embedding was reused to index the answer: still one call.
    expect(emb.calls).toHaveLength(1);

    const paraphrase = await ask(client(), `Please tell me what ${s}s are`);
    expect(status(paraphrase)).toBe('SEMANTIC HIT');
    expect(paraphrase.data.choices[0].message.content).toBe(`Echo: What is a ${s}?`);
    expect(upstream.requests).toHaveLength(1);
    expect(emb.calls).toHaveLength(2);

    const same = await ask(client(), `What is a ${s}?`);
    expect(status(same)).toBe('HIT');
    expect(emb.calls).toHaveLength(2);
  });

  it('misses a different question, and a paraphrase under another system prompt (the rest of the request must match exactly)', async () => {
    const s = subject();
    await stored(() => ask(client(), `What is a ${s}?`, 'Answer briefly.'));
    const other = await ask(client(), `What is a ${subject()}?`, 'Answer briefly.');
    expect(status(other)).toBe('SEMANTIC MISS');
    const otherSystem = await ask(client(), `Tell me what a ${s} is`, 'Answer at length.');
    expect(status(otherSystem)).toBe('SEMANTIC MISS');
    const sameSystem = await ask(client(), `Tell me what a ${s} is`, 'Answer briefly.');
    expect(status(sameSystem)).toBe('SEMANTIC HIT');
    expect(upstream.requests).toHaveLength(3);
  });

  it('keeps tenants apart: another workspace asking the same paraphrase is a miss that reaches the upstream', async () => {
    const s = subject();
    await stored(() => ask(client({ key: KEY_A }), `What is a ${s}?`));
    // B's paraphrase, and even A's exact question, reach the upstream: nothing of A's is visible to B.
    const b = await stored(() => ask(client({ key: KEY_B }), `Please explain what a ${s} is`));
    expect(status(b)).toBe('SEMANTIC MISS');
    expect(b.data.choices[0].message.content).toBe(`Echo: Please explain what a ${s} is`);
    expect(upstream.requests).toHaveLength(2);
    // Each tenant's paraphrase gets its own tenant's answer.
    const a = await ask(client({ key: KEY_A }), `Explain ${s}s`);
    expect(status(a)).toBe('SEMANTIC HIT');
    expect(a.data.choices[0].message.content).toBe(`Echo: What is a ${s}?`);
    const b2 = await ask(client({ key: KEY_B }), `Explain ${s}s`);
    expect(status(b2)).toBe('SEMANTIC HIT');
    expect(b2.data.choices[0].message.content).toBe(`Echo: Please explain what a ${s} is`);
    expect(upstream.requests).toHaveLength(2);
  });

  it('keeps cache namespaces apart within a tenant', async () => {
    const s = subject();
    await stored(() => ask(client({ headers: { 'x-portkey-cache-namespace': 'ns-one' } }), `What is a ${s}?`));
    const two = await ask(client({ headers: { 'x-portkey-cache-namespace': 'ns-two' } }), `What are ${s}s?`);
    expect(status(two)).toBe('SEMANTIC MISS');
    const one = await ask(client({ headers: { 'x-portkey-cache-namespace': 'ns-one' } }), `What are ${s}s?`);
    expect(status(one)).toBe('SEMANTIC HIT');
  });

  it('serves a semantic hit as a stream in the client\'s format', async () => {
    const s = subject();
    await stored(() => ask(client(), `What is a ${s}?`));
    const stream = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `explain ${s}s` }], stream: true }).withResponse();
    expect(status(stream)).toBe('SEMANTIC HIT');
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(`Echo: What is a ${s}?`);
  });

  it('honours the threshold: a partial paraphrase hits at 0.5 and misses at the default 0.95', async () => {
    const s = subject();
    const t = subject();
    // Two content words against one of them: cosine 1/sqrt(2) = 0.707.
    // The config is part of the partition (as in simple mode, without a namespace): one entry under each.
    await stored(() => ask(client(), `What is a ${s} ${t}?`));
    await stored(() => ask(client({ config: semanticConfig({ threshold: 0.5 }) }), `What is a ${s} ${t}?`));
    expect(status(await ask(client(), `What is a ${s}?`))).toBe('SEMANTIC MISS');
    expect(status(await ask(client({ config: semanticConfig({ threshold: 0.5 }) }), `What is a ${s}?`))).toBe('SEMANTIC HIT');
  });

  it('falls back to exact matching when the embedding call fails (5xx) or stalls past its timeout, never erroring', async () => {
    const s = subject();
    emb.failNext(500);
    const failed = await ask(client(), `What is a ${s}?`);
    expect(failed.response.status).toBe(200);
    expect(status(failed)).toBe('MISS');
    await settle();
    // One call per miss: the store did not try again.
    expect(emb.calls).toHaveLength(1);
    // The answer went to the exact-match cache all the same.
    await eventually(async () => expect(status(await ask(client(), `What is a ${s}?`))).toBe('HIT'));

    emb.failNext('stall');
    const started = Date.now();
    const stalled = await ask(client({ config: semanticConfig({}, { request_timeout: 300 }) }), `Describe ${subject()}`);
    expect(stalled.response.status).toBe(200);
    expect(status(stalled)).toBe('MISS');
    expect(Date.now() - started).toBeLessThan(3000);

    const text = await eventually(async () => {
      const m = await (await fetch(`${gw.url}/metrics`)).text();
      expect(m).toMatch(/portico_semantic_cache_embeddings_total\{outcome="failed"\} [2-9]/);
      return m;
    });
    expect(text).toMatch(/portico_semantic_cache_embeddings_total\{outcome="ok"\} \d+/);
  });

  it('records SEMANTIC HIT in the log document and the metrics, apart from exact hits', async () => {
    const s = subject();
    await stored(() => ask(client(), `What is a ${s}?`));
    const hit = await ask(client(), `what's a ${s}`);
    const traceId = hit.response.headers.get('x-portkey-trace-id');
    const doc = await eventually(() => {
      // The request's own document; its embedding call has another under the same trace id (semantic-charges.test.ts).
      const line = readAllLogs(gw).split('\n').find((l) => l.includes(`"trace_id":"${traceId}"`) && l.includes('"endpoint":"chat"'));
      expect(line).toBeDefined();
      return JSON.parse(line!);
    });
    expect(doc.cache_status).toBe('SEMANTIC HIT');
    expect(doc.cost).toEqual({ usd: 0, priced: true });
    // The embedding credential never reaches the log.
    expect(readAllLogs(gw)).not.toContain(EMBEDDING_KEY);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/portico_cache_results_total\{result="SEMANTIC HIT"\} [1-9]/);
    expect(metrics).toMatch(/portico_cache_results_total\{result="SEMANTIC MISS"\} [1-9]/);
    expect(metrics).toMatch(/portico_semantic_cache_entries [1-9]/);
  });

  it('after x-portkey-cache-force-refresh, embeds once when storing, so the next paraphrase hits', async () => {
    const s = subject();
    const refreshed = await stored(() => ask(client({ headers: { 'x-portkey-cache-force-refresh': 'true' } }), `What is a ${s}?`));
    expect(status(refreshed)).toBe('REFRESH');
    expect(emb.calls).toHaveLength(1);
    const hit = await ask(client(), `What are ${s}s?`);
    expect(status(hit)).toBe('SEMANTIC HIT');
    expect(upstream.requests).toHaveLength(1);
  });

  it('leaves simple-mode configs alone: no embedding call', async () => {
    const cfg = { provider: 'openai', custom_host: upstream.baseUrl, cache: { mode: 'simple' } };
    const s = subject();
    expect(status(await ask(client({ config: cfg }), `What is a ${s}?`))).toBe('MISS');
    await settle();
    expect(status(await ask(client({ config: cfg }), `What are ${s}s?`))).toBe('MISS');
    expect(emb.calls).toHaveLength(0);
  });
});

describe('semantic cache configuration', () => {
  const refused = async (config: object) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PROVIDER_KEY}`, 'x-portkey-api-key': KEY_A, 'x-portkey-config': JSON.stringify(config) },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.json();
    expect(res.status).toBe(400);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    return body.error as { message: string; code: string; param: string };
  };

  it('refuses unknown fields of cache.semantic and its embedding by name', async () => {
    const bad = semanticConfig({}, { modle: 'x' });
    expect((await refused(bad)).message).toMatch(/modle/);
    const bad2 = { ...semanticConfig(), cache: { mode: 'semantic', semantic: { treshold: 0.9, embedding: semanticConfig().cache.semantic.embedding } } };
    expect((await refused(bad2)).message).toMatch(/treshold/);
  });

  it('refuses semantic settings under another mode, an embedding without a model, and a threshold out of range', async () => {
    expect((await refused({ provider: 'openai', cache: { mode: 'simple', semantic: { threshold: 0.9 } } })).message).toMatch(/only with mode "semantic"/);
    expect((await refused(semanticConfig({}, { model: undefined }))).message).toMatch(/model/);
    expect((await refused(semanticConfig({ threshold: 1.5 }))).message).toMatch(/threshold/);
  });

  it('refuses mode "semantic" with no embedding target anywhere, saying what to add', async () => {
    const e = await refused({ provider: 'openai', custom_host: upstream.baseUrl, cache: { mode: 'semantic' } });
    expect(e.code).toBe('semantic_cache_not_configured');
    expect(e.message).toMatch(/cache\.semantic\.embedding/);
    expect(e.message).toMatch(/SEMANTIC_CACHE_EMBEDDING/);
  });

  it('uses the operator\'s SEMANTIC_CACHE_EMBEDDING for a Portkey config that names no embedding', async () => {
    const other = await startTestGateway({ SEMANTIC_CACHE_EMBEDDING: JSON.stringify({ provider: 'openai', custom_host: emb.baseUrl, api_key: EMBEDDING_KEY, model: 'text-embedding-3-large', request_timeout: 20_000 }) });
    try {
      const c = new OpenAI({ apiKey: PROVIDER_KEY, baseURL: `${other.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, cache: { mode: 'semantic' } }) } });
      const s = subject();
      expect(status(await stored(() => ask(c, `What is a ${s}?`), other.url))).toBe('SEMANTIC MISS');
      expect(status(await ask(c, `What are ${s}s?`))).toBe('SEMANTIC HIT');
      expect(emb.calls.map((x) => x.model)).toEqual(['text-embedding-3-large', 'text-embedding-3-large']);
    } finally {
      await other.close();
    }
  });

  it('refuses a bad SEMANTIC_CACHE_EMBEDDING at start, naming the field and not the secret', async () => {
    await expect(startTestGateway({ SEMANTIC_CACHE_EMBEDDING: JSON.stringify({ provider: 'openai', api_key: 'sk-secret-value-9999', model: 'm', dims: 3 }) }))
      .rejects.toThrow(/SEMANTIC_CACHE_EMBEDDING: unknown field "dims"/);
    await expect(startTestGateway({ SEMANTIC_CACHE_EMBEDDING: '{"api_key":"sk-secret-value-9999","model":"m"}' }))
      .rejects.toThrow(/needs provider or virtual_key/);
    await expect(startTestGateway({ SEMANTIC_CACHE_EMBEDDING: '{not json' })).rejects.not.toThrow(/sk-secret/);
  });
});
