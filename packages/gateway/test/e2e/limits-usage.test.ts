import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';

// A native OpenAI response is sent to the client unparsed; the token budget must still be settled
// with the usage it reports (21 tokens from the fake), not with the estimate reserved up front (about 45).
let fake: FakeOpenAI;
let gw: TestGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({}, { entities: `user_limits:
  measured:
    - { kind: tokens, limit: 100, window: hour }
` });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const ask = () =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-limits-usage',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': fake.baseUrl,
      'x-portkey-metadata': JSON.stringify({ _user: 'measured' }),
    },
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'how many tokens?' }] }),
  });

describe('token budgets and native responses', () => {
  it('settles each request with the usage the provider reported', async () => {
    await awayFromWindowEnd('hour');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await ask();
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // Settled at 21 tokens each, three requests fit in 100 (63 used, and the fourth's estimate does not).
    // Settled at the estimate instead, only two would.
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
