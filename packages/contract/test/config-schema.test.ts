import { describe, expect, it } from 'vitest';
import { GatewayError, parseConfigJson, validateRoutingConfig } from '../src/index.js';

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
