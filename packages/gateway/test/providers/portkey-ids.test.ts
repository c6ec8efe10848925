import { describe, expect, it } from 'vitest';
import { LEFT_OUT_REASONS, PORTKEY_PROVIDER_IDS } from '../../src/providers/portkey-ids.js';
import { BUILTIN_PROVIDERS, ProviderRegistry } from '../../src/providers/registry.js';

describe("Portkey's provider ids", () => {
  const registry = new ProviderRegistry(BUILTIN_PROVIDERS);
  const served = PORTKEY_PROVIDER_IDS.filter((id) => registry.has(id));

  it('at least 50 are served', () => {
    expect(served.length).toBeGreaterThanOrEqual(50);
  });

  it('every id not served has a reason, and no served id claims one', () => {
    const missing = PORTKEY_PROVIDER_IDS.filter((id) => !registry.has(id));
    expect(missing.filter((id) => !LEFT_OUT_REASONS[id])).toEqual([]);
    expect(Object.keys(LEFT_OUT_REASONS).filter((id) => registry.has(id))).toEqual([]);
    expect(Object.keys(LEFT_OUT_REASONS).filter((id) => !(PORTKEY_PROVIDER_IDS as readonly string[]).includes(id))).toEqual([]);
  });

  it('provider ids are unique', () => {
    const ids = BUILTIN_PROVIDERS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
