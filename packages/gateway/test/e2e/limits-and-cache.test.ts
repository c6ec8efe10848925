import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, readAllLogs, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';

// A cache hit is a request to the gateway but not a call to the provider: budgets must not pay for it twice.
// And a native response, sent to the client unparsed, is still settled at the usage it reports.
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  // The fake answers with 21 tokens; each request reserves an estimate of about 45 first.
  gw = await startTestGateway({}, { entities: `user_limits:
  frugal:
    - { kind: tokens, limit: 120, window: hour }
    - { kind: requests, limit: 8, window: hour }
  measured:
    - { kind: tokens, limit: 100, window: hour }
` });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const ask = (user = 'frugal', cache = true) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-limits-cache',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': fake.baseUrl,
      'x-portkey-metadata': JSON.stringify({ _user: user }),
      ...(cache ? { 'x-portkey-config': JSON.stringify({ cache: { mode: 'simple', max_age: 60 } }) } : {}),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'the same question' }] }),
  });

describe('limits and the cache', () => {
  it('cache hits count as requests but use no tokens and cost nothing', async () => {
    await awayFromWindowEnd('hour');
    const first = await ask();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-portkey-cache-status')).toBe('MISS');
    await first.json();

    // Were hits charged the original call's 21 tokens, the 120-token hourly budget would refuse the fourth or fifth.
    const statuses: Array<string | null> = [];
    for (let i = 0; i < 7; i++) {
      const hit = await ask();
      expect(hit.status).toBe(200);
      statuses.push(hit.headers.get('x-portkey-cache-status'));
      await hit.json();
    }
    expect(statuses).toEqual(Array(7).fill('HIT'));
    expect(fake.requests.length).toBe(1);

    // Requests still count: this is the ninth against a limit of 8.
    const over = await ask();
    expect(over.status).toBe(429);
    expect((await over.json()).error.message).toMatch(/requests per hour limit of 8 for user frugal/);

    const docs = await eventually(() => {
      const lines = readAllLogs(gw).trim().split('\n').map((l) => JSON.parse(l));
      if (lines.length < 9) throw new Error('not written yet');
      return lines;
    });
    const miss = docs.find((d) => d.cache_status === 'MISS');
    const hits = docs.filter((d) => d.cache_status === 'HIT');
    expect(miss.cost.usd).toBeGreaterThan(0);
    expect(hits).toHaveLength(7);
    for (const h of hits) {
      expect(h.cost).toEqual({ usd: 0, priced: true });
      expect(h.usage.total_tokens).toBe(21);
    }
  });

  it('settles a native response at the usage the provider reported, not the estimate reserved up front', async () => {
    await awayFromWindowEnd('hour');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await ask('measured', false);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // Settled at 21 tokens each, three requests fit in 100 (63 used, and the fourth's estimate does not).
    // Settled at the estimate instead, only two would.
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
