/**
 * The semantic cache's embedding calls are the caller's spend: a token budget that only embeddings use
 * (every answer a SEMANTIC HIT, so no chat tokens at all) is enforced, and each embedding call has its
 * own log document (and analytics row) under the request's trace id, with its usage and cost, and the
 * embedding key masked. Clients are the official openai SDK; upstreams are fakes in OpenAI's format.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogDocument } from '@portico/contract';
import { analyticsRow } from '../../src/analytics/row.js';
import { EMBEDDING_SPAN_NAME } from '../../src/pipeline/semantic-usage.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';
import { startFakeEmbeddings, type FakeEmbeddings } from './fake-embeddings.js';

const PROVIDER_KEY = 'sk-test-provider-key-charges-1';
const EMBEDDING_KEY = 'sk-test-embedding-key-charges-2';
/** The budget the embeddings alone must exhaust: a request reserves about 40 tokens (its body and max_tokens 1). */
const BUDGET = 100;

let gw: TestGateway;
let upstream: FakeOpenAI;
let emb: FakeEmbeddings;

beforeAll(async () => {
  [upstream, emb] = await Promise.all([startFakeOpenAI(), startFakeEmbeddings()]);
  gw = await startTestGateway({}, {
    entities: `user_limits:
  embedder:
    - { kind: tokens, limit: ${BUDGET}, window: hour }
`,
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), emb?.close()]);
});

function client(user: string): OpenAI {
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: `${gw.url}/v1`,
    maxRetries: 0,
    defaultHeaders: {
      'x-portkey-metadata': JSON.stringify({ _user: user }),
      'x-portkey-config': JSON.stringify({
        provider: 'openai', custom_host: upstream.baseUrl,
        cache: { mode: 'semantic', semantic: { embedding: { provider: 'openai', custom_host: emb.baseUrl, api_key: EMBEDDING_KEY, model: 'text-embedding-3-small', request_timeout: 20_000 } } },
      }),
    },
  });
}
const ask = (c: OpenAI, content: string) =>
  c.chat.completions.create({ model: 'gpt-4o-mini', max_tokens: 1, messages: [{ role: 'user', content }] }).withResponse();

function documents(): LogDocument[] {
  return readAllLogs(gw).split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogDocument);
}

describe('semantic cache embedding calls', () => {
  it('are charged to the caller\'s token budget: one that only embeddings spend is enforced with a 429', async () => {
    await awayFromWindowEnd('hour');
    // Another user's miss stores the answer; every question below is a paraphrase of it.
    const seed = await ask(client('seeder'), 'What is a quasarx?');
    expect(seed.response.headers.get('x-portkey-cache-status')).toBe('SEMANTIC MISS');
    await eventually(async () => {
      const r = await ask(client('seeder'), 'Please tell me what quasarxs are');
      expect(r.response.headers.get('x-portkey-cache-status')).toBe('SEMANTIC HIT');
    }, 15_000);
    emb.reset();
    const paraphrases = ['Tell me what a quasarx is', 'Please explain what quasarxs are', 'Can you tell me about quasarxs', 'What do you mean by quasarx'];
    let refused: { status?: number; message?: string } | undefined;
    let hits = 0;
    for (let i = 0; i < 40 && !refused; i++) {
      try {
        const r = await ask(client('embedder'), paraphrases[i % paraphrases.length]);
        expect(r.response.headers.get('x-portkey-cache-status')).toBe('SEMANTIC HIT');
        hits++;
      } catch (e) {
        refused = e as { status?: number; message?: string };
      }
    }
    // A hit uses no chat tokens: before embeddings were charged, all 40 passed.
    expect(refused?.status).toBe(429);
    expect(refused?.message).toMatch(/token/i);
    expect(upstream.requests).toHaveLength(1);
    expect(hits).toBeGreaterThan(0);
    // What the embeddings spent (the fake counts words) is what used the budget up.
    const spent = emb.calls.slice(0, hits).reduce((n, c) => n + String(c.input).split(/\s+/).length, 0);
    expect(spent).toBeGreaterThan(BUDGET - 60);
    expect(spent).toBeLessThanOrEqual(BUDGET);
    // Another user of the same tenant is not charged for them.
    const other = await ask(client('seeder'), 'Tell me what a quasarx is');
    expect(other.response.headers.get('x-portkey-cache-status')).toBe('SEMANTIC HIT');
  });

  it('each have a log document and an analytics row under the request\'s trace id, with usage and cost, the key masked', async () => {
    const hit = await ask(client('logger'), 'Please tell me what a quasarx is');
    const traceId = hit.response.headers.get('x-portkey-trace-id')!;
    expect(hit.response.headers.get('x-portkey-cache-status')).toBe('SEMANTIC HIT');
    const words = 'Please tell me what a quasarx is'.split(' ').length;
    const docs = await eventually(() => {
      const mine = documents().filter((d) => d.trace_id === traceId);
      expect(mine).toHaveLength(2);
      return mine;
    });
    const request = docs.find((d) => d.request.endpoint === 'chat')!;
    const embedding = docs.find((d) => d.request.endpoint === 'embeddings')!;
    expect(request.cache_status).toBe('SEMANTIC HIT');
    expect(request.cost?.usd).toBe(0);
    expect(embedding).toMatchObject({
      provider: 'openai', model: 'text-embedding-3-small', cache_status: 'DISABLED', span: { name: EMBEDDING_SPAN_NAME },
      request: { path: '/v1/embeddings', body: { model: 'text-embedding-3-small', input: 'Please tell me what a quasarx is' } },
      response: { status: 200 }, usage: { prompt_tokens: words, total_tokens: words }, metadata: { _user: 'logger' },
    });
    // text-embedding-3-small at $0.02 per million tokens.
    expect(embedding.cost?.usd).toBeCloseTo((words * 0.02) / 1_000_000, 12);
    const row = analyticsRow(embedding, { organisation: 'org', config_id: null, prompt_id: null });
    expect(row).toMatchObject({ endpoint: 'embeddings', model: 'text-embedding-3-small', total_tokens: words, user: 'logger', trace_id: traceId, status: 200 });
    expect(row.cost_usd).toBeGreaterThan(0);
    const all = readAllLogs(gw);
    expect(all).not.toContain(EMBEDDING_KEY);
    expect(all).not.toContain(PROVIDER_KEY);
  });

  it('a failed embedding call is logged with its error, spends nothing, and the request is served by exact match', async () => {
    emb.failNext(500);
    const r = await ask(client('logger'), 'What is a nebulax?');
    expect(r.response.headers.get('x-portkey-cache-status')).toBe('MISS');
    const traceId = r.response.headers.get('x-portkey-trace-id')!;
    const failed = await eventually(() => {
      const d = documents().find((x) => x.trace_id === traceId && x.request.endpoint === 'embeddings');
      expect(d).toBeDefined();
      return d!;
    });
    expect(failed.response.status).toBe(500);
    expect(failed.error?.status).toBe(500);
    expect(failed.usage).toBeUndefined();
  });
});
