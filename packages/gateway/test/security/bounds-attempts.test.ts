import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { awayFromWindowEnd } from '../helpers/limit-windows.js';
import { chat } from './bounds-helpers.js';
import { GatewayError } from '../../src/errors.js';
import { parseRoutingConfig } from '../../src/routing/config-schema.js';

/**
 * Attack catalogue, item 5 of issue 24: one request cannot multiply into an unbounded number of upstream
 * calls. The size of a config and the attempts it can make are bounded (a 400 names the bound), and each
 * attempt counts against the key's request limits.
 */
let fake: FakeOpenAI;
let gw: TestGateway;
const KEY = 'pk-bounds-attempts-key';
const OPEN_KEY = 'pk-bounds-attempts-open';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startTestGateway({}, { entities: `keys:
  - id: limited
    key_hash: ${sha(KEY)}
    limits:
      - { kind: requests, limit: 4, window: minute }
  - id: open
    key_hash: ${sha(OPEN_KEY)}
` });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const asKey = { 'x-portkey-api-key': KEY };
const asOpenKey = { 'x-portkey-api-key': OPEN_KEY };
const failing = (n: number) => Array.from({ length: n }, () => ({ status: 500 }));
const target = () => ({ provider: 'openai', custom_host: fake.baseUrl, api_key: 'sk-upstream-test' });

describe('attack: an inline fallback config with 3,000 empty targets and retry.attempts 5', () => {
  it('is refused with a 400 naming the target bound, before any upstream call', async () => {
    const config = { strategy: { mode: 'fallback' }, retry: { attempts: 5 }, targets: Array.from({ length: 3000 }, () => ({})) };
    const res = await chat(gw.url, fake.baseUrl, { headers: asKey, config });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toMatchObject({ param: 'x-portkey-config', code: 'invalid_config' });
    expect(body.error.message).toMatch(/more than 50 targets; the limit is 50 per config \(CONFIG_MAX_TARGETS\)/);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('attack: 25 failing fallback targets, within the size bound but past the attempt bound', () => {
  it('is refused with a 400 naming MAX_ATTEMPTS_PER_REQUEST, before any upstream call', async () => {
    fake.enqueue(...failing(25));
    const config = { strategy: { mode: 'fallback' }, targets: Array.from({ length: 25 }, target) };
    const res = await chat(gw.url, fake.baseUrl, { headers: asOpenKey, config });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.message).toMatch(/up to 25 upstream attempts for one request .* the limit is 20 \(MAX_ATTEMPTS_PER_REQUEST\)/);
    expect(fake.requests).toHaveLength(0);
  });
  it('counts retries too: 4 targets with retry.attempts 5 make 24 attempts at worst, over 20', async () => {
    const config = { strategy: { mode: 'fallback' }, retry: { attempts: 5 }, targets: Array.from({ length: 4 }, target) };
    const res = await chat(gw.url, fake.baseUrl, { headers: asOpenKey, config });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/up to 24 upstream attempts/);
  });
});

describe('attack: targets nested 6 levels deep', () => {
  it('is refused with a 400 naming CONFIG_MAX_DEPTH', async () => {
    let node: object = target();
    for (let i = 0; i < 6; i++) node = { strategy: { mode: 'single' }, targets: [node] };
    const res = await chat(gw.url, fake.baseUrl, { headers: asOpenKey, config: node });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/nested more than 5 levels deep; the limit is 5 \(CONFIG_MAX_DEPTH\)/);
  });
  it('a config nested 5,000 deep (too long for a header, but a saved config may be) is a 400 too, not a stack overflow', () => {
    let text = JSON.stringify(target());
    for (let i = 0; i < 5000; i++) text = `{"strategy":{"mode":"single"},"targets":[${text}]}`;
    const err = (() => {
      try {
        parseRoutingConfig(text, 'config deep', true);
      } catch (e) {
        return e as GatewayError;
      }
    })();
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ status: 400, message: expect.stringMatching(/^config deep: targets are nested more than 5 levels deep/) });
  });
});

describe('attack: a key limited to 4 requests a minute sends one request whose config falls back across 8 failing targets', () => {
  it('makes 4 upstream attempts, not 8: each attempt counts against the key, and the walk ends with the 429', async () => {
    await awayFromWindowEnd('minute', 15_000);
    fake.enqueue(...failing(8));
    const config = { strategy: { mode: 'fallback' }, targets: Array.from({ length: 8 }, target) };
    const res = await chat(gw.url, fake.baseUrl, { headers: asKey, config });
    expect(res.status).toBe(429);
    const body = await res.json();
    expect(body.error.message).toMatch(/requests per minute limit of 4 for gateway key limited exceeded/);
    expect(fake.requests).toHaveLength(4);
    // The key's minute is spent: the next request is refused before any call.
    const next = await chat(gw.url, fake.baseUrl, { headers: asKey });
    expect(next.status).toBe(429);
    await next.text();
    expect(fake.requests).toHaveLength(4);
  });
});

describe('ordinary configs keep working', () => {
  it('a fallback over 3 targets, the first failing, answers from the second', async () => {
    fake.enqueue({ status: 500 });
    const config = { strategy: { mode: 'fallback' }, targets: [target(), target(), target()] };
    const res = await chat(gw.url, fake.baseUrl, { headers: asOpenKey, config });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-portkey-last-used-option-index')).toBe('config.targets[1]');
    await res.json();
  });
});
