import { Portkey } from 'portkey-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { emptySnapshot, gatewayKey, startFakeControlPlane, type FakeControlPlane } from './fake-control-plane.js';
import { startSyncedGateway, type SyncedGateway } from './helpers.js';

const ORG = 'org-prompts';
const CLIENT_AUTH = 'client-auth-prompts-0123456789abcdef';
const KEY = 'pk-prompts-key';
const OTHER_WS_KEY = 'pk-other-workspace-key';
const VK_SECRET = 'sk-prompt-provider-secret';

let upstream: FakeOpenAI;
let cp: FakeControlPlane;
let gw: SyncedGateway;
let portkey: Portkey;

const template = JSON.stringify([
  { role: 'system', content: '{{>house-style}}' },
  { role: 'user', content: 'Explain {{topic}} to a {{audience}}.' },
]);

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const s = emptySnapshot(ORG);
  s.keys.push(gatewayKey('k1', KEY, { organisation: ORG, workspace: 'ws-a' }));
  s.keys.push(gatewayKey('k2', OTHER_WS_KEY, { organisation: ORG, workspace: 'ws-b' }));
  s.virtualKeys.push({ slug: 'openai-prod', provider: 'openai', apiKey: VK_SECRET, settings: { custom_host: upstream.baseUrl }, workspace: 'ws-a' });
  s.partials.push({ id: 'pp-1', slug: 'house-style', workspace: 'ws-a', string: 'Answer briefly. {{>signature}}' });
  s.partials.push({ id: 'pp-2', slug: 'signature', workspace: 'ws-a', string: 'Sign as {{assistant_name}}.' });
  s.prompts.push({
    id: 'pr-explain', slug: 'explain', workspace: 'ws-a', template: null, default_version: 2, labels: { production: 1, staging: 3 },
    versions: [
      { version: 1, string: template, parameters: { temperature: 0.1, max_tokens: 50 }, model: 'gpt-4o-mini', virtual_key: 'openai-prod' },
      { version: 2, string: template, parameters: { temperature: 0.7, max_tokens: 100 }, model: 'gpt-4o', virtual_key: 'openai-prod' },
      { version: 3, string: JSON.stringify([{ role: 'user', content: 'Hi {{name}} {{>missing-partial}}' }]), parameters: {}, model: 'gpt-4o', virtual_key: 'openai-prod' },
    ],
  });
  s.guardrails.push({ id: 'pg-no-secrets', slug: 'no-secrets', workspace: 'ws-a', checks: [{ id: 'default.contains', parameters: { operator: 'none', words: ['topsecret'] } }], actions: { deny: true } });
  s.configs.push({ id: 'pc-guarded', slug: 'guarded', workspace: 'ws-a', json: JSON.stringify({ virtual_key: 'openai-prod', input_guardrails: ['pg-no-secrets'] }) });
  cp = await startFakeControlPlane({ organisation: ORG, clientAuth: CLIENT_AUTH, snapshot: s });
  gw = await startSyncedGateway(cp.url, CLIENT_AUTH, ORG);
  portkey = new Portkey({ apiKey: KEY, baseURL: `${gw.url}/v1` });
});

afterAll(async () => {
  await gw?.close();
  await cp?.close();
  await upstream?.close();
});

describe('prompts on the gateway, with the portkey-ai SDK', () => {
  it('renders the default version with variables and nested partials, request hyperparameters over the template\'s', async () => {
    const r = await portkey.prompts.render({ promptID: 'pr-explain', variables: { topic: 'fractals "quoted"', audience: 'child', assistant_name: 'Ada' }, temperature: 0.2 } as never) as unknown as { success: boolean; data: Record<string, unknown> };
    expect(r.success).toBe(true);
    expect(r.data.model).toBe('gpt-4o');
    expect(r.data.temperature).toBe(0.2);
    expect(r.data.max_tokens).toBe(100);
    expect(r.data.messages).toEqual([
      { role: 'system', content: 'Answer briefly. Sign as Ada.' },
      { role: 'user', content: 'Explain fractals "quoted" to a child.' },
    ]);
    expect(r.data).not.toHaveProperty('promptID');
    expect(r.data).not.toHaveProperty('variables');
  });

  it('picks a version by number, label, slug and latest', async () => {
    const render = async (id: string) => ((await portkey.prompts.render({ promptID: id, variables: { topic: 't', audience: 'a', name: 'n' } } as never)) as unknown as { data: { model: string; temperature?: number } }).data;
    expect((await render('pr-explain@1')).temperature).toBe(0.1);
    expect((await render('explain@production')).model).toBe('gpt-4o-mini');
    expect((await render('pr-explain@2')).temperature).toBe(0.7);
    await expect(render('pr-explain@latest')).rejects.toMatchObject({ status: 400 }); // v3 includes a missing partial
    await expect(render('pr-explain@nope')).rejects.toMatchObject({ status: 404 });
    await expect(render('pr-unknown')).rejects.toMatchObject({ status: 404 });
  });

  it('runs completions through the prompt\'s saved provider, JSON and streamed', async () => {
    upstream.reset();
    const c = await portkey.prompts.completions.create({ promptID: 'pr-explain', variables: { topic: 'tides', audience: 'sailor', assistant_name: 'Ada' }, max_tokens: 20 } as never) as unknown as { choices: Array<{ message: { content: string } }> };
    expect(c.choices[0].message.content).toBeTruthy();
    const sent = upstream.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${VK_SECRET}`);
    expect(sent.body).toMatchObject({ model: 'gpt-4o', temperature: 0.7, max_tokens: 20, messages: [{ role: 'system', content: 'Answer briefly. Sign as Ada.' }, { role: 'user', content: 'Explain tides to a sailor.' }] });

    const stream = await portkey.prompts.completions.create({ promptID: 'pr-explain@1', variables: { topic: 'tides', audience: 'sailor' }, stream: true } as never) as unknown as AsyncIterable<{ choices: Array<{ delta: { content?: string } }> }>;
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', stream: true });
  });

  it('keeps another workspace\'s prompt out of reach, and answers bad input with a 4xx naming the field', async () => {
    const other = new Portkey({ apiKey: OTHER_WS_KEY, baseURL: `${gw.url}/v1` });
    await expect(other.prompts.render({ promptID: 'pr-explain', variables: {} } as never)).rejects.toMatchObject({ status: 404 });
    const bad = await fetch(`${gw.url}/v1/prompts/pr-explain/render`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY }, body: JSON.stringify({ variables: ['x'] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('variables');
    const anon = await fetch(`${gw.url}/v1/prompts/pr-explain/render`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"variables":{}}' });
    expect(anon.status).toBe(401);
  });
});

describe('the model catalog and saved configs', () => {
  it('resolves model "@slug/model" and x-portkey-provider: @slug to the saved provider', async () => {
    upstream.reset();
    const c = await portkey.chat.completions.create({ model: '@openai-prod/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices?.[0]?.message?.content).toBeTruthy();
    expect(upstream.requests.at(-1)!.body.model).toBe('gpt-4o-mini');
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${VK_SECRET}`);
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY, 'x-portkey-provider': '@openai-prod' }, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(r.status).toBe(200);
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${VK_SECRET}`);
    const unknown = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY }, body: JSON.stringify({ model: '@nope/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(unknown.status).toBe(400);
  });

  it('keeps a workspace\'s providers, configs and guardrails from keys of another workspace', async () => {
    const post = (headers: Record<string, string>, model = 'gpt-4o-mini') => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': OTHER_WS_KEY, ...headers }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    const bySlug = await post({}, '@openai-prod/gpt-4o-mini');
    expect(bySlug.status).toBe(400);
    expect(((await bySlug.json()) as { error: { code: string } }).error.code).toBe('unknown_virtual_key');
    expect((await post({ 'x-portkey-virtual-key': 'openai-prod' })).status).toBe(400);
    const config = await post({ 'x-portkey-config': 'guarded' });
    expect(((await config.json()) as { error: { code: string } }).error.code).toBe('unknown_config');
    const guard = await post({ 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: upstream.baseUrl, input_guardrails: ['pg-no-secrets'] }) });
    expect(((await guard.json()) as { error: { code: string } }).error.code).toBe('unknown_guardrail');
  });

  it('resolves a saved config by id and by slug, with a saved guardrail named by id', async () => {
    for (const ref of ['pc-guarded', 'guarded']) {
      const ok = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY, 'x-portkey-config': ref }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }) });
      expect(ok.status).toBe(200);
      const denied = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY, 'x-portkey-config': ref }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the topsecret plan' }] }) });
      expect(denied.status).toBe(446);
    }
    // The guardrail changes on the control plane: the next request uses the new checks.
    const installed = new Promise<void>((r) => gw.gateway.deps.entities.onChange(() => r()));
    cp.change({ op: 'upsert', kind: 'guardrail', entity: { id: 'pg-no-secrets', slug: 'no-secrets', workspace: 'ws-a', checks: [{ id: 'default.contains', parameters: { operator: 'none', words: ['hello'] } }], actions: { deny: true } } });
    await installed; // the gateway has the new guardrail (not a fixed wait, which a loaded machine outlasts)
    const nowDenied = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY, 'x-portkey-config': 'pc-guarded' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }) });
    expect(nowDenied.status).toBe(446);
    const unknown = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY, 'x-portkey-config': JSON.stringify({ virtual_key: 'openai-prod', input_guardrails: ['pg-missing'] }) }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] }) });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_guardrail');
  });
});

describe('admin calls through the gateway', () => {
  it('forwards Portkey Admin API paths to the control plane unchanged, with the SDK', async () => {
    cp.adminCalls.length = 0;
    const created = await portkey.configs.create({ name: 'c1', config: { retry: { attempts: 2 } } } as never) as unknown as { echo: { method: string; url: string; body: unknown } };
    expect(created.echo).toEqual({ method: 'POST', url: '/v1/configs', body: { name: 'c1', config: { retry: { attempts: 2 } } } });
    await portkey.apiKeys.list({ workspace_id: 'ws-a' } as never);
    await portkey.admin.workspaces.list({} as never);
    await portkey.apiKeys.delete({ id: 'key-123' } as never);
    const calls = cp.adminCalls.map((c) => `${c.method} ${c.url}`);
    expect(calls).toEqual(['POST /v1/configs', 'GET /v1/api-keys?workspace_id=ws-a', 'GET /v1/admin/workspaces', 'DELETE /v1/api-keys/key-123']);
    // The caller's admin key reaches the control plane, which authenticates it; the gateway does not.
    expect(cp.adminCalls[0].headers['x-portkey-api-key']).toBe(KEY);
    // Statuses come back unchanged; the gateway's own prompt endpoints are not forwarded.
    const missing = await fetch(`${gw.url}/v1/guardrails/missing`, { headers: { 'x-portkey-api-key': KEY } });
    expect(missing.status).toBe(404);
    expect(cp.adminCalls.some((c) => c.url.includes('/render'))).toBe(false);
  });

  it('answers 502 in the error shape when the control plane is down', async () => {
    await cp.stop();
    try {
      const r = await fetch(`${gw.url}/v1/api-keys`, { headers: { 'x-portkey-api-key': KEY } });
      expect(r.status).toBe(502);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('control_plane_unreachable');
    } finally {
      await cp.restart();
    }
  });

  it('refuses an admin body over MAX_BODY_BYTES with 413, forwarding nothing', async () => {
    const small = await startSyncedGateway(cp.url, CLIENT_AUTH, ORG, { MAX_BODY_BYTES: '2048' });
    try {
      const before = cp.adminCalls.length;
      const r = await fetch(`${small.url}/v1/configs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY }, body: JSON.stringify({ name: 'big', config: { pad: 'x'.repeat(5000) } }) });
      expect(r.status).toBe(413);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
      expect(cp.adminCalls.length).toBe(before);
      const ok = await fetch(`${small.url}/v1/configs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY }, body: JSON.stringify({ name: 'small', config: {} }) });
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
