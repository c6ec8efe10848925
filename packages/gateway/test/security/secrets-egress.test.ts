/**
 * Attacks on the egress policy (issue #24 items 3, 13c and 13d): a key holder tries to make the gateway
 * connect somewhere it must not, through a Vertex key file's token_uri, a local model's default address,
 * or an IPv6 spelling of the cloud metadata address. Expected outcome: a 400 naming the field, no
 * connection, and no text from the forbidden host in the answer.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearVertexTokenCache } from '../../src/providers/vertex-ai/index.js';
import { checkChosenAddress, createEgressPolicy } from '../../src/upstream/egress-policy.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';

let gw: TestGateway;
let internal: RecordingUpstream;
let allowedTokenEndpoint: RecordingUpstream;
const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

beforeAll(async () => {
  [internal, allowedTokenEndpoint] = await Promise.all([startRecordingUpstream(), startRecordingUpstream()]);
  gw = await startTestGateway({ VERTEX_TOKEN_URIS: `${allowedTokenEndpoint.url}/token,https://169.254.169.254/token` });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([internal?.close(), allowedTokenEndpoint?.close()]);
});
beforeEach(() => {
  clearVertexTokenCache();
  internal.requests.length = 0;
  allowedTokenEndpoint.requests.length = 0;
});

const keyFile = (tokenUri: string) => JSON.stringify({
  type: 'service_account', project_id: 'p', private_key_id: 'k1', private_key: privateKey, client_email: 'attacker@p.iam.gserviceaccount.com', token_uri: tokenUri,
});

async function vertexChat(tokenUri: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-portkey-provider': 'vertex-ai', 'x-portkey-vertex-region': 'us-central1',
      'x-portkey-vertex-service-account-json': keyFile(tokenUri), 'x-portkey-custom-host': `${internal.url}/v1`,
    },
    body: JSON.stringify({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: await res.json() };
}

describe('attack: a Vertex key file whose token_uri is an internal service', () => {
  it('is refused before any connection: only Google\'s token endpoint (or one the operator allows) is used', async () => {
    const r = await vertexChat(`${internal.url}/admin/token`);
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('token_uri');
    expect(r.body.error.message).toContain('VERTEX_TOKEN_URIS');
    expect(internal.requests).toEqual([]);
  });
});

describe('attack: a token_uri the operator allowed, but that resolves to cloud metadata', () => {
  it('still passes the egress policy: a 400 custom_host_forbidden naming token_uri', async () => {
    const r = await vertexChat('https://169.254.169.254/token');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: 'token_uri', code: 'custom_host_forbidden' });
  });
});

describe('attack: reading an internal endpoint\'s error text through the token exchange', () => {
  it('only the status and the standard OAuth error code come back, never the endpoint\'s own words', async () => {
    allowedTokenEndpoint.answer({ status: 400, body: { error: 'invalid_grant', error_description: 'db password is hunter2-internal' } });
    const r = await vertexChat(`${allowedTokenEndpoint.url}/token`);
    expect(r.status).toBe(401);
    expect(allowedTokenEndpoint.requests).toHaveLength(1);
    expect(r.body.error.message).toContain('invalid_grant');
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
    allowedTokenEndpoint.answer({ status: 500, body: { error: { message: 'stack trace from 10.0.0.7: secret-internal-detail' } } });
    const again = await vertexChat(`${allowedTokenEndpoint.url}/token`);
    expect(again.status).toBe(502);
    expect(JSON.stringify(again.body)).not.toContain('secret-internal-detail');
  });
});

describe('attack: reading an internal page through a guardrail webhook\'s error', () => {
  it('the hook result names the status only, never the text that answered', async () => {
    internal.answer({ status: 500, body: { error: 'internal admin page: secret-admin-text' } }, { status: 200, body: '<html>secret-html-page</html>' });
    const hooks = (id: string) => ({ before_request_hooks: [{ id, deny: true, checks: [{ id: 'default.webhook', parameters: { webhookURL: `${internal.url}/admin` } }] }] });
    for (const [id, status] of [['first', 'HTTP 500'], ['second', 'verdict']]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-webhook-probe-0123456789', 'x-portkey-config': JSON.stringify({ provider: 'openai', custom_host: internal.baseUrl, ...hooks(id) }) },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await res.text();
      expect(text).not.toMatch(/secret-admin-text|secret-html-page/);
      expect(JSON.parse(text).hook_results.before_request_hooks[0].checks[0].error).toContain(status);
    }
  });
});

describe('attack: a local model provider\'s default address with CUSTOM_HOST_ALLOW_LOOPBACK=false', () => {
  it('vllm, lm-studio and ollama without custom_host are refused with a 400, not sent to loopback', async () => {
    const closed = await startTestGateway({ CUSTOM_HOST_ALLOW_LOOPBACK: 'false' });
    try {
      for (const provider of ['vllm', 'lm-studio', 'ollama']) {
        const res = await fetch(`${closed.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-portkey-provider': provider, 'x-portkey-request-timeout': '2000' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
        });
        const body = (await res.json()) as any;
        expect({ provider, status: res.status, code: body.error.code, param: body.error.param }).toEqual({ provider, status: 400, code: 'custom_host_forbidden', param: 'custom_host' });
        expect(body.error.message).toContain('CUSTOM_HOST_ALLOW_LOOPBACK');
      }
    } finally {
      await closed.close();
    }
  });
});

describe('attack: the cloud metadata address written as an IPv6 address that embeds it', () => {
  it('http://[::a9fe:a9fe]/ as custom_host is refused with custom_host_forbidden', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-provider': 'openai', authorization: 'Bearer sk-x', 'x-portkey-custom-host': 'http://[::a9fe:a9fe]/', 'x-portkey-request-timeout': '2000' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.code).toBe('custom_host_forbidden');
  });

  it('every embedding form (compatible, mapped, SIIT, NAT64, 6to4) is judged by the IPv4 address inside', () => {
    const open = createEgressPolicy(true, []);
    for (const a of ['::a9fe:a9fe', '::ffff:169.254.169.254', '::ffff:0:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '64:ff9b:1::a9fe:a9fe', '2002:a9fe:a9fe::1', 'fd00:ec2::254', '169.254.170.2']) {
      expect(checkChosenAddress(a, open), a).toMatch(/link-local|metadata/);
    }
    const noLoopback = createEgressPolicy(false, []);
    expect(checkChosenAddress('::7f00:1', noLoopback)).toMatch(/loopback/);
    expect(checkChosenAddress('::7f00:1', open)).toBeUndefined();
    expect(checkChosenAddress('::a00:1', open)).toMatch(/private or reserved/);
    expect(checkChosenAddress('64:ff9b::808:808', open)).toBeUndefined(); // NAT64 to a public address
  });
});
