/**
 * Cache-aware sticky routing (strategy.sticky, x-portkey-sticky-key) against upstreams with a prompt
 * cache, and health-aware loadbalance weights (bounded scaling).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { MIN_FACTOR, TargetHealth } from '../../src/resilience/target-health.js';
import { rendezvousPick, stickyKeyOf } from '../../src/resilience/sticky.js';
import { startPromptCacheUpstream, type PromptCacheUpstream } from './prompt-cache-upstream.js';

let gw: TestGateway;
let caches: PromptCacheUpstream[];

beforeAll(async () => {
  [gw, ...caches] = await Promise.all([startTestGateway(), startPromptCacheUpstream(), startPromptCacheUpstream(), startPromptCacheUpstream()]);
});
afterAll(async () => {
  await Promise.all([gw?.close(), ...(caches ?? []).map((c) => c.close())]);
});

function client(config: object, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ apiKey: 'unused', baseURL: `${gw.url}/v1`, maxRetries: 0, defaultHeaders: { 'x-portkey-config': JSON.stringify(config), ...headers } });
}

const lb = (sticky: unknown) => ({
  strategy: { mode: 'loadbalance', ...(sticky === undefined ? {} : { sticky }) },
  targets: caches.map((c, i) => ({ name: `c${i}`, provider: 'openai', api_key: 'sk-test', custom_host: c.baseUrl })),
});

/** 12 conversations of 4 turns each; returns the cached share of prompt tokens and the targets per conversation. */
async function converse(sticky: unknown, tag: string): Promise<{ share: number; targetsPerConversation: number[] }> {
  const openai = client(lb(sticky));
  let prompt = 0;
  let cached = 0;
  const targetsPerConversation: number[] = [];
  for (let c = 0; c < 12; c++) {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: `You are assistant ${tag}-${c}. ${'Long shared instructions. '.repeat(40)}` },
      { role: 'user', content: `Conversation ${c} opening question.` },
    ];
    const before = caches.map((x) => x.requests);
    for (let turn = 0; turn < 4; turn++) {
      const r = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
      prompt += r.usage!.prompt_tokens;
      cached += r.usage!.prompt_tokens_details?.cached_tokens ?? 0;
      messages.push({ role: 'assistant', content: 'ok' }, { role: 'user', content: `Follow-up ${turn}` });
    }
    targetsPerConversation.push(caches.filter((x, i) => x.requests > before[i]).length);
  }
  return { share: cached / prompt, targetsPerConversation };
}

describe('strategy.sticky', () => {
  it('keeps a conversation on one target, so the cached-token share rises (printed), and the metrics show it', async () => {
    const without = await converse(undefined, 'plain');
    const withSticky = await converse(true, 'sticky');
    console.log(`cached-token share: without sticky ${(without.share * 100).toFixed(1)}%, with sticky ${(withSticky.share * 100).toFixed(1)}%`);
    expect(withSticky.targetsPerConversation.every((n) => n === 1)).toBe(true);
    expect(without.targetsPerConversation.some((n) => n > 1)).toBe(true);
    expect(withSticky.share).toBeGreaterThan(without.share + 0.2);
    // Counted when log documents are built (usage is parsed then), so shortly after the responses.
    const [prompt, cachedTokens] = await eventually(async () => {
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      const p = Number(/portico_prompt_tokens_total\{provider="openai"\} (\d+)/.exec(metrics)?.[1]);
      const c = Number(/portico_cached_prompt_tokens_total\{provider="openai"\} (\d+)/.exec(metrics)?.[1]);
      expect(c).toBeGreaterThan(0);
      return [p, c];
    });
    expect(prompt).toBeGreaterThan(0);
    expect(cachedTokens).toBeGreaterThan(0);
    expect(cachedTokens).toBeLessThan(prompt);
  });

  it('spreads different conversations over the targets', async () => {
    const before = caches.map((x) => x.requests);
    for (let c = 0; c < 30; c++) {
      await client(lb({ prefix_messages: 1 })).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `spread ${c}` }] });
    }
    const got = caches.map((x, i) => x.requests - before[i]);
    expect(got.every((n) => n >= 3)).toBe(true);
  });

  it('x-portkey-sticky-key sends unrelated prompts to one target', async () => {
    const before = caches.map((x) => x.requests);
    const openai = client(lb(true), { 'x-portkey-sticky-key': 'user-42' });
    for (let i = 0; i < 6; i++) await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `unrelated ${i} ${Math.random()}` }] });
    expect(caches.filter((x, i) => x.requests > before[i])).toHaveLength(1);
  });

  it('is refused outside loadbalance, and with unknown fields', async () => {
    for (const strategy of [{ mode: 'fallback', sticky: true }, { mode: 'loadbalance', sticky: { prefix: 2 } }]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-portkey-config': JSON.stringify({ strategy, targets: lb(true).targets }) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.message).toMatch(/sticky/);
    }
  });

  it('rendezvous picks move only the keys of a target that goes away', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const keys = Array.from({ length: 400 }, (_, i) => `key-${i}`);
    const before = keys.map((k) => rendezvousPick(k, ids, [1, 1, 1, 1]));
    const after = keys.map((k) => rendezvousPick(k, ids, [1, 1, 0, 1]));
    keys.forEach((_, i) => {
      if (before[i] !== 2) expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe(2);
    });
    const counts = [0, 1, 2, 3].map((t) => before.filter((x) => x === t).length);
    for (const n of counts) expect(n).toBeGreaterThan(60);
    expect(stickyKeyOf({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'user', content: 'later' }] }, undefined, 1))
      .toBe(stickyKeyOf({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'user', content: 'other' }] }, undefined, 1));
  });
});

describe('health-aware loadbalance weights', () => {
  it('scales weights by error rate and latency, bounded below', () => {
    const h = new TargetHealth();
    for (let i = 0; i < 20; i++) {
      h.record('ok', false, 100);
      h.record('slow', false, 1000);
      h.record('failing', true, 5);
      h.record('slightly-slow', false, 150);
    }
    h.record('new', true, 5);
    const [ok, slow, failing, slightly, fresh] = h.factors(['ok', 'slow', 'failing', 'slightly-slow', 'new']);
    expect(ok).toBe(1);
    expect(slightly).toBe(1);
    expect(slow).toBeCloseTo(0.2, 2);
    expect(failing).toBe(MIN_FACTOR);
    expect(fresh).toBe(1);
  });

  let fake: FakeOpenAI;
  let good: FakeOpenAI;
  beforeAll(async () => {
    [fake, good] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
  });
  afterAll(async () => {
    await Promise.all([fake?.close(), good?.close()]);
  });

  it('a failing target gets a small share of traffic, never none', async () => {
    fake.setDefault({ status: 500 });
    const config = JSON.stringify({
      strategy: { mode: 'loadbalance' },
      targets: [fake, good].map((f) => ({ provider: 'openai', api_key: 'sk-test', custom_host: f.baseUrl, weight: 1 })),
    });
    const ask = () => fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-config': config },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
    }).then((r) => r.status);
    while (fake.requests.length < 6) await ask();
    const before = fake.requests.length;
    const statuses = [];
    for (let i = 0; i < 60; i++) statuses.push(await ask());
    const share = (fake.requests.length - before) / 60;
    // Equal weights would give it half; scaled to MIN_FACTOR it gets about 1/11.
    expect(share).toBeLessThan(0.25);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(45);
  });
});
