import { describe, expect, it } from 'vitest';
import { checkConfigBounds, GatewayError, parseConfigJson, validateRoutingConfig } from '../src/index.js';

const check = (value: unknown) => {
  try {
    validateRoutingConfig(value);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).status).toBe(400);
    return (e as GatewayError).message;
  }
};

describe('the shared routing-config schema', () => {
  it('accepts a fallback config and keeps unknown fields', () => {
    const c = validateRoutingConfig({ strategy: { mode: 'fallback' }, targets: [{ provider: 'openai' }, { virtual_key: 'a' }], x_extra: 1 });
    expect(c.x_extra).toBe(1);
  });

  it('names the bad path', () => {
    expect(check({ strategy: { mode: 'fallback' }, targets: [{ retry: { attempts: 9 } }] })).toMatch(/config\.targets\[0\]\.retry\.attempts/);
    expect(check({ strategy: { mode: 'nope' }, targets: [{}] })).toMatch(/strategy\.mode must be one of/);
    expect(check({ targets: [{}] })).toMatch(/config\.strategy: a config with targets needs a strategy/);
    expect(check({ strategy: { mode: 'conditional', conditions: [{ query: {}, then: 'x' }] }, targets: [{ name: 'y' }] })).toMatch(/no target is named "x"/);
    expect(check([])).toMatch(/must be a JSON object/);
  });

  it('runs the caller\'s node check on every node, with its path', () => {
    const seen: string[] = [];
    validateRoutingConfig({ strategy: { mode: 'fallback' }, targets: [{}, { strategy: { mode: 'single' }, targets: [{}] }] }, 'c', (_n, path) => {
      seen.push(path);
      return undefined;
    });
    expect(seen).toEqual(['config', 'config.targets[0]', 'config.targets[1]', 'config.targets[1].targets[0]']);
  });

  it('refuses text that is not JSON, naming the source', () => {
    expect(() => parseConfigJson('{', 'x-portkey-config')).toThrow(/x-portkey-config is not valid JSON/);
  });
});

describe('config size bounds (shared with the control plane)', () => {
  const leaf = { provider: 'openai' };
  it('refuses more targets than the bound, counted at every depth, naming the setting when given', () => {
    const nested = { strategy: { mode: 'fallback' }, targets: [leaf, { strategy: { mode: 'fallback' }, targets: [leaf, leaf] }] };
    expect(checkConfigBounds(nested, { maxTargets: 4, maxDepth: 5 })).toBeUndefined();
    expect(checkConfigBounds(nested, { maxTargets: 3, maxDepth: 5, names: { maxTargets: 'CONFIG_MAX_TARGETS' } })).toMatch(/more than 3 targets; the limit is 3 per config \(CONFIG_MAX_TARGETS\)/);
    expect(() => validateRoutingConfig({ strategy: { mode: 'fallback' }, targets: Array.from({ length: 51 }, () => leaf) })).toThrow(/the limit is 50 per config/);
  });
  it('refuses nesting past the bound without recursing, however deep', () => {
    let deep: object = leaf;
    for (let i = 0; i < 20_000; i++) deep = { strategy: { mode: 'single' }, targets: [deep] };
    expect(() => validateRoutingConfig(deep, 'c')).toThrow(/^c: targets are nested more than 5 levels deep; the limit is 5$/);
    let five: object = leaf;
    for (let i = 0; i < 5; i++) five = { strategy: { mode: 'single' }, targets: [five] };
    expect(() => validateRoutingConfig(five)).not.toThrow();
  });
});
