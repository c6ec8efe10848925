import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { parseRoutingConfig, RoutingConfigCache, routingBounds, worstCaseAttempts } from '../../src/routing/config-schema.js';
import { loadSettings } from '../../src/config/settings.js';
import { evaluateQuery } from '../../src/routing/conditional.js';
import { executeConfig, inheritTarget, pickWeighted, type EffectiveTarget } from '../../src/routing/execute.js';
import { backoffDelayMs, retryAfterMs, withRetries } from '../../src/routing/retry.js';
import { limitExceeded } from '../../src/limits/errors.js';

const base: EffectiveTarget = { path: 'config', settings: {} };
const fail = (status: number) => new GatewayError({ status, message: `HTTP ${status}` });

describe('routing config schema', () => {
  it('accepts Portkey configs with nested targets and unknown fields', () => {
    const cfg = parseRoutingConfig(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', api_key: 'k', resource_name: 'r' }, { strategy: { mode: 'loadbalance' }, targets: [{ provider: 'groq', weight: 2 }] }], before_request_hooks: [] }));
    expect(cfg.targets).toHaveLength(2);
  });
  it('names the bad path', () => {
    expect(() => parseRoutingConfig('{"targets":[{"provider":"openai","weight":-1}],"strategy":{"mode":"loadbalance"}}')).toThrow(/config\.targets\[0\]\.weight/);
    expect(() => parseRoutingConfig('{"strategy":{"mode":"fallback"}}')).toThrow(/needs a non-empty targets array/);
    expect(() => parseRoutingConfig('{"targets":[{"provider":"openai"}]}')).toThrow(/needs a strategy/);
    expect(() => parseRoutingConfig('{"cache":{"mode":"fuzzy"}}')).toThrow(/config\.cache\.mode/);
    expect(() => parseRoutingConfig('{"request_timeout":"soon"}')).toThrow(/config\.request_timeout/);
    expect(() => parseRoutingConfig(JSON.stringify({ strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.a': { $like: 'x' } }, then: 't' }] }, targets: [{ name: 't', provider: 'openai' }] }))).toThrow(/conditions\[0\]\.query: unknown operator \$like/);
    const withRegex = (rule: string) => JSON.stringify({ strategy: { mode: 'conditional', conditions: [{ query: { $or: [{ 'params.model': { $regex: rule } }] }, then: 't' }] }, targets: [{ name: 't', provider: 'openai' }] });
    expect(() => parseRoutingConfig(withRegex('(?=gpt)\\w+'))).toThrow(/conditions\[0\]\.query: params\.model\.\$regex is not a valid regular expression .*lookaround/);
    expect(() => parseRoutingConfig(withRegex('('))).toThrow(/params\.model\.\$regex is not a valid regular expression/);
    expect(() => parseRoutingConfig(withRegex('^gpt-4o'))).not.toThrow();
  });
  it('validates each config string once', () => {
    const cache = new RoutingConfigCache(2);
    const a = cache.get('{"provider":"openai"}');
    expect(cache.get('{"provider":"openai"}')).toBe(a);
    cache.get('{"provider":"groq"}');
    cache.get('{"provider":"x-ai"}');
    expect(cache.size).toBe(2);
  });
});

describe('conditional queries', () => {
  const ctx = { metadata: { plan: 'pro', tier: 3 }, params: { model: 'gpt-4o-mini', temperature: 0.2 } };
  it.each([
    [{ 'metadata.plan': 'pro' }, true],
    [{ 'metadata.plan': { $ne: 'pro' } }, false],
    [{ 'metadata.tier': { $gt: 2, $lte: 3 } }, true],
    [{ 'metadata.tier': { $lt: 3 } }, false],
    [{ 'metadata.plan': { $in: ['pro', 'team'] } }, true],
    [{ 'metadata.plan': { $nin: ['pro'] } }, false],
    [{ 'params.model': { $regex: '^gpt-4o' } }, true],
    [{ $or: [{ 'metadata.plan': 'free' }, { 'params.temperature': { $gte: 0.2 } }] }, true],
    [{ $and: [{ 'metadata.plan': 'pro' }, { 'params.model': 'claude' }] }, false],
    [{ 'metadata.missing': { $eq: 'x' } }, false],
    [{ 'params.model': { $regex: '(' } }, false],
  ])('%j → %s', (query, expected) => {
    expect(evaluateQuery(query, ctx)).toBe(expected);
  });
});

describe('strategies', () => {
  it('picks by weight', () => {
    const targets = [{ weight: 1 }, { weight: 3 }, { weight: 0 }];
    expect(pickWeighted(targets, () => 0.1)).toBe(0);
    expect(pickWeighted(targets, () => 0.5)).toBe(1);
    expect(pickWeighted(targets, () => 0.9999)).toBe(1);
  });

  it('inherits settings, but not credentials across providers', () => {
    const parent = inheritTarget({ ...base, provider: 'openai', apiKey: 'sk-1' }, { override_params: { temperature: 0 }, retry: { attempts: 2 } }, 'config');
    const same = inheritTarget(parent, { custom_host: 'http://127.0.0.1/v1' }, 'config.targets[0]');
    expect(same).toMatchObject({ provider: 'openai', apiKey: 'sk-1', retry: { attempts: 2 }, overrideParams: { temperature: 0 } });
    const other = inheritTarget(parent, { provider: 'anthropic' }, 'config.targets[1]');
    expect(other.apiKey).toBeUndefined();
    expect(other.retry).toEqual({ attempts: 2 });
  });

  it('falls back through nested targets and reports the path taken', async () => {
    const cfg = parseRoutingConfig(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ provider: 'a' }, { strategy: { mode: 'fallback' }, targets: [{ provider: 'b' }, { provider: 'c' }] }] }));
    const tried: string[] = [];
    const { value, report } = await executeConfig(cfg, base, { metadata: {}, params: {} }, async (t) => {
      tried.push(t.path);
      if (t.provider !== 'c') throw fail(500);
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(tried).toEqual(['config.targets[0]', 'config.targets[1].targets[0]', 'config.targets[1].targets[1]']);
    expect(report.target?.path).toBe('config.targets[1].targets[1]');
    expect(report.fallbacks).toBe(2);
  });

  it('makes no further attempt, retry or fallback, once canRepeat says the request is spent', async () => {
    const cfg = parseRoutingConfig(JSON.stringify({ strategy: { mode: 'fallback' }, retry: { attempts: 1 }, targets: [{ provider: 'a' }, { provider: 'b' }] }));
    const tried: string[] = [];
    let spent = false;
    const run = () => executeConfig(cfg, base, { metadata: {}, params: {} }, async (t) => {
      tried.push(t.path);
      throw fail(503);
    }, { canRepeat: () => !spent });
    spent = true;
    await expect(run()).rejects.toMatchObject({ status: 503 });
    expect(tried).toEqual(['config.targets[0]']);
    // A body not sent yet (spent stays false) is retried and falls back as usual.
    spent = false;
    tried.length = 0;
    await expect(run()).rejects.toMatchObject({ status: 503 });
    expect(tried).toEqual(['config.targets[0]', 'config.targets[0]', 'config.targets[1]', 'config.targets[1]']);
  });

  it('stops falling back on a status outside on_status_codes', async () => {
    const cfg = parseRoutingConfig(JSON.stringify({ strategy: { mode: 'fallback', on_status_codes: [503] }, targets: [{ provider: 'a' }, { provider: 'b' }] }));
    await expect(executeConfig(cfg, base, { metadata: {}, params: {} }, async () => { throw fail(429); })).rejects.toMatchObject({ status: 429 });
  });

  it('routes conditionally and errors clearly without a match or default', async () => {
    const cfg = parseRoutingConfig(JSON.stringify({ strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.x': '1' }, then: 'one' }] }, targets: [{ name: 'one', provider: 'a' }] }));
    const run = (md: Record<string, string>) => executeConfig(cfg, base, { metadata: md, params: {} }, async (t) => t.provider);
    expect((await run({ x: '1' })).value).toBe('a');
    await expect(run({ x: '2' })).rejects.toThrow(/No condition/);
  });
});

describe('retries', () => {
  it('retries only the listed codes, up to the attempts', async () => {
    let calls = 0;
    const out = await withRetries({ attempts: 3 }, async () => {
      calls++;
      if (calls < 3) throw fail(502);
      return 'done';
    });
    expect(out).toEqual({ value: 'done', retries: 2 });
    calls = 0;
    await expect(withRetries({ attempts: 3 }, async () => { calls++; throw fail(400); })).rejects.toMatchObject({ status: 400 });
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetries({ attempts: 1, on_status_codes: [418] }, async () => { calls++; throw fail(418); })).rejects.toMatchObject({ retries: 1 });
    expect(calls).toBe(2);
  });
  it("does not retry the gateway's own limit refusals, which no backoff can outlast", async () => {
    let calls = 0;
    const refused = limitExceeded([{ rule: { kind: 'requests', limit: 2, window: 'minute' }, subject: { scope: 'vk', id: 'vk1', rules: [] }, slot: 'vk:vk1', key: 'k', amount: 1, limit: 2, windowStart: Date.now(), resetAt: Date.now() + 30_000 }]);
    expect(refused.status).toBe(429);
    await expect(withRetries({ attempts: 3 }, async () => { calls++; throw refused; })).rejects.toMatchObject({ status: 429, retries: 0 });
    expect(calls).toBe(1);
  });
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelayMs(0, () => 0)).toBe(50);
    expect(backoffDelayMs(0, () => 1)).toBe(100);
    expect(backoffDelayMs(3, () => 1)).toBe(800);
    expect(backoffDelayMs(30, () => 1)).toBe(10_000);
  });
  it('reads Retry-After in seconds, dates and ms', () => {
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after-ms': '150' })).toBe(150);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 7000)).toBe(3000);
    expect(retryAfterMs({ 'retry-after': '99999' })).toBe(60_000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe('request bounds from the settings', () => {
  it('work out the worst case of attempts: fallbacks add up, other strategies take their largest child, retries are inherited', () => {
    const leaf = { provider: 'openai' };
    expect(worstCaseAttempts({ provider: 'openai' })).toBe(1);
    expect(worstCaseAttempts({ retry: { attempts: 3 }, provider: 'openai' })).toBe(4);
    expect(worstCaseAttempts({ strategy: { mode: 'fallback' }, retry: { attempts: 2 }, targets: [leaf, { ...leaf, retry: { attempts: 0 } }, leaf] })).toBe(7);
    expect(worstCaseAttempts({ strategy: { mode: 'loadbalance' }, targets: [leaf, { strategy: { mode: 'fallback' }, targets: [leaf, leaf] }] })).toBe(2);
  });
  it('are read from the settings, and the request_timeout ceiling must allow the default', () => {
    const cache = new RoutingConfigCache(10, routingBounds(loadSettings({ CONFIG_MAX_TARGETS: '2', CONFIG_MAX_DEPTH: '1', MAX_ATTEMPTS_PER_REQUEST: '3' })));
    expect(() => cache.get(JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{}, {}, {}] }))).toThrow(/limit is 2 per config \(CONFIG_MAX_TARGETS\)/);
    expect(() => cache.get(JSON.stringify({ strategy: { mode: 'single' }, targets: [{ strategy: { mode: 'single' }, targets: [{}] }] }))).toThrow(/limit is 1 \(CONFIG_MAX_DEPTH\)/);
    expect(() => cache.get(JSON.stringify({ strategy: { mode: 'fallback' }, retry: { attempts: 1 }, targets: [{}, {}] }))).toThrow(/up to 4 upstream attempts .* limit is 3/);
    expect(() => loadSettings({ DEFAULT_REQUEST_TIMEOUT_MS: '700000' })).toThrow(/DEFAULT_REQUEST_TIMEOUT_MS \(700000\) must not exceed MAX_REQUEST_TIMEOUT_MS \(600000\)/);
  });
});
