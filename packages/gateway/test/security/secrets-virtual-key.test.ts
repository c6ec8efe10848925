/**
 * Attacks on saved provider credentials (issue #24 items 1 and 13b). A key holder names a virtual key and
 * tries to make the gateway send its secret somewhere else, authenticate differently, or split the
 * upstream request's headers. Expected outcome each time: a 400 naming the field, and nothing reaches
 * the attacker's host.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';

const OPENAI_SECRET = 'sk-saved-openai-secret-0123456789abcdef';
const AZURE_SECRET = 'azure-saved-secret-0123456789abcdef';
const KEY_A = 'pk-team-a-0123456789';
const KEY_B = 'pk-team-b-0123456789';

let gw: TestGateway;
let saved: RecordingUpstream;
let attacker: RecordingUpstream;

beforeAll(async () => {
  [saved, attacker] = await Promise.all([startRecordingUpstream(), startRecordingUpstream()]);
  Object.assign(process.env, { SEC_VK_OPENAI: OPENAI_SECRET, SEC_VK_AZURE: AZURE_SECRET, SEC_VK_KEY_A: KEY_A, SEC_VK_KEY_B: KEY_B });
  gw = await startTestGateway({}, {
    entities: `keys:
  - { id: team-a, key_env: SEC_VK_KEY_A, workspace: wsA }
  - { id: team-b, key_env: SEC_VK_KEY_B, workspace: wsB }
virtual_keys:
  - slug: openai-prod
    provider: openai
    api_key: \${SEC_VK_OPENAI}
    settings: { custom_host: "${saved.baseUrl}" }
  - slug: azure-prod
    provider: azure-openai
    api_key: \${SEC_VK_AZURE}
    settings: { custom_host: "${saved.url}/openai", deployment_id: gpt4o, api_version: "2024-10-21" }
  - slug: openai-relay
    provider: openai
    api_key: \${SEC_VK_OPENAI}
    settings: { custom_host: "${saved.baseUrl}", allow_request_routing: "true" }
  - slug: ws-a-openai
    provider: openai
    api_key: \${SEC_VK_OPENAI}
    workspace: wsA
    settings: { custom_host: "${saved.baseUrl}" }
configs:
  - id: wsa-config
    workspace: wsA
    config: { virtual_key: openai-prod }
  - id: operator-routed
    config: { virtual_key: openai-prod, custom_host: "${saved.url}/operator/v1" }
`,
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([saved?.close(), attacker?.close()]);
});
beforeEach(() => {
  saved.requests.length = 0;
  attacker.requests.length = 0;
});

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

async function chat(headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-portkey-api-key': KEY_A, ...headers },
    body: JSON.stringify(BODY),
  });
  return { status: res.status, body: await res.json() };
}

/** What no host but the saved one may ever see. */
function attackerSawNothing(): void {
  expect(attacker.requests).toEqual([]);
}

describe('attack: a virtual key with x-portkey-custom-host pointing at the attacker', () => {
  it('is refused with a 400 naming custom_host, and the attacker receives nothing', async () => {
    const r = await chat({ 'x-portkey-virtual-key': 'openai-prod', 'x-portkey-custom-host': attacker.baseUrl });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: 'custom_host', code: 'virtual_key_override_forbidden' });
    expect(r.body.error.message).toContain('openai-prod');
    attackerSawNothing();
    expect(saved.requests).toEqual([]);
  });
});

describe('attack: the same through an inline config target', () => {
  it('is refused whether custom_host sits beside virtual_key or is inherited from the header', async () => {
    const inline = await chat({ 'x-portkey-config': JSON.stringify({ virtual_key: 'openai-prod', custom_host: attacker.baseUrl }) });
    expect(inline.status).toBe(400);
    expect(inline.body.error.param).toBe('custom_host');
    const inherited = await chat({
      'x-portkey-custom-host': attacker.baseUrl,
      'x-portkey-config': JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ virtual_key: 'openai-prod' }] }),
    });
    expect(inherited.status).toBe(400);
    expect(inherited.body.error.param).toBe('custom_host');
    attackerSawNothing();
  });
});

describe('attack: an Azure virtual key sent to another resource or host', () => {
  it('x-portkey-azure-resource-name, x-portkey-custom-host and a swapped auth mode are each refused by name', async () => {
    const resource = await chat({ 'x-portkey-virtual-key': 'azure-prod', 'x-portkey-azure-resource-name': 'attacker-resource' });
    expect(resource.status).toBe(400);
    expect(resource.body.error.param).toBe('resource_name');
    const host = await chat({ 'x-portkey-virtual-key': 'azure-prod', 'x-portkey-custom-host': `${attacker.url}/openai` });
    expect(host.status).toBe(400);
    expect(host.body.error.param).toBe('custom_host');
    const auth = await chat({ 'x-portkey-virtual-key': 'azure-prod', 'x-portkey-azure-auth-mode': 'entra' });
    expect(auth.status).toBe(400);
    expect(auth.body.error.param).toBe('azure_auth_mode');
    attackerSawNothing();
    expect(saved.requests).toEqual([]);
  });
});

describe('attack: request headers that override a virtual key\'s stored settings', () => {
  it('the stored deployment and api version are used, whatever the headers say', async () => {
    const r = await chat({ 'x-portkey-virtual-key': 'azure-prod', 'x-portkey-azure-deployment-id': 'other-deployment', 'x-portkey-azure-api-version': '1999-01-01' });
    expect(r.status).toBe(200);
    expect(saved.requests).toHaveLength(1);
    expect(saved.requests[0].url).toBe('/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
    expect(saved.requests[0].headers['api-key']).toBe(AZURE_SECRET);
  });
});

describe('control: the virtual key alone, and one that allows request routing', () => {
  it('the secret goes to the saved host only', async () => {
    const r = await chat({ 'x-portkey-virtual-key': 'openai-prod' });
    expect(r.status).toBe(200);
    expect(saved.requests.map((q) => q.headers.authorization)).toEqual([`Bearer ${OPENAI_SECRET}`]);
    attackerSawNothing();
  });

  it('allow_request_routing: "true" in the virtual key lets the request choose the host', async () => {
    const r = await chat({ 'x-portkey-virtual-key': 'openai-relay', 'x-portkey-custom-host': attacker.baseUrl });
    expect(r.status).toBe(200);
    expect(attacker.requests).toHaveLength(1);
  });
});

describe('attack: a key of workspace B uses workspace A\'s virtual key', () => {
  it('is refused as if the virtual key did not exist; workspace A\'s own key may use it', async () => {
    const other = await chat({ 'x-portkey-api-key': KEY_B, 'x-portkey-virtual-key': 'ws-a-openai' });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ param: 'virtual_key', code: 'unknown_virtual_key' });
    expect(saved.requests).toEqual([]);
    const own = await chat({ 'x-portkey-api-key': KEY_A, 'x-portkey-virtual-key': 'ws-a-openai' });
    expect(own.status).toBe(200);
  });
});

describe('control: a saved config (the operator\'s) may route a virtual key to a host it names', () => {
  it('the secret goes there; the same config with a caller\'s x-portkey-custom-host is refused', async () => {
    const r = await chat({ 'x-portkey-config': 'operator-routed' });
    expect(r.status).toBe(200);
    expect(saved.requests.map((q) => [q.url, q.headers.authorization])).toEqual([['/operator/v1/chat/completions', `Bearer ${OPENAI_SECRET}`]]);
    const inherited = await chat({ 'x-portkey-config': 'wsa-config', 'x-portkey-custom-host': attacker.baseUrl });
    expect(inherited.status).toBe(400);
    expect(inherited.body.error.param).toBe('custom_host');
    attackerSawNothing();
  });
});

describe('attack: a key of workspace B names workspace A\'s saved config', () => {
  it('is refused as an unknown config; workspace A\'s own key may use it', async () => {
    const other = await chat({ 'x-portkey-api-key': KEY_B, 'x-portkey-config': 'wsa-config' });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ param: 'x-portkey-config', code: 'unknown_config' });
    expect(saved.requests).toEqual([]);
    const own = await chat({ 'x-portkey-api-key': KEY_A, 'x-portkey-config': 'wsa-config' });
    expect(own.status).toBe(200);
  });
});

describe('attack: CR/LF in a config api_key, to inject upstream headers', () => {
  it('is a 400 naming api_key, not a 502, and nothing is sent', async () => {
    const r = await chat({ 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: attacker.baseUrl, api_key: 'sk-abc\r\nx-injected: 1' }) });
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('api_key');
    attackerSawNothing();
  });
});

describe('attack: x-portkey-forward-headers naming a hop-by-hop header (expect)', () => {
  it('is a 400 naming forward_headers, not a 502', async () => {
    // fetch refuses to send Expect itself; node:http sends it as given.
    const { status, body } = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = JSON.stringify(BODY);
      const req = httpRequest(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), expect: '100-continue',
          'x-portkey-api-key': KEY_A, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': attacker.baseUrl, authorization: 'Bearer sk-caller-own-key-0123456789',
          'x-portkey-forward-headers': 'expect',
        },
      }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(payload);
    });
    expect(status).toBe(400);
    expect(body.error.param).toBe('forward_headers');
    expect(body.error.message).toContain('expect');
    attackerSawNothing();
  });
});
