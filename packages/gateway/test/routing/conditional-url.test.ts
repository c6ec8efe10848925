/**
 * url.pathname in conditional routing queries (Portkey's field for the request's path), through the
 * gateway with the official openai SDK against two fake OpenAI providers; and the fields a condition
 * may read, refused by name otherwise.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { evaluateQuery, findQueryProblem } from '../../src/routing/conditional.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let a: FakeOpenAI;
let b: FakeOpenAI;

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.close();
  await a?.close();
  await b?.close();
});
beforeEach(() => {
  a.reset();
  b.reset();
});

function client(conditions: object[]): OpenAI {
  const config = {
    strategy: { mode: 'conditional', conditions, default: 'b' },
    targets: [{ name: 'a', provider: 'openai', custom_host: a.baseUrl }, { name: 'b', provider: 'openai', custom_host: b.baseUrl }],
  };
  return new OpenAI({ apiKey: 'sk-test-conditional-0123456789', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config) } });
}

describe('url.pathname in conditions', () => {
  it('routes by the request path: embeddings to one target, chat to the default', async () => {
    const c = client([{ query: { 'url.pathname': { $eq: '/v1/embeddings' } }, then: 'a' }]);
    await c.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(a.requests.map((r) => r.path)).toEqual(['/v1/embeddings']);
    expect(b.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
  });

  it('combines with $regex and params', async () => {
    const c = client([{ query: { $and: [{ 'url.pathname': { $regex: '/chat/' } }, { 'params.model': 'gpt-4o' }] }, then: 'a' }]);
    await c.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(a.requests.map((r) => r.body.model)).toEqual(['gpt-4o']);
    expect(b.requests.map((r) => r.body.model)).toEqual(['gpt-4o-mini']);
  });

  it('refuses a field a condition cannot read, by name', async () => {
    const err = await client([{ query: { 'url.host': 'x' }, then: 'a' }])
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as Error).message).toMatch(/conditions\[0\]\.query: unknown field "url\.host"; a condition reads metadata\.<key>, params\.<name> or url\.pathname/);
  });

  it('evaluates without a URL as not matching, and checks nested queries', () => {
    expect(evaluateQuery({ 'url.pathname': '/v1/chat/completions' }, { metadata: {}, params: {} })).toBe(false);
    expect(evaluateQuery({ 'url.pathname': '/v1/chat/completions' }, { metadata: {}, params: {}, url: { pathname: '/v1/chat/completions' } })).toBe(true);
    expect(findQueryProblem({ $or: [{ 'metadata.plan': 'pro' }, { 'headers.x': 1 }] })).toMatch(/unknown field "headers\.x"/);
    expect(findQueryProblem({ $or: [{ 'metadata.plan': 'pro' }, { 'url.pathname': { $in: ['/v1/embeddings'] } }] })).toBeUndefined();
  });
});
