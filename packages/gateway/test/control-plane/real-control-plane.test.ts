import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually } from '../helpers/gateway.js';
import { chat, startSyncedGateway, BUILT_CONTROL_PLANE, startBuiltControlPlane, type ControlPlaneProcess, type SyncedGateway } from './helpers.js';

/**
 * The gateway against the real control plane (packages/control-plane, built), as `npm start` runs it:
 * admin calls made with the portkey-ai SDK through the gateway's base URL, keys and providers that
 * then work on two gateways within 2 s, and a revoked key refused on both within 2 s.
 */
const cpMain = BUILT_CONTROL_PLANE;
const ORG = randomUUID();
const CLIENT_AUTH = `pcl-${randomUUID()}`;
const ADMIN_KEY = `pt-admin-${randomUUID()}`;

let upstream: FakeOpenAI;
let cp: ControlPlaneProcess | undefined;
let cpUrl: string;
const gateways: SyncedGateway[] = [];

beforeAll(async () => {
  if (!existsSync(cpMain)) return;
  upstream = await startFakeOpenAI();
  cp = await startBuiltControlPlane({ ORGANISATION_ID: ORG, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ADMIN_API_KEY: ADMIN_KEY });
  cpUrl = cp.url;
  for (let i = 0; i < 2; i++) gateways.push(await startSyncedGateway(cpUrl, CLIENT_AUTH, ORG));
}, 60_000);

afterAll(async () => {
  for (const g of gateways) await g.close();
  await cp?.close();
  await upstream?.close();
});

describe.skipIf(!existsSync(cpMain))('two gateways and the real control plane', () => {
  it('admin calls through the gateway; a key and a provider created there work on both gateways within 2 s; revoked, refused within 2 s', async () => {
    const [a, b] = gateways;
    const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: `${a.url}/v1` });
    const integ = await admin.integrations.create({ name: 'OpenAI fake', ai_provider_id: 'openai', key: 'sk-real-cp-secret', slug: 'openai-fake', configurations: { custom_host: upstream.baseUrl } } as never) as unknown as { slug: string };
    expect(integ.slug).toBe('openai-fake');
    // A first key warms both gateways' request path (and their upstream connections), unmeasured.
    const warm = await admin.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'warm-up', scopes: ['completions.write'] } as never) as unknown as { key: string };
    await Promise.all(gateways.map((g) => eventually(async () => expect((await chat(g.url, warm.key, { 'x-portkey-virtual-key': 'openai-fake' })).status).toBe(200), 10_000, 50)));
    const created = await admin.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'inference', scopes: ['completions.write'] } as never) as unknown as { id: string; key: string };
    expect(created.key).toBeTruthy();
    const config = await admin.configs.create({ name: 'via fake', config: { retry: { attempts: 1 }, virtual_key: 'openai-fake' } } as never) as unknown as { data: { slug: string; id: string } };

    const t0 = Date.now();
    await Promise.all(gateways.map((g) => eventually(async () => {
      const r = await fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': created.key }, body: JSON.stringify({ model: '@openai-fake/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(r.status, await r.text()).toBe(200);
    }, 2000, 25)));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-real-cp-secret');

    // The same key through the SDK, with the saved config by slug.
    const user = new Portkey({ apiKey: created.key, baseURL: `${b.url}/v1`, config: config.data.slug });
    const c = await user.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    expect(c.choices?.[0]?.message?.content).toBeTruthy();

    const t1 = Date.now();
    await admin.apiKeys.delete({ id: created.id } as never);
    await Promise.all(gateways.map((g) => eventually(async () => expect((await chat(g.url, created.key, { 'x-portkey-virtual-key': 'openai-fake' })).status).toBe(401), 2000, 25)));
    expect(Date.now() - t1).toBeLessThan(2000);

    // Rows reach the control plane, which takes them (2xx).
    await eventually(async () => {
      const m = await (await fetch(`${a.url}/metrics`)).text();
      expect(Number(/portico_analytics_rows_sent_total (\d+)/.exec(m)?.[1] ?? 0)).toBeGreaterThan(0);
    }, 5000, 100);
    const health = await (await fetch(`${a.url}/v1/health`)).json() as { status: string };
    expect(health.status).toBe('ok');
  });

  it('prompts with partials, a saved guardrail named by id in a config, and analytics read back through the gateway', async () => {
    const [a, b] = gateways;
    const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: `${a.url}/v1` });
    const integ = await admin.integrations.create({ name: 'OpenAI fake 2', ai_provider_id: 'openai', key: 'sk-real-cp-secret-2', slug: 'openai-fake-2', configurations: { custom_host: upstream.baseUrl } } as never) as unknown as { slug: string };
    const key = await admin.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'prompts', scopes: ['completions.write'] } as never) as unknown as { key: string };
    const partial = await admin.prompts.partials.create({ name: 'persona', string: 'You are {{persona}}. Be brief.' } as never) as unknown as { slug: string };
    const collections = await (await fetch(`${a.url}/v1/collections`, { headers: { 'x-portkey-api-key': ADMIN_KEY } })).json() as { data: Array<{ id: string; is_default: unknown }> };
    const prompt = await admin.prompts.create({
      name: 'explain', collection_id: collections.data.find((c) => c.is_default)!.id, model: 'gpt-4o-mini', virtual_key: integ.slug, parameters: { temperature: 0.3, max_tokens: 40 },
      string: JSON.stringify([{ role: 'system', content: `{{>${partial.slug}}}` }, { role: 'user', content: 'Explain {{topic}}.' }]),
    } as never) as unknown as { id: string; slug: string };
    const guardrail = await admin.guardrails.create({ name: 'no secrets', checks: [{ id: 'default.contains', parameters: { operator: 'none', words: ['topsecret'] } }], actions: { deny: true, async: false } } as never) as unknown as { id: string };
    const config = await admin.configs.create({ name: 'guarded', config: { virtual_key: integ.slug, input_guardrails: [guardrail.id] } } as never) as unknown as { data: { slug: string } };

    const user = new Portkey({ apiKey: key.key, baseURL: `${b.url}/v1` });
    const rendered = await eventually(async () => await user.prompts.render({ promptID: prompt.id, variables: { persona: 'a tutor', topic: 'tides' } } as never) as unknown as { data: { messages: unknown; temperature: number } }, 2000, 25);
    expect(rendered.data.messages).toEqual([{ role: 'system', content: 'You are a tutor. Be brief.' }, { role: 'user', content: 'Explain tides.' }]);
    const done = await user.prompts.completions.create({ promptID: prompt.slug, variables: { persona: 'a tutor', topic: 'tides' }, temperature: 0.9 } as never) as unknown as { choices: Array<{ message: { content: string } }> };
    expect(done.choices[0].message.content).toBeTruthy();
    expect(upstream.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.9, max_tokens: 40 });
    expect(upstream.requests.at(-1)!.headers.authorization).toBe('Bearer sk-real-cp-secret-2');

    const guarded = new Portkey({ apiKey: key.key, baseURL: `${b.url}/v1`, config: config.data.slug });
    // The config was made after the prompt: it may reach this gateway in a later change batch (within 2 s).
    const served = await eventually(async () => await guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }), 2000, 25);
    expect(served.choices?.[0]?.message?.content).toBeTruthy();
    await expect(guarded.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the topsecret plan' }] })).rejects.toMatchObject({ status: 446 });

    // The rows of these requests, read back with the SDK's analytics client through the gateway.
    const workspaces = await (await fetch(`${a.url}/v1/admin/workspaces`, { headers: { 'x-portkey-api-key': ADMIN_KEY } })).json() as { data: Array<{ slug: string; defaults?: { is_default?: unknown } }> };
    const ws = workspaces.data.find((w) => w.defaults?.is_default) ?? workspaces.data[0];
    const range = { workspace_slug: ws.slug, time_of_generation_min: new Date(Date.now() - 600_000).toISOString(), time_of_generation_max: new Date(Date.now() + 60_000).toISOString() };
    await eventually(async () => {
      const graph = await admin.analytics.graphs.requests(range as never) as unknown as { summary: { total: number } };
      expect(graph.summary.total).toBeGreaterThanOrEqual(4);
    }, 10_000, 250);
  });
});
