import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually } from '../helpers/gateway.js';
import { startRedis, type RedisServer } from '@portico/test-support/redis';
import { startSyncedGateway, BUILT_CONTROL_PLANE, startBuiltControlPlane, type ControlPlaneProcess, type SyncedGateway } from './helpers.js';

/**
 * Policies and workspace limits end to end: the real control plane (packages/control-plane, built)
 * and a gateway syncing from it. A usage-limit policy refuses a key's request once its tokens are
 * spent, /entities reports the usage from the gateway's analytics rows, and a reset lets the key
 * through again; a workspace rate limit refuses the request past it, and lifting it lets it through.
 * Once with one gateway counting in process, once with two gateways sharing their counters in Redis
 * (requests alternate between them, and the limits hold across both).
 */
const cpMain = BUILT_CONTROL_PLANE;
const ORG = randomUUID();
const CLIENT_AUTH = `pcl-${randomUUID()}`;
const ADMIN_KEY = `pt-admin-${randomUUID()}`;

let upstream: FakeOpenAI;
let cp: ControlPlaneProcess | undefined;
let cpUrl: string;
let redis: RedisServer | undefined;

beforeAll(async () => {
  if (!existsSync(cpMain)) return;
  upstream = await startFakeOpenAI();
  cp = await startBuiltControlPlane({ ORGANISATION_ID: ORG, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ADMIN_API_KEY: ADMIN_KEY });
  cpUrl = cp.url;
  redis = await startRedis();
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  await cp?.close();
  await upstream?.close();
});

/** An admin call to the control plane (the SDK has no policy methods). */
async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${cpUrl}${path}`, { method, headers: { 'x-portkey-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() };
}

for (const mode of ['memory', 'redis'] as const) describe.skipIf(!existsSync(cpMain))(`policies and workspace limits, enforced by ${mode === 'memory' ? 'a gateway (in-process counters)' : 'two gateways sharing counters in Redis'} synced from the real control plane`, () => {
  let key: { id: string; key: string };
  let other: { id: string; key: string };
  let sdk: Portkey;
  const gateways: SyncedGateway[] = [];
  const provider = `openai-${mode}`;
  let turn = 0;
  /** The next gateway, round robin. */
  const next = () => gateways[turn++ % gateways.length];

  /** A small chat (estimated at about 25 tokens; the fake upstream reports 21 used). */
  async function chat(apiKey: string, headers: Record<string, string> = {}, on = next()): Promise<{ status: number; body: any }> {
    const r = await fetch(`${on.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': apiKey, ...headers },
      body: JSON.stringify({ model: `@${provider}/gpt-4o-mini`, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: r.status, body: await r.json() };
  }

  /** What each gateway enforces of a policy (its rule and resets), for a failure's message. */
  const policyViews = (id: string) => gateways.map((g) => g.gateway.deps.entities.orgLimits?.(ORG)?.policyList.find((p) => p.id === id));

  beforeAll(async () => {
    if (!existsSync(cpMain)) return;
    const env: Record<string, string> = mode === 'redis' ? { CACHE_STORE: 'redis', REDIS_URL: redis!.url } : {};
    for (let i = 0; i < (mode === 'redis' ? 2 : 1); i++) gateways.push(await startSyncedGateway(cpUrl, CLIENT_AUTH, ORG, env));
    // Admin calls through the gateway's base URL, as a Portkey SDK client with one base URL makes them.
    sdk = new Portkey({ apiKey: ADMIN_KEY, baseURL: `${gateways[0].url}/v1` });
    await sdk.integrations.create({ name: `OpenAI fake ${mode}`, ai_provider_id: 'openai', key: 'sk-policies', slug: provider, configurations: { custom_host: upstream.baseUrl } } as never);
    key = await sdk.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'team a', scopes: ['completions.write'] } as never) as never;
    other = await sdk.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'team b', scopes: ['completions.write'] } as never) as never;
    for (let i = 0; i < gateways.length; i++) await eventually(async () => expect((await chat(other.key)).status).toBe(200), 5000, 50);
  }, 30_000);
  afterAll(async () => {
    for (const g of gateways) await g.close();
  });

  it('a usage-limit policy refuses a key past its tokens; /entities reports the usage; a reset lets it through again', async () => {
    const policy = await admin('POST', '/v1/policies/usage-limits', { name: 'Tokens per key', conditions: [{ key: 'api_key', value: key.id }], group_by: [{ key: 'api_key' }], type: 'tokens', credit_limit: 100 });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    // Synced within 2 s: a few requests of 21 tokens fit in 100, then the next one's estimate (about 25)
    // does not. (With Redis, units leased to one gateway are not the other's until they come back, so
    // fewer may fit: the engine errs on the safe side.)
    const t0 = Date.now();
    await eventually(async () => expect((await chat(key.key)).status).toBe(429), 2000, 25);
    expect(Date.now() - t0).toBeLessThan(2000);
    // Every gateway refuses it (with Redis, they share the key's count).
    for (const g of gateways) {
      const refused = await eventually(async () => {
        const r = await chat(key.key, {}, g);
        expect(r.status).toBe(429);
        return r;
      }, 2000, 25);
      expect(refused.body.error).toMatchObject({ code: 'policy_usage_limit_exceeded', type: 'rate_limit_error' });
      expect(refused.body.error.message).toContain('"Tokens per key"');
    }
    // The condition names one key: the other key is not limited.
    expect((await chat(other.key)).status).toBe(200);

    // The gateway's analytics rows reach the control plane; /entities counts the tokens the key used.
    const entity = await eventually(async () => {
      const list = await admin('GET', `/v1/policies/usage-limits/${policy.body.id}/entities`);
      expect(list.body.data).toHaveLength(1);
      expect(list.body.data[0]).toMatchObject({ value_key: `api_key:${key.id}` });
      expect(list.body.data[0].current_usage).toBeGreaterThanOrEqual(42);
      return list.body.data[0] as { id: string; current_usage: number };
    }, 10_000, 200);
    expect(entity.current_usage % 21).toBe(0);

    // The 2 s run from when the reset is made (the API's answer), not from sending it on a loaded machine.
    expect((await admin('PUT', `/v1/policies/usage-limits/${policy.body.id}/entities/${entity.id}/reset`)).status).toBe(200);
    const t1 = Date.now();
    await eventually(async () => {
      const r = await chat(key.key);
      expect(r.status, `still refused (${r.body.error?.message}); the gateways hold ${JSON.stringify(policyViews(policy.body.id))}`).toBe(200);
    }, 5000, 25);
    expect(Date.now() - t1).toBeLessThan(2000);
    const after = await admin('GET', `/v1/policies/usage-limits/${policy.body.id}/entities`);
    expect(after.body.data[0].current_usage).toBeLessThan(42);

    // Archived, the policy no longer limits anything.
    await admin('DELETE', `/v1/policies/usage-limits/${policy.body.id}`);
    await eventually(async () => {
      for (let i = 0; i < 3; i++) expect((await chat(key.key)).status).toBe(200);
    }, 2000, 25);
  });

  it('a usage-limit policy that resets every N days (periodic_reset_days) refuses until the period ends, and says when', async () => {
    const policy = await admin('POST', '/v1/policies/usage-limits', { name: 'Tokens every 10 days', conditions: [{ key: 'api_key', value: key.id }], group_by: [{ key: 'api_key' }], type: 'tokens', credit_limit: 60, periodic_reset_days: 10 });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    const nextReset = Date.parse((await admin('GET', `/v1/policies/usage-limits/${policy.body.id}`)).body.next_usage_reset_at);
    const refused = await eventually(async () => {
      const r = await fetch(`${next().url}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': key.key },
        body: JSON.stringify({ model: `@${provider}/gpt-4o-mini`, max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(r.status).toBe(429);
      return { body: await r.json(), retryAfter: Number(r.headers.get('retry-after')) };
    }, 3000, 25);
    expect(refused.body.error.code).toBe('policy_usage_limit_exceeded');
    expect(refused.body.error.message).toContain('tokens per 10 days (periodic_reset_days) limit of 60');
    // Retry-After points at the end of the 10-day period that began when the policy was made.
    expect(Math.abs(Date.now() + refused.retryAfter * 1000 - nextReset)).toBeLessThan(5000);
    await admin('DELETE', `/v1/policies/usage-limits/${policy.body.id}`);
    await eventually(async () => expect((await chat(key.key)).status).toBe(200), 2000, 25);
  });

  it('a rate-limit policy grouped by metadata gives each user their own requests per hour', async () => {
    const policy = await admin('POST', '/v1/policies/rate-limits', { conditions: [{ key: 'metadata.team', value: 'search' }], group_by: [{ key: 'metadata._user' }], type: 'requests', unit: 'rph', value: 1 });
    expect(policy.status).toBe(200);
    const as = (user: string, team = 'search', on = next()) => chat(other.key, { 'x-portkey-metadata': JSON.stringify({ _user: user, team }) }, on);
    const alice = `alice-${randomUUID()}`;
    await eventually(async () => expect((await as(alice)).status).toBe(429), 2000, 25);
    // On every gateway, once the policy reached it.
    for (const g of gateways) await eventually(async () => expect((await as(alice, 'search', g)).body.error?.code).toBe('policy_rate_limit_exceeded'), 2000, 25);
    expect((await as(`bob-${randomUUID()}`)).status).toBe(200);
    expect((await as(alice, 'ads')).status).toBe(200);
    await admin('DELETE', `/v1/policies/rate-limits/${policy.body.id}`);
  });

  it('a workspace rate limit refuses the request past it, for every key of the workspace; lifting it lets requests through again', async () => {
    const list = await admin('GET', '/v1/admin/workspaces');
    const ws = list.body.data.find((w: any) => w.defaults.is_default);
    await sdk.admin.workspaces.update({ workspaceId: ws.id, rate_limits: [{ type: 'requests', unit: 'rph', value: 2 }] } as never);
    // Within 2 s the third request of the hour (across both keys of the workspace) is refused.
    const t0 = Date.now();
    let served = 0;
    const refused = await eventually(async () => {
      const r = await chat(served % 2 ? key.key : other.key);
      if (r.status === 200) served++;
      expect(r.status).toBe(429);
      return r;
    }, 2000, 25);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(refused.body.error).toMatchObject({ code: 'workspace_rate_limit_exceeded', type: 'rate_limit_error' });
    expect(refused.body.error.message).toContain(`workspace ${ws.id}`);
    for (const g of gateways) await eventually(async () => expect((await chat(key.key, {}, g)).status).toBe(429), 2000, 25);

    await sdk.admin.workspaces.update({ workspaceId: ws.id, rate_limits: [] } as never);
    const t1 = Date.now();
    for (const g of gateways) await eventually(async () => expect((await chat(key.key, {}, g)).status).toBe(200), 5000, 25);
    expect(Date.now() - t1).toBeLessThan(2000);
  });
});
