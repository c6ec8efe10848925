import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Portkey } from 'portkey-ai';
import type { AnalyticsRow, SyncSnapshot } from '@portico/contract';
import { backends, call, skipReason, type TestControlPlane } from './helpers/control-plane.js';
import { specMissing } from './helpers/portkey-spec.js';
import { useSdkHarness } from './helpers/sdk-harness.js';

const TOOLS = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];
const ACTIONS = { deny: true, async: false, on_success: { feedback: { value: 5, weight: 1, metadata: '' } }, on_fail: { feedback: { value: -5, weight: 1, metadata: '' } } };

/** Prompts with partials, versions and labels; collections; guardrails; feedback; analytics; audit log: through the official SDK, checked against Portkey's document. */
for (const backend of backends) {
  const skip = skipReason(backend) ?? specMissing;
  describe.skipIf(Boolean(skip))(`portkey-ai SDK: prompts, guardrails, feedback, analytics on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    const h = useSdkHarness(backend);
    let t: TestControlPlane;
    let portkey: Portkey;
    let vkSlug: string;
    beforeAll(async () => {
      t = h.t;
      portkey = h.portkey;
      vkSlug = ((await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'oai', provider: 'openai', key: 'sk-p' })).body as any).data.slug;
    });
    const snapshot = async () => (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;

    it('prompts: partials, versions, labels and the default collection', async () => {
      const partial: any = await portkey.prompts.partials.create({ name: 'tone', string: 'Answer briefly and politely.' });
      const defaults = (await call(t.url, 'GET', '/v1/collections', t.adminKey)).body.data.filter((c: any) => c.is_default);
      // Without collection_id (Portkey's document requires it) a prompt goes to its workspace's default collection.
      const bare = await call(t.url, 'POST', '/v1/prompts', t.adminKey, { name: 'bare', string: 'Hi {{name}}', parameters: {}, virtual_key: vkSlug });
      expect((await call(t.url, 'GET', `/v1/prompts/${bare.body.id}`, t.adminKey)).body.collection_id).toBe(defaults[0].id);
      const created: any = await portkey.prompts.create({
        name: 'support', collection_id: defaults[0].id, string: JSON.stringify([{ role: 'system', content: `{{>${partial.slug}}}` }, { role: 'user', content: '{{question}}' }]),
        parameters: { temperature: 0.2 }, model: 'gpt-4o-mini', virtual_key: vkSlug, tools: TOOLS,
      } as any);
      expect(created.slug).toMatch(/^pp-/);
      const got: any = await portkey.prompts.retrieve(created.id);
      expect(got.prompt_version).toBe(1);
      expect(got.collection_id).toBe(defaults[0].id);
      const updated: any = await portkey.prompts.update(created.id, { patch: true, parameters: { temperature: 0.9 } } as any);
      expect(updated.prompt_version_id).toBeTruthy();
      await portkey.prompts.versions.list(created.id);
      expect((await call(t.url, 'GET', `/v1/prompts/${created.id}/versions`, t.adminKey)).body).toHaveLength(2);
      const label: any = await portkey.labels.create({ name: 'production' } as any);
      await portkey.prompts.versions.update(created.id, updated.prompt_version_id, { label_id: label.id } as any);
      await portkey.prompts.publish(created.id, { version: 2 } as any);
      const snap = await snapshot();
      const p = snap.prompts.find((x) => x.id === created.id)!;
      expect(p.default_version).toBe(2);
      expect(p.labels).toEqual({ production: 2 });
      expect(p.versions?.map((v) => v.parameters.temperature)).toEqual([0.2, 0.9]);
      expect(p.versions?.[1].parameters.tools).toEqual(TOOLS);
      expect(snap.partials.find((x) => x.slug === partial.slug)?.string).toBe('Answer briefly and politely.');
      expect((await call(h.url, 'GET', `/v1/prompts/${created.slug}@production`, t.adminKey)).body.prompt_version).toBe(2);
      const list: any = await portkey.prompts.list({});
      expect(list.data.map((x: any) => x.id)).toContain(created.id);
      await portkey.prompts.partials.update(partial.slug, { string: 'Be brief.' } as any);
      await portkey.prompts.partials.publish(partial.slug, { version: 2 } as any);
      expect((await snapshot()).partials.find((x) => x.slug === partial.slug)?.string).toBe('Be brief.');
      expect(((await portkey.prompts.partials.retrieve(partial.slug)) as any).version).toBe(2);
      await portkey.prompts.delete(created.id);
      await portkey.prompts.partials.delete(partial.slug);
      expect((await snapshot()).prompts.find((x) => x.id === created.id)).toBeUndefined();
    });

    it('a prompt with a missing partial or a bad template is refused, storing nothing', async () => {
      const missing = await call(t.url, 'POST', '/v1/prompts', t.adminKey, { name: 'x', string: 'Hi {{>no-such-partial}}', parameters: {}, virtual_key: vkSlug });
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('missing_partial');
      expect(missing.body.error.message).toContain('no-such-partial');
      const broken = await call(t.url, 'POST', '/v1/prompts', t.adminKey, { name: 'x', string: 'Hi {{#open}}', parameters: {}, virtual_key: vkSlug });
      expect(broken.status).toBe(400);
      expect(broken.body.error.code).toBe('invalid_template');
      expect((await call(t.url, 'GET', '/v1/prompts?search=x', t.adminKey)).body.total).toBe(0);
    });

    it('collections: create, list, retrieve, rename, delete', async () => {
      const c: any = await portkey.collections.create({ name: 'Support prompts' } as any);
      expect(((await portkey.collections.retrieve(c.id)) as any).name).toBe('Support prompts');
      await portkey.collections.update(c.id, { name: 'Support' } as any);
      const list: any = await portkey.collections.list({});
      expect(list.data.find((x: any) => x.id === c.id).name).toBe('Support');
      await portkey.collections.delete(c.id);
    });

    it('guardrails: create, retrieve, update, list, delete; gateways receive them', async () => {
      const g: any = await portkey.guardrails.create({ name: 'no secrets', checks: [{ id: 'default.regexMatch', parameters: { rule: 'sk-[a-z]+', not: true } }], actions: ACTIONS } as any);
      expect(g.slug).toBeTruthy();
      expect(((await portkey.guardrails.retrieve({ guardrail_id: g.id } as any)) as any).checks[0].id).toBe('default.regexMatch');
      await portkey.guardrails.update({ guardrail_id: g.id, name: 'no keys', checks: [{ id: 'default.wordCount', parameters: { minWords: 1 } }], actions: { ...ACTIONS, deny: false } } as any);
      const snap = await snapshot();
      expect(snap.guardrails.find((x) => x.id === g.id)?.checks).toEqual([{ id: 'default.wordCount', parameters: { minWords: 1 } }]);
      const list: any = await portkey.guardrails.list({});
      expect(list.data.find((x: any) => x.id === g.id).name).toBe('no keys');
      await portkey.guardrails.delete({ guardrail_id: g.id } as any);
      expect((await snapshot()).guardrails.find((x) => x.id === g.id)).toBeUndefined();
    });

    it('feedback and analytics: rows from gateways, Portkey\'s filters and shapes', async () => {
      const now = Date.now();
      const row = (i: number, over: Partial<AnalyticsRow> = {}): AnalyticsRow => ({
        id: randomUUID(), organisation: t.organisationId, workspace: null, key_id: 'k1', trace_id: `trace-${i}`, created_at: new Date(now - i * 60_000).toISOString(), endpoint: 'chat.completions',
        provider: 'openai', model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini', virtual_key: vkSlug, config_id: null, prompt_id: null, status: i % 5 === 0 ? 500 : 200, latency_ms: 100 + i, first_byte_ms: 50,
        prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cached_tokens: 0, cost_usd: 0.02, cache_status: i % 4 === 0 ? 'HIT' : 'MISS', retries: 0, rescued: false, stream: false,
        error_code: null, user: `user-${i % 3}`, metadata: { team: i % 2 ? 'search' : 'chat' }, ...over,
      });
      const ws = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data.find((w: any) => w.defaults.is_default === 1);
      const rows = Array.from({ length: 20 }, (_, i) => row(i, { workspace: ws.id }));
      expect((await call(t.url, 'POST', '/v1/sync/analytics', undefined, { gateway: 'g', rows }, { authorization: `Bearer ${t.clientAuth}` })).body.accepted).toBe(20);
      const fb: any = await portkey.feedback.create({ traceID: 'trace-1', value: 5, weight: 1, metadata: { by: 'test' } });
      await portkey.feedback.update({ feedbackID: fb.feedback_ids[0], value: 8 } as any);
      const range = { workspace_slug: ws.slug, time_of_generation_min: new Date(now - 3_600_000).toISOString(), time_of_generation_max: new Date(now + 60_000).toISOString() };
      const requests: any = await portkey.analytics.graphs.requests(range as any);
      expect(requests.summary.total).toBe(20);
      expect(requests.data_points.reduce((n: number, p: any) => n + p.total, 0)).toBe(20);
      const cost: any = await portkey.analytics.graphs.cost(range as any);
      expect(cost.summary.total).toBe(40);
      const errors: any = await portkey.analytics.graphs.errors_rate(range as any);
      expect(errors.summary.rate).toBe(20);
      const latency: any = await portkey.analytics.graphs.latency(range as any);
      expect(latency.summary.p50).toBeGreaterThanOrEqual(105);
      const hit: any = await portkey.analytics.graphs.cache_hit_rate(range as any);
      expect(hit.summary).toEqual({ total: 5, rate: 25 });
      const users: any = await portkey.analytics.graphs.users(range as any);
      expect(users.summary.total).toBe(3);
      const models: any = await portkey.analytics.groups.aiModels(range as any);
      expect(models.data.map((m: any) => [m.ai_model, m.requests])).toEqual([['gpt-4o', '10'], ['gpt-4o-mini', '10']]);
      const team: any = await portkey.analytics.groups.metadata('team', range as any);
      expect(team.data.map((m: any) => m.metadata_value).sort()).toEqual(['chat', 'search']);
      const filtered: any = await portkey.analytics.graphs.requests({ ...range, metadata: JSON.stringify({ team: 'search' }), status_code: '200' } as any);
      expect(filtered.summary.total).toBe(8);
      const byModel: any = await portkey.analytics.graphs.requests({ ...range, ai_org_model: 'openai__gpt-4o' } as any);
      expect(byModel.summary.total).toBe(10);
      const cache: any = await portkey.analytics.summary.cache(range as any);
      expect(cache.summary.hits).toBe(5);
      const feedbacks = await call(h.url, 'GET', `/v1/analytics/graphs/feedbacks?${new URLSearchParams(range)}`, t.adminKey);
      expect(feedbacks.body.summary.total).toBe(1);
      const weighted = await call(h.url, 'GET', `/v1/analytics/graphs/feedbacks/weighted?${new URLSearchParams(range)}`, t.adminKey);
      expect(weighted.body.summary.avg).toBe(8);
      const bad = await call(t.url, 'GET', `/v1/analytics/graphs/requests?time_of_generation_min=yesterday`, t.adminKey);
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe('time_of_generation_min');
    });

    it('the audit log lists admin changes', async () => {
      const audit = await call(h.url, 'GET', '/v1/audit-logs?resource_type=guardrail', t.adminKey);
      expect(audit.body.records.map((r: any) => r.action).sort()).toEqual(['create', 'delete', 'update']);
      expect(audit.body.records[0]).toMatchObject({ method: 'DELETE', user_type: 'api_key', organisation_id: t.organisationId });
    });
  });
}
