/**
 * Saved guardrails named by id on targets and in mutators: expanded into hooks where they are
 * written, then compiled with the rest of the config (the root's around the request, a target's
 * around its attempts).
 */
import type { SavedGuardrail } from '@portico/contract';
import { describe, expect, it } from 'vitest';
import type { EntityStore } from '../../src/entities/types.js';
import { expandSavedGuardrails } from '../../src/pipeline/saved-guardrails.js';
import { guardrailsOf, parseRoutingConfig, targetGuardrailsOf } from '../../src/routing/config-schema.js';

/** The one method expansion reads, over a fixed list; the rest of the store is never called here. */
function storeOf(saved: SavedGuardrail[]): EntityStore {
  const lookups: string[] = [];
  return {
    getGuardrail: async (id: string) => {
      lookups.push(id);
      return saved.find((g) => g.id === id);
    },
    onChange: () => {},
    lookups,
  } as unknown as EntityStore;
}

const pii: SavedGuardrail = { id: 'pg-pii', checks: [{ id: 'default.redact_pii', parameters: { patterns: ['email'] } }] };
const blocker: SavedGuardrail = { id: 'pg-block', checks: [{ id: 'default.contains', parameters: { words: ['x'], operator: 'none' } }], actions: { deny: true } };

describe('saved guardrails on targets', () => {
  it('expands ids in a target\'s guardrails and mutators, and compiles them as that target\'s hooks', async () => {
    const config = {
      input_guardrails: ['pg-block'],
      strategy: { mode: 'fallback' },
      targets: [{ provider: 'openai', input_mutators: ['pg-pii'], output_guardrails: ['pg-block'] }, { provider: 'openai' }],
    };
    const json = await expandSavedGuardrails(storeOf([pii, blocker]), JSON.stringify(config), 'x-portkey-config');
    const parsed = parseRoutingConfig(json);
    expect(guardrailsOf(parsed)?.before.map((h) => [h.id, h.type, h.deny])).toEqual([['pg-block', 'guardrail', true]]);
    const t0 = targetGuardrailsOf(parsed, 'config.targets[0]')!;
    expect(t0.before.map((h) => [h.id, h.type])).toEqual([['pg-pii', 'mutator']]);
    expect(t0.after.map((h) => [h.id, h.deny])).toEqual([['pg-block', true]]);
    expect(targetGuardrailsOf(parsed, 'config.targets[1]')).toEqual({ before: [], after: [] });
  });

  it('names the target and the id it cannot find', async () => {
    const config = { strategy: { mode: 'single' }, targets: [{ provider: 'openai', output_mutators: ['pg-missing'] }] };
    await expect(expandSavedGuardrails(storeOf([]), JSON.stringify(config), 'x-portkey-config'))
      .rejects.toThrow(/x-portkey-config: targets\[0\]\.output_mutators\[0\] names guardrail "pg-missing", which does not exist/);
  });

  it('refuses a saved guardrail with deny in a mutator list, naming where', async () => {
    const config = { provider: 'openai', input_mutators: ['pg-block'] };
    const json = await expandSavedGuardrails(storeOf([blocker]), JSON.stringify(config), 'x-portkey-config');
    expect(() => parseRoutingConfig(json)).toThrow(/config\.before_request_hooks\[0\]\.deny: a mutator rewrites and never denies/);
  });
});
