import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';
import { chat } from './bounds-helpers.js';

/**
 * Attack catalogue, item 8 of issue 24: the in-process limit counters are bounded, and any key holder can
 * invent metadata._user values. Filling the table must cost only the filler: another tenant's limits
 * still hold (docs/security.md, Bounds).
 */
let fake: FakeOpenAI;
let gw: TestGateway;
const A = 'pk-tenant-a';
const B = 'pk-tenant-b';
const C = 'pk-tenant-c';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({ LIMITS_MEMORY_MAX_COUNTERS: '40', LIMITS_FAIL_MODE: 'open' }, { entities: `keys:
  - id: a
    key_hash: ${sha(A)}
    workspace: wsA
  - id: b
    key_hash: ${sha(B)}
    workspace: wsB
    limits:
      - { kind: requests, limit: 3, window: minute }
  - id: c
    key_hash: ${sha(C)}
    workspace: wsC
user_limits:
  "*":
    - { kind: requests, limit: 2, window: minute }
` });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});

const as = (key: string, user?: string) => ({ 'x-portkey-api-key': key, ...(user ? { 'x-portkey-metadata': JSON.stringify({ _user: user }) } : {}) });
async function status(headers: Record<string, string>): Promise<number> {
  const res = await chat(gw.url, fake.baseUrl, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe('attack: tenant A fills the limit counters with 60 invented _user values', () => {
  it('tenant B\'s key limited to 3 a minute is still refused on its 4th request', async () => {
    await awayFromWindowEnd('minute', 20_000);
    for (let i = 0; i < 60; i++) expect(await status(as(A, `invented-${i}`))).toBe(200);
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(await status(as(B)));
    expect(seen).toEqual([200, 200, 200, 429]);
  });
  it('and the table stays within its bound, dropping A\'s oldest user counters: A\'s newest are still counted', async () => {
    const limiter = gw.gateway.deps.limiter as unknown as { counters: Map<string, unknown> };
    expect(limiter.counters.size).toBeLessThanOrEqual(40);
    expect(await status(as(A, 'invented-59'))).toBe(200);
    expect(await status(as(A, 'invented-59'))).toBe(429);
  });
});

describe('attack: tenant A names its _user after tenant C\'s user to spend that user\'s limit', () => {
  it('spends only its own user of that name: users are counted per tenant', async () => {
    await awayFromWindowEnd('minute', 20_000);
    expect([await status(as(A, 'carol')), await status(as(A, 'carol')), await status(as(A, 'carol'))]).toEqual([200, 200, 429]);
    expect([await status(as(C, 'carol')), await status(as(C, 'carol')), await status(as(C, 'carol'))]).toEqual([200, 200, 429]);
  });
});
