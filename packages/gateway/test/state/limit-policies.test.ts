import { describe, expect, it } from 'vitest';
import type { LimitPolicy } from '@portico/contract';
import { OrgLimits } from '../../src/limits/policies.js';
import { indexSnapshot } from '../../src/entities/snapshot-index.js';
import { MemoryLimiter } from '../../src/limits/memory-limiter.js';
import { planCounters, windowStartLabel } from '../../src/limits/counters.js';

/** Which subjects a request is counted under, given an organisation's policies and workspace limits. */
const policy = (over: Partial<LimitPolicy>): LimitPolicy => ({
  id: 'p1', type: 'rate', workspace: 'ws1', conditions: [{ key: 'api_key', value: '*' }], group_by: ['api_key'], rule: { kind: 'requests', limit: 5, window: 'minute' }, ...over,
});
const req = (over: Partial<Parameters<OrgLimits['subjectsFor']>[0]> = {}) => ({ keyId: 'k1', organisation: 'org', workspace: 'ws1', metadata: {}, tenant: 'ws:ws1', ...over });

describe('OrgLimits', () => {
  it('counts a matching request under its group_by entity; every condition must match', () => {
    const o = new OrgLimits();
    o.upsertPolicy(policy({ conditions: [{ key: 'metadata.env', value: 'prod' }, { key: 'api_key', value: 'k1' }], group_by: ['api_key', 'metadata._user'] }));
    expect(o.subjectsFor(req({ metadata: { env: 'prod', _user: 'a,b' } }))).toEqual([
      { scope: 'rate_policy', id: 'p1/api_key:k1,metadata._user:a%2Cb', label: 'p1 (api_key:k1,metadata._user:a%2Cb)', rules: [{ kind: 'requests', limit: 5, window: 'minute' }], owner: 'ws:ws1' },
    ]);
    expect(o.subjectsFor(req({ metadata: { env: 'dev', _user: 'a' } }))).toEqual([]);
    expect(o.subjectsFor(req({ keyId: 'k2', metadata: { env: 'prod', _user: 'a' } }))).toEqual([]);
    // No group_by value: no entity to count under.
    expect(o.subjectsFor(req({ metadata: { env: 'prod' } }))).toEqual([]);
  });

  it('applies a policy only to its own workspace; organisation-level keys act in the default workspace', () => {
    const o = new OrgLimits();
    o.upsertPolicy(policy({ workspace: 'ws-default' }));
    o.upsertWorkspace({ id: 'ws-default', is_default: true, limits: [] });
    expect(o.subjectsFor(req({ workspace: 'ws1' }))).toEqual([]);
    expect(o.subjectsFor(req({ workspace: undefined })).map((s) => s.id)).toEqual(['p1/api_key:k1']);
    o.removePolicy('p1');
    expect(o.empty).toBe(true);
  });

  it('adds the workspace\'s own limits first, and starts a reset entity\'s count at its reset', () => {
    const o = new OrgLimits();
    o.upsertWorkspace({ id: 'ws1', limits: [{ kind: 'requests', limit: 2, window: 'minute' }] });
    const since = Date.UTC(2027, 0, 1);
    const reset = '2027-01-05T00:00:00.000Z';
    o.upsertPolicy(policy({ id: 'u1', type: 'usage', name: 'Budget', rule: { kind: 'cost', limit: 3, window: 'total', since }, resets: { 'api_key:k1': reset } }));
    const subjects = o.subjectsFor(req());
    expect(subjects.map((s) => [s.scope, s.id, s.rules[0].since])).toEqual([['workspace', 'ws1', undefined], ['usage_policy', 'u1/api_key:k1', Date.parse(reset)]]);
    expect(o.subjectsFor(req({ keyId: 'k2' }))[1].rules[0].since).toBe(since);
    expect(subjects[1].owner).toBeUndefined();
    expect(subjects[1].label).toBe('"Budget" (api_key:k1)');
  });

  it('a reset in the same second the policy began (or as an earlier reset) starts a count of its own', async () => {
    // Created at .160 and reset at .785 of one second: the counters must differ, or the spent count stays.
    const since = Date.UTC(2027, 0, 1, 12, 0, 0, 160);
    const budget = (resets?: Record<string, string>) => policy({ id: 'u1', type: 'usage', rule: { kind: 'tokens', limit: 100, window: 'total', since }, resets });
    const limiter = new MemoryLimiter({ now: () => since + 700 });
    const o = new OrgLimits();
    o.upsertPolicy(budget());
    const estimate = { tokens: 60, costUsd: 0 };
    (await limiter.reserve(o.subjectsFor(req()), estimate)).settle(estimate);
    await expect(limiter.reserve(o.subjectsFor(req()), estimate)).rejects.toMatchObject({ status: 429, code: 'policy_usage_limit_exceeded' });
    const spent = planCounters(o.subjectsFor(req()), estimate, since + 700)[0].key;
    o.upsertPolicy(budget({ 'api_key:k1': new Date(since + 625).toISOString() }));
    const fresh = planCounters(o.subjectsFor(req()), estimate, since + 700)[0].key;
    expect([spent.split(':').pop(), fresh.split(':').pop()]).toEqual(['1798804800.160', '1798804800.785']);
    await expect(limiter.reserve(o.subjectsFor(req()), estimate)).resolves.toBeDefined();
    await limiter.close();
  });

  it('keys calendar windows by whole seconds, as before', () => {
    expect(windowStartLabel(Date.UTC(2027, 0, 1))).toBe('1798761600');
    expect(windowStartLabel(Date.UTC(2027, 0, 1) + 5)).toBe('1798761600.005');
    expect(windowStartLabel(0)).toBe('0');
  });

  it('arrives with a snapshot, changes with sync changes, and is persisted with the snapshot', async () => {
    const idx = indexSnapshot({
      organisation: 'org', version: 1, keys: [], virtualKeys: [], configs: [], prompts: [], partials: [], guardrails: [], userLimits: {},
      policies: [policy({})], workspaces: [{ id: 'ws1', is_default: true, limits: [{ kind: 'tokens', limit: 10, window: 'day' }] }],
    });
    expect(idx.limits.subjectsFor(req()).map((s) => s.scope)).toEqual(['workspace', 'rate_policy']);
    idx.apply({ op: 'delete', kind: 'policy', id: 'p1' });
    idx.apply({ op: 'upsert', kind: 'workspace', entity: { id: 'ws1', is_default: true, limits: [] } });
    expect(idx.limits.empty).toBe(true);
    idx.apply({ op: 'upsert', kind: 'policy', entity: policy({ id: 'p9' }) });
    let json = '';
    for await (const piece of idx.toJsonPieces()) json += piece;
    const persisted = JSON.parse(json);
    expect(persisted.policies.map((p: LimitPolicy) => p.id)).toEqual(['p9']);
    expect(persisted.workspaces).toEqual([{ id: 'ws1', is_default: true, limits: [] }]);
  });
});
