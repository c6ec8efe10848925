import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { eventually } from '../helpers/gateway.js';
import { freePort } from '../helpers/redis-harness.js';
import { findRepoRoot } from '../helpers/repo-root.js';
import { startSyncedGateway, type SyncedGateway } from './helpers.js';

/**
 * Policies and workspace limits end to end: the real control plane (packages/control-plane, built)
 * and a gateway syncing from it. A usage-limit policy refuses a key's request once its tokens are
 * spent, /entities reports the usage from the gateway's analytics rows, and a reset lets the key
 * through again; a workspace rate limit refuses the request past it, and lifting it lets it through.
 */
const root = findRepoRoot();
const cpMain = join(root, 'packages/control-plane/dist/main.js');
const ORG = randomUUID();
const CLIENT_AUTH = `pcl-${randomUUID()}`;
const ADMIN_KEY = `pt-admin-${randomUUID()}`;

let upstream: FakeOpenAI;
let cp: ChildProcess | undefined;
let cpUrl: string;
let dataDir: string;
let gateway: SyncedGateway;

beforeAll(async () => {
  if (!existsSync(cpMain)) return;
  upstream = await startFakeOpenAI();
  dataDir = mkdtempSync(join(tmpdir(), 'portico-policies-'));
  const port = await freePort();
  cpUrl = `http://127.0.0.1:${port}`;
  cp = spawn(process.execPath, [cpMain], {
    env: { ...process.env, HOST: '127.0.0.1', CONTROL_PLANE_PORT: String(port), DATA_DIR: dataDir, ORGANISATION_ID: ORG, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await eventually(async () => expect((await fetch(`${cpUrl}/v1/health`)).status).toBe(200), 15_000, 100);
  gateway = await startSyncedGateway(cpUrl, CLIENT_AUTH, ORG);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  if (cp && cp.exitCode === null) {
    const exited = new Promise((r) => cp!.once('exit', r));
    cp.kill('SIGTERM');
    await exited;
  }
  await upstream?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** An admin call to the control plane through the gateway's base URL (the SDK has no policy methods). */
async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${gateway.url}${path}`, { method, headers: { 'x-portkey-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: await r.json() };
}

/** A small chat (estimated at about 24 tokens; the fake upstream reports 21 used). */
async function chat(key: string): Promise<{ status: number; body: any }> {
  const r = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': key },
    body: JSON.stringify({ model: '@openai-policies/gpt-4o-mini', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: r.status, body: await r.json() };
}

describe.skipIf(!existsSync(cpMain))('policies and workspace limits, enforced by a gateway synced from the real control plane', () => {
  let key: { id: string; key: string };
  let other: { id: string; key: string };
  let sdk: Portkey;

  beforeAll(async () => {
    if (!gateway) return;
    sdk = new Portkey({ apiKey: ADMIN_KEY, baseURL: `${gateway.url}/v1` });
    await sdk.integrations.create({ name: 'OpenAI fake', ai_provider_id: 'openai', key: 'sk-policies', slug: 'openai-policies', configurations: { custom_host: upstream.baseUrl } } as never);
    key = await sdk.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'team a', scopes: ['completions.write'] } as never) as never;
    other = await sdk.apiKeys.create({ type: 'workspace', 'sub-type': 'service', name: 'team b', scopes: ['completions.write'] } as never) as never;
    await eventually(async () => expect((await chat(other.key)).status).toBe(200), 5000, 50);
  });

  it('a usage-limit policy refuses a key past its tokens; /entities reports the usage; a reset lets it through again', async () => {
    const policy = await admin('POST', '/v1/policies/usage-limits', { name: 'Tokens per key', conditions: [{ key: 'api_key', value: key.id }], group_by: [{ key: 'api_key' }], type: 'tokens', credit_limit: 50 });
    expect(policy.status, JSON.stringify(policy.body)).toBe(200);
    // Synced within 2 s: 21 + 21 tokens fit in 50, the third request's estimate does not.
    const t0 = Date.now();
    await eventually(async () => expect((await chat(key.key)).status).toBe(429), 2000, 25);
    expect(Date.now() - t0).toBeLessThan(2000);
    const refused = await chat(key.key);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'policy_usage_limit_exceeded', type: 'rate_limit_error' });
    expect(refused.body.error.message).toContain('"Tokens per key"');
    // The condition names one key: the other key is not limited.
    expect((await chat(other.key)).status).toBe(200);

    // The gateway's analytics rows reach the control plane; /entities counts the tokens the key used.
    const entity = await eventually(async () => {
      const list = await admin('GET', `/v1/policies/usage-limits/${policy.body.id}/entities`);
      expect(list.body.data).toHaveLength(1);
      // 42 of 50 tokens used: not exhausted, but the next request's estimate (about 24) does not fit.
      expect(list.body.data[0]).toMatchObject({ value_key: `api_key:${key.id}` });
      expect(list.body.data[0].current_usage).toBeGreaterThanOrEqual(42);
      return list.body.data[0] as { id: string; current_usage: number };
    }, 10_000, 200);
    expect(entity.current_usage % 21).toBe(0);

    const t1 = Date.now();
    expect((await admin('PUT', `/v1/policies/usage-limits/${policy.body.id}/entities/${entity.id}/reset`)).status).toBe(200);
    await eventually(async () => expect((await chat(key.key)).status).toBe(200), 2000, 25);
    expect(Date.now() - t1).toBeLessThan(2000);
    const after = await admin('GET', `/v1/policies/usage-limits/${policy.body.id}/entities`);
    expect(after.body.data[0].current_usage).toBeLessThan(42);

    // Archived, the policy no longer limits anything.
    await admin('DELETE', `/v1/policies/usage-limits/${policy.body.id}`);
    await eventually(async () => {
      for (let i = 0; i < 3; i++) expect((await chat(key.key)).status).toBe(200);
    }, 2000, 25);
  });

  it('a rate-limit policy grouped by metadata gives each user their own requests per hour', async () => {
    const policy = await admin('POST', '/v1/policies/rate-limits', { conditions: [{ key: 'metadata.team', value: 'search' }], group_by: [{ key: 'metadata._user' }], type: 'requests', unit: 'rph', value: 1 });
    expect(policy.status).toBe(200);
    const as = (user: string, team = 'search') => fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': other.key, 'x-portkey-metadata': JSON.stringify({ _user: user, team }) },
      body: JSON.stringify({ model: '@openai-policies/gpt-4o-mini', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const alice = `alice-${randomUUID()}`;
    await eventually(async () => expect((await as(alice)).status).toBe(429), 2000, 25);
    const refused = await (await as(alice)).json() as { error: { code: string } };
    expect(refused.error.code).toBe('policy_rate_limit_exceeded');
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
    expect((await chat(key.key)).status).toBe(429);

    const t1 = Date.now();
    await sdk.admin.workspaces.update({ workspaceId: ws.id, rate_limits: [] } as never);
    await eventually(async () => expect((await chat(key.key)).status).toBe(200), 2000, 25);
    expect(Date.now() - t1).toBeLessThan(2000);
  });
});
