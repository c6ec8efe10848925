import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { policyEntityId, type AnalyticsRow, type LimitPolicy, type SyncChanges, type SyncSnapshot } from '@portico/contract';
import { pino } from 'pino';
import { migrate } from '../src/db/migrations.js';
import { UsageAlerts } from '../src/policies/alerts.js';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { PortkeySpec, specMissing } from './helpers/portkey-spec.js';

/**
 * Usage-limit and rate-limit policies (/v1/policies/...) on both databases, over raw HTTP (the
 * portkey-ai SDK has no policy methods): every request and response body is checked against Portkey's
 * OpenAPI document; the policies reach gateways through sync; /entities reports usage per entity from
 * analytics rows, and a reset starts an entity's count again.
 */
const spec = specMissing ? undefined : new PortkeySpec();

function row(organisation: string, over: Partial<AnalyticsRow>): AnalyticsRow {
  return {
    id: randomUUID(), organisation, workspace: null, key_id: null, trace_id: randomUUID(), created_at: new Date().toISOString(), endpoint: 'chat.completions',
    provider: 'openai', model: 'gpt-4o-mini', virtual_key: null, config_id: null, prompt_id: null, status: 200, latency_ms: 100, first_byte_ms: 50,
    prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, cached_tokens: 0, cost_usd: 0.25, cache_status: 'MISS', retries: 0, rescued: false,
    stream: false, error_code: null, user: null, metadata: {}, ...over,
  };
}

for (const backend of backends) {
  const skip = skipReason(backend);
  describe.skipIf(Boolean(skip))(`policies on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let t: TestControlPlane;
    let defaultWs: string;
    const problems: string[] = [];
    let checked = 0;
    const bearer = () => ({ authorization: `Bearer ${t.clientAuth}` });

    /** A call whose bodies are checked against the document (when present). */
    async function api(method: string, path: string, body?: unknown, key = t.adminKey) {
      const r = await call(t.url, method, path, key, body);
      if (spec) {
        const template = spec.template(path);
        if (!template) problems.push(`${method} ${path} matches no path in Portkey's document`);
        else {
          checked++;
          if (r.status < 300) problems.push(...spec.checkRequest(method, template, body));
          problems.push(...spec.checkResponse(method, template, r.status, r.body));
        }
      }
      return r;
    }

    beforeAll(async () => {
      t = await startTestControlPlane(backend);
      const list = await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey);
      defaultWs = list.body.data.find((w: any) => w.defaults.is_default).id;
    });
    afterAll(async () => {
      await t?.close();
    });
    afterEach(() => {
      expect(problems.splice(0)).toEqual([]);
    });

    it('creates, reads, lists, updates and archives usage-limit and rate-limit policies in Portkey\'s shapes', async () => {
      const created = await api('POST', '/v1/policies/usage-limits', {
        name: 'Monthly cost per key', conditions: [{ key: 'workspace_id', value: 'default' }], group_by: [{ key: 'api_key' }], type: 'cost', credit_limit: 10, alert_threshold: 8, periodic_reset: 'monthly',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      expect(created.body).toEqual({ id: expect.any(String), object: 'policy_usage_limits' });
      const got = await api('GET', `/v1/policies/usage-limits/${created.body.id}`);
      expect(got.body).toMatchObject({
        id: created.body.id, name: 'Monthly cost per key', type: 'cost', credit_limit: 10, alert_threshold: 8, periodic_reset: 'monthly', status: 'active', workspace_id: defaultWs,
        organisation_id: t.organisationId, object: 'policy_usage_limits', group_by: [{ key: 'api_key' }],
      });
      // The workspace named by slug is stored as its id, which is what gateways see on a request.
      expect(got.body.conditions).toEqual([{ key: 'workspace_id', value: defaultWs }]);
      expect(Date.parse(got.body.next_usage_reset_at)).toBeGreaterThan(Date.now());

      const rate = await api('POST', '/v1/policies/rate-limits', { name: '10 rpm per user', conditions: [{ key: 'metadata.team', value: 'search' }], group_by: [{ key: 'metadata._user' }], type: 'requests', unit: 'rpm', value: 10 });
      expect(rate.body).toEqual({ id: expect.any(String), object: 'policy_rate_limits' });
      expect((await api('PUT', `/v1/policies/rate-limits/${rate.body.id}`, { value: 20, unit: 'rph' })).body).toEqual({});
      expect((await api('GET', `/v1/policies/rate-limits/${rate.body.id}`)).body).toMatchObject({ value: 20, unit: 'rph', type: 'requests', object: 'policy_rate_limits' });
      expect((await api('GET', '/v1/policies/rate-limits?unit=rph')).body.data.map((p: any) => p.id)).toEqual([rate.body.id]);
      expect((await api('GET', '/v1/policies/rate-limits?unit=rpm')).body.total).toBe(0);
      expect((await api('GET', '/v1/policies/usage-limits?type=cost')).body.data.map((p: any) => p.id)).toEqual([created.body.id]);
      expect((await api('GET', '/v1/policies/usage-limits?type=tokens')).body.total).toBe(0);

      expect((await api('PUT', `/v1/policies/usage-limits/${created.body.id}`, { credit_limit: 20, alert_threshold: 15 })).body).toEqual({});
      expect((await api('GET', `/v1/policies/usage-limits/${created.body.id}`)).body).toMatchObject({ credit_limit: 20, alert_threshold: 15 });

      expect((await api('DELETE', `/v1/policies/rate-limits/${rate.body.id}`)).body).toEqual({});
      expect((await api('GET', '/v1/policies/rate-limits')).body.total).toBe(0);
      expect((await api('GET', '/v1/policies/rate-limits?status=archived')).body.data[0]).toMatchObject({ id: rate.body.id, status: 'archived' });
      expect((await api('PUT', `/v1/policies/rate-limits/${rate.body.id}`, { value: 5 })).status).toBe(400);

      const audit = await call(t.url, 'GET', '/v1/audit-logs?resource_type=rate_limits_policy', t.adminKey);
      expect(audit.body.records.map((r: any) => r.action).sort()).toEqual(['create', 'delete', 'update']);
    });

    it('refuses bad bodies with a 4xx naming what to fix, and stores nothing', async () => {
      const base = { conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'tokens', credit_limit: 1000 };
      const cases: Array<[unknown, string, RegExp]> = [
        [{ ...base, colour: 'red' }, 'colour', /Unknown field "colour"/],
        [{ ...base, conditions: [{ key: 'api_key', value: '*', excludes: 'x' }] }, 'conditions.0.excludes', /Unknown field/],
        [{ ...base, conditions: [{ key: 'model', value: 'gpt-4o' }] }, 'conditions.0.key', /must be "api_key"/],
        [{ ...base, conditions: [] }, 'conditions', /at least one/],
        [{ ...base, group_by: [{ key: 'api_key' }, { key: 'api_key' }] }, 'group_by', /twice/],
        [{ ...base, credit_limit: -1 }, 'credit_limit', /./],
        [{ ...base, alert_threshold: 2000 }, 'alert_threshold', /less than credit_limit/],
        [{ ...base, periodic_reset: 'daily' }, 'periodic_reset', /./],
        [{ ...base, name: 'x'.repeat(256) }, 'name', /255/],
        [{ ...base, conditions: [{ key: 'api_key', value: randomUUID() }] }, 'conditions[0].value', /no API key/],
        [{ ...base, organisation_id: randomUUID() }, 'organisation_id', /organisation/],
      ];
      for (const [body, param, message] of cases) {
        const r = await call(t.url, 'POST', '/v1/policies/usage-limits', t.adminKey, body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.param).toBe(param);
        expect(r.body.error.message).toMatch(message);
      }
      const other = await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Other team' });
      const cross = await call(t.url, 'POST', '/v1/policies/rate-limits', t.adminKey, { conditions: [{ key: 'workspace_id', value: other.body.id }], group_by: [{ key: 'api_key' }], type: 'requests', unit: 'rpm', value: 1 });
      expect(cross.status).toBe(400);
      expect(cross.body.error.message).toContain('its own workspace');
      const badRate = await call(t.url, 'POST', '/v1/policies/rate-limits', t.adminKey, { conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'requests', unit: 'rps', value: 1 });
      expect(badRate.body.error.param).toBe('unit');
      expect((await call(t.url, 'GET', '/v1/policies/usage-limits?status=gone', t.adminKey)).body.error.param).toBe('status');
      expect((await call(t.url, 'GET', `/v1/policies/usage-limits/${randomUUID()}`, t.adminKey)).status).toBe(404);
      // Nothing above was stored.
      expect((await call(t.url, 'GET', '/v1/policies/usage-limits?type=tokens', t.adminKey)).body.total).toBe(0);
      expect((await call(t.url, 'GET', `/v1/policies/rate-limits?workspace_id=${other.body.id}`, t.adminKey)).body.total).toBe(0);
    });

    it('checks roles and scopes, and keeps workspaces apart', async () => {
      const other = await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Roles team' });
      const theirs = await call(t.url, 'POST', `/v1/policies/rate-limits`, t.adminKey, { workspace_id: other.body.id, conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'requests', unit: 'rpm', value: 5 });
      expect(theirs.status).toBe(200);
      const readOnly = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'reader', workspace_id: defaultWs, scopes: ['policies.read', 'policies.list'] });
      const refused = await call(t.url, 'POST', '/v1/policies/rate-limits', readOnly.body.key, { conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'requests', unit: 'rpm', value: 5 });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('policies.create');
      // A key of the default workspace does not see the other workspace's policy.
      expect((await call(t.url, 'GET', `/v1/policies/rate-limits/${theirs.body.id}`, readOnly.body.key)).status).toBe(404);
      expect((await call(t.url, 'GET', `/v1/policies/rate-limits/${theirs.body.id}?workspace_id=${other.body.id}`, t.adminKey)).status).toBe(200);
      expect((await call(t.url, 'GET', `/v1/policies/rate-limits?workspace_id=${other.body.id}`, readOnly.body.key)).status).toBe(403);
    });

    it('sends policies and workspace limits to gateways: in the snapshot, and as changes', async () => {
      const snap0 = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot;
      expect(snap0.workspaces!.find((w) => w.id === defaultWs)).toEqual({ id: defaultWs, is_default: true, limits: [] });
      const policy = await api('POST', '/v1/policies/usage-limits', { conditions: [{ key: 'metadata.env', value: 'prod' }], group_by: [{ key: 'metadata._user' }], type: 'tokens', credit_limit: 500 });
      const ws = await call(t.url, 'PUT', `/v1/admin/workspaces/${defaultWs}`, t.adminKey, { rate_limits: [{ type: 'requests', unit: 'rpm', value: 3 }], usage_limits: [{ credit_limit: 7, type: 'cost', periodic_reset: 'weekly' }] });
      expect(ws.status).toBe(200);
      const changes = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap0.version}`, undefined, undefined, bearer())).body as SyncChanges;
      const p = changes.changes.find((c) => c.kind === 'policy' && c.op === 'upsert' && c.entity.id === policy.body.id) as { entity: LimitPolicy } | undefined;
      expect(p?.entity).toMatchObject({ type: 'usage', workspace: defaultWs, group_by: ['metadata._user'], conditions: [{ key: 'metadata.env', value: 'prod' }], rule: { kind: 'tokens', limit: 500, window: 'total' } });
      expect(p!.entity.rule.since).toBeLessThanOrEqual(Date.now());
      expect(changes.changes).toContainEqual({ op: 'upsert', kind: 'workspace', entity: { id: defaultWs, is_default: true, limits: [{ kind: 'requests', limit: 3, window: 'minute' }, { kind: 'cost', limit: 7, window: 'week' }] } });
      const snap1 = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot;
      expect(snap1.policies!.map((x) => x.id)).toContain(policy.body.id);
      expect(snap1.workspaces!.find((w) => w.id === defaultWs)!.limits).toHaveLength(2);
      await api('DELETE', `/v1/policies/usage-limits/${policy.body.id}`);
      const gone = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap1.version}`, undefined, undefined, bearer())).body as SyncChanges;
      expect(gone.changes).toContainEqual({ op: 'delete', kind: 'policy', id: policy.body.id });
      await call(t.url, 'PUT', `/v1/admin/workspaces/${defaultWs}`, t.adminKey, { rate_limits: [], usage_limits: [] });
    });

    it('periodic_reset_days: a reset every N days from the policy\'s start, synced as a "days" rule; exclusive with periodic_reset', async () => {
      const DAY = 86_400_000;
      const snap0 = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot;
      const before = Date.now();
      // Portkey's request schema for POST has no periodic_reset_days (its responses do): sent unchecked, answered checked.
      const created = await call(t.url, 'POST', '/v1/policies/usage-limits', t.adminKey, { name: 'Every 10 days', conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'tokens', credit_limit: 5000, periodic_reset_days: 10 });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const got = await api('GET', `/v1/policies/usage-limits/${created.body.id}`);
      expect(got.body).toMatchObject({ periodic_reset_days: 10 });
      expect(got.body.periodic_reset).toBeUndefined();
      const next = Date.parse(got.body.next_usage_reset_at);
      expect(next).toBeGreaterThanOrEqual(before + 10 * DAY);
      expect(next).toBeLessThanOrEqual(Date.now() + 10 * DAY);
      const changes = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${snap0.version}`, undefined, undefined, bearer())).body as SyncChanges;
      const synced = changes.changes.find((c) => c.kind === 'policy' && c.op === 'upsert' && c.entity.id === created.body.id) as { entity: LimitPolicy };
      expect(synced.entity.rule).toEqual({ kind: 'tokens', limit: 5000, window: 'days', days: 10, anchor: next - 10 * DAY, since: next - 10 * DAY });

      const both = await call(t.url, 'POST', '/v1/policies/usage-limits', t.adminKey, { conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'cost', credit_limit: 1, periodic_reset: 'monthly', periodic_reset_days: 30 });
      expect([both.status, both.body.error.param]).toEqual([400, 'periodic_reset_days']);
      expect(both.body.error.message).toMatch(/mutually exclusive/);
      for (const bad of [0, 366, 1.5]) {
        const r = await call(t.url, 'POST', '/v1/policies/usage-limits', t.adminKey, { conditions: [{ key: 'api_key', value: '*' }], group_by: [{ key: 'api_key' }], type: 'cost', credit_limit: 1, periodic_reset_days: bad });
        expect([r.status, r.body.error.param], String(bad)).toEqual([400, 'periodic_reset_days']);
      }

      // Setting periodic_reset clears periodic_reset_days (and starts counting again); and back.
      expect((await api('PUT', `/v1/policies/usage-limits/${created.body.id}`, { periodic_reset: 'weekly' })).status).toBe(200);
      expect((await api('GET', `/v1/policies/usage-limits/${created.body.id}`)).body).toMatchObject({ periodic_reset: 'weekly', periodic_reset_days: null });
      expect((await call(t.url, 'PUT', `/v1/policies/usage-limits/${created.body.id}`, t.adminKey, { periodic_reset_days: 2 })).status).toBe(200);
      const again = (await api('GET', `/v1/policies/usage-limits/${created.body.id}`)).body;
      expect(again).toMatchObject({ periodic_reset_days: 2 });
      expect(again.periodic_reset).toBeUndefined();
      expect(Date.parse(again.next_usage_reset_at) - Date.now()).toBeGreaterThan(2 * DAY - 60_000);
      await api('DELETE', `/v1/policies/usage-limits/${created.body.id}`);
    });

    it('api keys, workspaces and integrations: rps and rpw rates, periodic_reset_days anchored at next_usage_reset_at (or creation), and budgets that never reset', async () => {
      const DAY = 86_400_000;
      const before = Date.now();
      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'every 30 days', workspace_id: defaultWs, scopes: ['completions.write'], usage_limits: { credit_limit: 50, type: 'cost', periodic_reset_days: 30 } });
      expect(key.status, JSON.stringify(key.body)).toBe(200);
      const shown = (await call(t.url, 'GET', `/v1/api-keys/${key.body.id}`, t.adminKey)).body;
      expect(shown.usage_limits).toMatchObject({ credit_limit: 50, type: 'cost', periodic_reset_days: 30 });
      const next = Date.parse(shown.usage_limits.next_usage_reset_at);
      expect(next).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
      expect(next).toBeLessThanOrEqual(Date.now() + 30 * DAY);

      // An anchor in the past: the next reset is the first one after now on its 7-day grid.
      const anchor = Date.UTC(2026, 0, 5, 9, 0, 0);
      const anchored = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'weekly from a Monday 09:00', workspace_id: defaultWs, scopes: ['completions.write'], usage_limits: { credit_limit: 1000, type: 'tokens', periodic_reset_days: 7, next_usage_reset_at: new Date(anchor).toISOString() } });
      expect(anchored.status).toBe(200);
      const nextAnchored = Date.parse((await call(t.url, 'GET', `/v1/api-keys/${anchored.body.id}`, t.adminKey)).body.usage_limits.next_usage_reset_at);
      expect((nextAnchored - anchor) % (7 * DAY)).toBe(0);
      expect(nextAnchored).toBeGreaterThan(Date.now());
      expect(nextAnchored - Date.now()).toBeLessThanOrEqual(7 * DAY);

      const total = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'lifetime budget', workspace_id: defaultWs, scopes: ['completions.write'], usage_limits: { credit_limit: 3, type: 'cost' }, rate_limits: [{ type: 'requests', unit: 'rps', value: 5 }, { type: 'tokens', unit: 'rpw', value: 90000 }] });
      expect(total.status).toBe(200);
      const both = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'both', workspace_id: defaultWs, scopes: ['completions.write'], usage_limits: { credit_limit: 3, periodic_reset: 'monthly', periodic_reset_days: 30 } });
      expect([both.status, both.body.error.param]).toEqual([400, 'usage_limits.periodic_reset_days']);

      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot;
      const limitsOf = (id: string) => snap.keys.find((k) => k.id === id)!.limits;
      expect(limitsOf(key.body.id)).toEqual([{ kind: 'cost', limit: 50, window: 'days', days: 30, anchor: next }]);
      expect(limitsOf(anchored.body.id)).toEqual([{ kind: 'tokens', limit: 1000, window: 'days', days: 7, anchor }]);
      expect(limitsOf(total.body.id)).toEqual([{ kind: 'requests', limit: 5, window: 'second' }, { kind: 'tokens', limit: 90000, window: 'week' }, { kind: 'cost', limit: 3, window: 'total' }]);

      // reset_usage: the key's count starts again now on every gateway (its rule's since), kept across later edits.
      const beforeReset = Date.now();
      expect((await call(t.url, 'PUT', `/v1/api-keys/${total.body.id}`, t.adminKey, { reset_usage: true })).status).toBe(200);
      const resetAt = Date.parse((await call(t.url, 'GET', `/v1/api-keys/${total.body.id}`, t.adminKey)).body.usage_limits.last_reset_at);
      expect(resetAt).toBeGreaterThanOrEqual(beforeReset - 1000);
      expect((await call(t.url, 'PUT', `/v1/api-keys/${total.body.id}`, t.adminKey, { usage_limits: { credit_limit: 4, type: 'cost' } })).status).toBe(200);
      const afterEdit = ((await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot).keys.find((k) => k.id === total.body.id)!.limits;
      expect(afterEdit).toContainEqual({ kind: 'cost', limit: 4, window: 'total', since: resetAt });

      // A workspace's budget every 14 days, and one that never resets.
      const ws = await call(t.url, 'PUT', `/v1/admin/workspaces/${defaultWs}`, t.adminKey, { usage_limits: [{ credit_limit: 7, type: 'cost', periodic_reset_days: 14 }, { credit_limit: 100, type: 'cost', periodic_reset: null }] });
      expect(ws.status, JSON.stringify(ws.body)).toBe(200);
      const wsLimits = ((await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, bearer())).body as SyncSnapshot).workspaces!.find((w) => w.id === defaultWs)!.limits;
      expect(wsLimits).toEqual([{ kind: 'cost', limit: 7, window: 'days', days: 14, anchor: expect.any(Number) }, { kind: 'cost', limit: 100, window: 'total' }]);
      expect(wsLimits[0].anchor! - Date.now()).toBeGreaterThan(13 * DAY);
      await call(t.url, 'PUT', `/v1/admin/workspaces/${defaultWs}`, t.adminKey, { usage_limits: [] });
    });

    it('reports usage per entity from analytics rows; a reset starts the entity again, on gateways too', async () => {
      const keyA = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'team a', workspace_id: defaultWs, scopes: ['completions.write'] });
      const keyB = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'team b', workspace_id: defaultWs, scopes: ['completions.write'] });
      const policy = await api('POST', '/v1/policies/usage-limits', { conditions: [{ key: 'metadata.env', value: 'prod' }], group_by: [{ key: 'api_key' }], type: 'cost', credit_limit: 1, periodic_reset: 'weekly' });
      const id = policy.body.id as string;
      const org = t.organisationId;
      const rows = [
        row(org, { key_id: keyA.body.id, workspace: defaultWs, cost_usd: 0.75, metadata: { env: 'prod' } }),
        row(org, { key_id: keyA.body.id, workspace: defaultWs, cost_usd: 0.5, metadata: { env: 'prod' } }),
        row(org, { key_id: keyB.body.id, workspace: defaultWs, cost_usd: 0.25, metadata: { env: 'prod' } }),
        row(org, { key_id: keyB.body.id, workspace: defaultWs, cost_usd: 9, metadata: { env: 'dev' } }), // another condition: not counted
        row(org, { key_id: keyB.body.id, workspace: defaultWs, cost_usd: 9, metadata: { env: 'prod' }, created_at: new Date(Date.now() - 30 * 86_400_000).toISOString() }), // before the policy
      ];
      expect((await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows }, bearer())).status).toBe(200);
      const entities = await api('GET', `/v1/policies/usage-limits/${id}/entities`);
      expect(entities.body.total).toBe(2);
      expect(entities.body.data).toEqual([
        expect.objectContaining({ value_key: `api_key:${keyA.body.id}`, current_usage: 1.25, status: 'exhausted', id: policyEntityId(`api_key:${keyA.body.id}`) }),
        expect.objectContaining({ value_key: `api_key:${keyB.body.id}`, current_usage: 0.25, status: 'active' }),
      ]);
      expect((await api('GET', `/v1/policies/usage-limits/${id}/entities?status=exhausted`)).body.data).toHaveLength(1);
      expect((await api('GET', `/v1/policies/usage-limits/${id}/entities?search=${keyB.body.id}`)).body.data[0].value_key).toBe(`api_key:${keyB.body.id}`);
      const withUsage = await api('GET', `/v1/policies/usage-limits/${id}?include_usage=true`);
      expect(withUsage.body.value_key_usage_map[`api_key:${keyA.body.id}`]).toMatchObject({ current_usage: 1.25, status: 'exhausted' });

      const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${org}`, undefined, undefined, bearer())).body as SyncSnapshot;
      await new Promise((r) => setTimeout(r, 5));
      const reset = await api('PUT', `/v1/policies/usage-limits/${id}/entities/${entities.body.data[0].id}/reset`);
      expect(reset.status).toBe(200);
      const after = (await api('GET', `/v1/policies/usage-limits/${id}/entities`)).body.data;
      expect(after.find((e: any) => e.value_key === `api_key:${keyA.body.id}`)).toMatchObject({ current_usage: 0, status: 'active' });
      const changes = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${org}&since=${snap.version}`, undefined, undefined, bearer())).body as SyncChanges;
      const synced = changes.changes.find((c) => c.kind === 'policy' && c.op === 'upsert') as { entity: LimitPolicy };
      expect(Object.keys(synced.entity.resets!)).toEqual([`api_key:${keyA.body.id}`]);
      // A row after the reset counts again; the other entity was never touched.
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [row(org, { key_id: keyA.body.id, workspace: defaultWs, cost_usd: 0.125, metadata: { env: 'prod' } })] }, bearer());
      const later = (await api('GET', `/v1/policies/usage-limits/${id}/entities`)).body.data;
      expect(later.map((e: any) => e.current_usage).sort()).toEqual([0.125, 0.25]);
      // The same through PUT's reset_usage_for_value, and a value key as the path's entity id.
      expect((await api('PUT', `/v1/policies/usage-limits/${id}`, { reset_usage_for_value: `api_key:${keyB.body.id}` })).status).toBe(200);
      expect((await api('GET', `/v1/policies/usage-limits/${id}/entities?search=${keyB.body.id}`)).body.data[0].current_usage).toBe(0);
      expect((await call(t.url, 'PUT', `/v1/policies/usage-limits/${id}/entities/${encodeURIComponent(`api_key:${keyB.body.id}`)}/reset`, t.adminKey)).status).toBe(200);
      const wrong = await call(t.url, 'PUT', `/v1/policies/usage-limits/${id}/entities/${policyEntityId('metadata.team:x')}/reset`, t.adminKey);
      expect(wrong.status).toBe(404);
    });

    it('alert_threshold: an entity past it is alerted once per period (audit log, JSON log line, metric), again after a reset', async () => {
      const keyA = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'alert a', workspace_id: defaultWs, scopes: ['completions.write'] });
      const keyB = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'alert b', workspace_id: defaultWs, scopes: ['completions.write'] });
      const keyC = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'alert c', workspace_id: defaultWs, scopes: ['completions.write'] });
      const policy = await api('POST', '/v1/policies/usage-limits', { name: 'Alerting budget', conditions: [{ key: 'metadata.team', value: 'alerts' }], group_by: [{ key: 'api_key' }], type: 'cost', credit_limit: 1, alert_threshold: 0.5, periodic_reset: 'monthly' });
      const id = policy.body.id as string;
      const org = t.organisationId;
      const spend = (key: string, cost: number) => row(org, { key_id: key, workspace: defaultWs, cost_usd: cost, metadata: { team: 'alerts' } });
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [spend(keyA.body.id, 0.6), spend(keyB.body.id, 0.2), spend(keyC.body.id, 1.5)] }, bearer());

      const lines: Array<Record<string, unknown>> = [];
      const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
      const alerts = new UsageAlerts(t.cp.services.db, log, t.cp.services.metrics, 0);
      const metric = async (kind: string) => (await t.cp.services.metrics.registry.getSingleMetric('portico_cp_usage_alerts_total')!.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
      const [threshold0, exhausted0] = [await metric('threshold'), await metric('exhausted')];
      const auditOf = async () => (await call(t.url, 'GET', '/v1/audit-logs?resource_type=usage_limits_policy', t.adminKey)).body.records.filter((r: any) => r.resource_id === id && r.action.startsWith('alert_'));

      await alerts.pass();
      // A and C reached the threshold; C also spent the whole credit_limit; B did neither.
      const alerted = lines.filter((l) => l.event === 'usage_limit_alert' && l.policy_id === id);
      expect(alerted.map((l) => `${l.kind} ${l.value_key}`).sort()).toEqual([`exhausted api_key:${keyC.body.id}`, `threshold api_key:${keyA.body.id}`, `threshold api_key:${keyC.body.id}`].sort());
      expect(alerted.find((l) => l.value_key === `api_key:${keyA.body.id}`)).toMatchObject({ level: 40, usage: 0.6, alert_threshold: 0.5, credit_limit: 1, name: 'Alerting budget', workspace_id: defaultWs });
      expect((await auditOf()).map((r: any) => r.action).sort()).toEqual(['alert_limit_exhausted', 'alert_threshold_reached', 'alert_threshold_reached']);
      expect([await metric('threshold') - threshold0, await metric('exhausted') - exhausted0]).toEqual([2, 1]);
      const usage = (await api('GET', `/v1/policies/usage-limits/${id}?include_usage=true`)).body.value_key_usage_map;
      expect(usage[`api_key:${keyA.body.id}`]).toMatchObject({ is_threshold_alerts_sent: true, is_exhausted_alerts_sent: false });
      expect(usage[`api_key:${keyB.body.id}`]).toMatchObject({ is_threshold_alerts_sent: false, is_exhausted_alerts_sent: false });
      expect(usage[`api_key:${keyC.body.id}`]).toMatchObject({ is_threshold_alerts_sent: true, is_exhausted_alerts_sent: true });

      // Once per period: more spend and another pass (even by another control plane on this database) alert no one again...
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [spend(keyA.body.id, 0.1)] }, bearer());
      await Promise.all([alerts.pass(), new UsageAlerts(t.cp.services.db, log, t.cp.services.metrics, 0).pass()]);
      expect(lines.filter((l) => l.event === 'usage_limit_alert' && l.policy_id === id)).toHaveLength(3);
      expect(await auditOf()).toHaveLength(3);
      // ...but B crossing now is alerted, and A after a reset starts a new period.
      await call(t.url, 'PUT', `/v1/policies/usage-limits/${id}/entities/${encodeURIComponent(`api_key:${keyA.body.id}`)}/reset`, t.adminKey);
      await new Promise((r) => setTimeout(r, 5));
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [spend(keyB.body.id, 0.4), spend(keyA.body.id, 0.7)] }, bearer());
      await alerts.pass();
      const later = lines.filter((l) => l.event === 'usage_limit_alert' && l.policy_id === id).slice(3);
      expect(later.map((l) => `${l.kind} ${l.value_key}`).sort()).toEqual([`threshold api_key:${keyA.body.id}`, `threshold api_key:${keyB.body.id}`].sort());
      const entities = (await api('GET', `/v1/policies/usage-limits/${id}/entities`)).body.data;
      expect(entities.find((e: any) => e.value_key === `api_key:${keyA.body.id}`)).toMatchObject({ threshold_reached: true, is_threshold_alerts_sent: true });
      await api('DELETE', `/v1/policies/usage-limits/${id}`);
    });

    it('alert_threshold on an API key\'s and a workspace\'s own usage_limits: alerted once per period too', async () => {
      const org = t.organisationId;
      const key = await call(t.url, 'POST', '/v1/api-keys/workspace/service', t.adminKey, { name: 'key with alerts', workspace_id: defaultWs, scopes: ['completions.write'], usage_limits: { credit_limit: 2, type: 'cost', alert_threshold: 1, periodic_reset: 'monthly' } });
      const ws = await call(t.url, 'POST', '/v1/admin/workspaces', t.adminKey, { name: 'Alerting team', usage_limits: [{ credit_limit: 100, type: 'tokens', alert_threshold: 50, periodic_reset_days: 7 }] });
      expect(ws.status, JSON.stringify(ws.body)).toBe(200);
      const lines: Array<Record<string, unknown>> = [];
      const alerts = new UsageAlerts(t.cp.services.db, pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) }), t.cp.services.metrics, 0);
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [
        row(org, { key_id: key.body.id, workspace: defaultWs, cost_usd: 1.25 }),
        row(org, { key_id: null, workspace: ws.body.id, total_tokens: 40 }),
      ] }, bearer());
      await alerts.pass();
      const mine = () => lines.filter((l) => l.api_key_id === key.body.id || l.workspace_id === ws.body.id && l.event === 'usage_limit_alert');
      expect(mine().map((l) => `${l.kind} ${l.name}`)).toEqual(['threshold key with alerts']);
      expect(mine()[0]).toMatchObject({ usage: 1.25, alert_threshold: 1, credit_limit: 2, value_key: `api_key:${key.body.id}` });
      await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'test', rows: [row(org, { key_id: key.body.id, workspace: defaultWs, cost_usd: 1 }), row(org, { key_id: null, workspace: ws.body.id, total_tokens: 20 })] }, bearer());
      await alerts.pass();
      await alerts.pass();
      expect(mine().map((l) => `${l.kind} ${l.name}`)).toEqual(['threshold key with alerts', 'exhausted key with alerts', 'threshold Alerting team']);
      const audit = (await call(t.url, 'GET', `/v1/audit-logs?action=alert_threshold_reached`, t.adminKey)).body.records;
      expect(audit.filter((r: any) => r.resource_id === key.body.id || r.resource_id === ws.body.id).map((r: any) => r.resource_type).sort()).toEqual(['api_key', 'workspace']);
    });

    it.skipIf(Boolean(specMissing))(`every body above was checked against Portkey's OpenAPI document${specMissing ? ` (skipped: ${specMissing})` : ''}`, () => {
      expect(checked).toBeGreaterThan(20);
    });

    it('migration 5 gives the policies scopes to keys that held every other scope, and to no other', async () => {
      const db = t.cp.services.db;
      const full = await call(t.url, 'POST', '/v1/api-keys/organisation/service', t.adminKey, { name: 'all but policies', scopes: [] });
      const narrow = await call(t.url, 'POST', '/v1/api-keys/organisation/service', t.adminKey, { name: 'narrow', scopes: ['configs.read'] });
      const bootstrapScopes = JSON.parse((await db.get<{ scopes: string }>(`SELECT scopes FROM api_keys WHERE name = 'Bootstrap admin key' AND organisation_id = ?`, [t.organisationId]))!.scopes) as string[];
      const before = bootstrapScopes.filter((s) => !s.startsWith('policies.'));
      await db.run(`UPDATE api_keys SET scopes = ? WHERE id = ?`, [JSON.stringify(before), full.body.id]);
      await db.run(`DELETE FROM schema_migrations WHERE version = 5`);
      expect(await migrate(db)).toEqual([5]);
      const scopesOf = async (id: string) => JSON.parse((await db.get<{ scopes: string }>(`SELECT scopes FROM api_keys WHERE id = ?`, [id]))!.scopes) as string[];
      expect((await scopesOf(full.body.id)).filter((s) => s.startsWith('policies.')).sort()).toEqual(['policies.create', 'policies.delete', 'policies.list', 'policies.read', 'policies.update']);
      expect(await scopesOf(narrow.body.id)).toEqual(['configs.read']);
    });
  });
}
