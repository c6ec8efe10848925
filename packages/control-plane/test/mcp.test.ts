import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Portkey } from 'portkey-ai';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { startFakeSecretsManager, type FakeSecretsManager } from './helpers/fake-secrets-manager.js';
import { startMcpServer, startOversizedServer, type TestMcpServer } from './helpers/mcp-server.js';
import { specMissing } from './helpers/portkey-spec.js';
import { useSdkHarness } from './helpers/sdk-harness.js';

/**
 * MCP integrations and servers through the official portkey-ai SDK (and raw calls where it has no
 * method), against a real MCP server built with @modelcontextprotocol/sdk; every exchange is
 * checked against Portkey's document.
 */
const TOKEN = 'mcp-token-0123456789';

for (const backend of backends) {
  const skip = skipReason(backend) ?? specMissing;
  describe.skipIf(Boolean(skip))(`MCP integrations and servers on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let sm: FakeSecretsManager;
    beforeAll(async () => {
      sm = await startFakeSecretsManager();
      sm.keys.set('AKIAFAKEPORTICO00002', 'mcp-test-secret-access-key');
      sm.secrets.set('mcp/headers', JSON.stringify({ Authorization: `Bearer ${TOKEN}` }));
    });
    const h = useSdkHarness(backend, () => ({ EGRESS_ALLOW_LOOPBACK: 'true', SECRET_REFERENCE_AWS_ENDPOINT: sm.url }));
    let t: TestControlPlane;
    let portkey: Portkey;
    let mcp: TestMcpServer;
    let integrationId: string;
    let serverId: string;
    let defaultWs: string;
    const api = (method: string, path: string, body?: unknown) => call(h.url, method, path, t.adminKey, body);

    beforeAll(async () => {
      t = h.t;
      portkey = h.portkey;
      mcp = await startMcpServer({ token: TOKEN });
      defaultWs = (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data.find((w: any) => w.defaults?.is_default === 1 || w.is_default)?.id
        ?? (await call(t.url, 'GET', '/v1/admin/workspaces', t.adminKey)).body.data[0].id;
    });
    afterAll(async () => {
      await mcp?.close();
      await sm?.close();
    });

    it('creates an organisation-wide integration; its auth header is sealed and shown masked', async () => {
      const created: any = await portkey.mcpIntegrations.create({ name: 'Records', slug: 'records', url: mcp.url, auth_type: 'headers', transport: 'http', configurations: { custom_headers: { Authorization: `Bearer ${TOKEN}` } } });
      expect(created.slug).toBe('records');
      integrationId = created.id;
      const got: any = await portkey.mcpIntegrations.retrieve({ id: 'records' });
      expect(got).toMatchObject({ id: integrationId, url: mcp.url, auth_type: 'headers', transport: 'http', type: 'organisation', workspace_id: null });
      expect(got.configurations.custom_headers).toEqual({ Authorization: '********' });
      expect(JSON.stringify(got)).not.toContain(TOKEN);
      const list: any = await portkey.mcpIntegrations.list({ type: 'organisation' });
      expect(list.data.map((i: any) => i.slug)).toEqual(['records']);
      expect(list.data[0].workspaces_count).toBe(0);
    });

    it('shares it with a workspace, makes an MCP server there, and tests the connection for real', async () => {
      const refused = await api('POST', '/v1/mcp-servers', { name: 'too early', mcp_integration_id: 'records' });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('not enabled for this workspace');
      await portkey.mcpIntegrations.workspaces.update({ id: 'records', workspaces: [{ id: defaultWs, enabled: true }] });
      const ws: any = await portkey.mcpIntegrations.workspaces.list({ id: 'records' });
      expect(ws.workspaces.find((w: any) => w.id === defaultWs)?.enabled).toBe(true);
      expect((await api('GET', '/v1/mcp-integrations/records/workspaces?version=2')).body.data.find((w: any) => w.id === defaultWs)?.enabled).toBe(true);
      const server: any = await portkey.mcpServers.create({ name: 'Records here', slug: 'records-here', mcp_integration_id: 'records' } as any);
      serverId = server.id;
      const got: any = await portkey.mcpServers.retrieve({ id: 'records-here' });
      expect(got).toMatchObject({ id: serverId, mcp_integration_id: integrationId, workspace_id: defaultWs });
      expect(got.mcp_integration_details.url).toBe(mcp.url);
      const listed: any = await portkey.mcpServers.list({});
      expect(listed.data[0]).toMatchObject({ slug: 'records-here', mcp_integration_slug: 'records', mcp_integration_url: mcp.url });
      const before = mcp.methods.length;
      const tested: any = await portkey.mcpServers.test({ id: serverId });
      expect(tested).toMatchObject({ success: true, status_code: 200, server_name: 'portico-test-mcp', url: mcp.url, error: null });
      expect(tested.response_time_ms).toBeGreaterThanOrEqual(0);
      expect(mcp.methods.slice(before)).toEqual(['initialize', 'notifications/initialized']);
    });

    it('lists the server\'s capabilities from tools/list, prompts/list and resources/list, with metadata', async () => {
      const caps: any = await portkey.mcpIntegrations.capabilities.list({ id: 'records' });
      const names = caps.data.map((c: any) => `${c.type}:${c.name}`).sort();
      expect(names).toEqual(['prompt:greet', 'resource:readme', 'resource_template:user', 'tool:add', 'tool:lookup']);
      expect(caps.counts.tools).toEqual({ total: 2, enabled: 2 });
      const lookup = caps.data.find((c: any) => c.name === 'lookup');
      expect(lookup).toMatchObject({ title: 'Look up', description: 'Finds a record by id', enabled: true });
      expect(lookup.input_schema.properties.id.type).toBe('string');
      expect(caps.data.find((c: any) => c.name === 'user').uri_template).toBe('users://{id}');
      expect(mcp.methods).toEqual(expect.arrayContaining(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']));
      const meta: any = await portkey.mcpIntegrations.metadata.get({ id: 'records' });
      expect(meta).toMatchObject({ server_name: 'portico-test-mcp', server_version: '1.2.3', sync_status: 'synced', sync_error: null });
      expect(meta.protocol_version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const tools = await api('GET', '/v1/mcp-integrations/records/capabilities?type=tool&page_size=1');
      expect(tools.body).toMatchObject({ total: 2, has_more: true });
      expect(tools.body.data).toHaveLength(1);
    });

    it('capabilities switched off at the integration stay off on its servers; a server can switch off more', async () => {
      await portkey.mcpIntegrations.capabilities.update({ id: 'records', capabilities: [{ name: 'add', type: 'tool', enabled: false }] });
      const unknown = await api('PUT', '/v1/mcp-integrations/records/capabilities', { capabilities: [{ name: 'nope', type: 'tool', enabled: false }] });
      expect(unknown.body.error.param).toBe('capabilities.0.name');
      const cannot = await api('PUT', `/v1/mcp-servers/${serverId}/capabilities`, { capabilities: [{ name: 'add', type: 'tool', enabled: true }] });
      expect(cannot.status).toBe(400);
      await portkey.mcpServers.capabilities.update({ id: serverId, capabilities: [{ name: 'lookup', type: 'tool', enabled: false }] } as any);
      const caps: any = await portkey.mcpServers.capabilities.list({ id: serverId });
      const byName = Object.fromEntries(caps.data.map((c: any) => [c.name, c]));
      expect(byName.add).toMatchObject({ enabled: false, integration_enabled: false });
      expect(byName.lookup).toMatchObject({ enabled: false, integration_enabled: true });
      expect(byName.greet.enabled).toBe(true);
      expect(caps.counts.tools).toEqual({ total: 2, enabled: 0 });
    });

    it('user access and connections', async () => {
      const access: any = await portkey.mcpServers.userAccess.list({ id: serverId });
      expect(access).toMatchObject({ default_user_access: 'allow', total: expect.any(Number) });
      await portkey.mcpServers.userAccess.update({ id: serverId, default_user_access: 'deny' } as any);
      expect((await api('GET', `/v1/mcp-servers/${serverId}/user-access`)).body.default_user_access).toBe('deny');
      const stranger = await api('PUT', `/v1/mcp-servers/${serverId}/user-access`, { user_access: [{ user_id: 'not-a-member', enabled: true }] });
      expect(stranger.body.error.param).toBe('user_access.0.user_id');
      const conns: any = await portkey.mcpServers.connections.list({ id: serverId } as any);
      expect(conns).toMatchObject({ data: [], total: 0, has_more: false });
      const del = await api('DELETE', `/v1/mcp-servers/${serverId}/connections?user_id=00000000-0000-4000-8000-000000000000`);
      expect(del.status).toBe(404);
    });

    it('a wrong token, a metadata address and an oversized answer fail the test, saying why', async () => {
      const wrong = await api('POST', '/v1/mcp-integrations', { name: 'wrong', slug: 'wrong-token', url: mcp.url, auth_type: 'headers', transport: 'http', workspace_id: defaultWs, configurations: { custom_headers: { Authorization: 'Bearer nope' } } });
      expect(wrong.status).toBe(200);
      const s1 = await api('POST', '/v1/mcp-servers', { name: 'wrong', mcp_integration_id: 'wrong-token' });
      const r1 = await api('POST', `/v1/mcp-servers/${s1.body.id}/test`, {});
      expect(r1.body).toMatchObject({ success: false, status_code: 401 });
      expect(r1.body.error).toContain('HTTP 401');
      expect(await (await fetch(`${t.url}/metrics`)).text()).toMatch(/portico_cp_mcp_connections_total\{result="error"\} [1-9]/);
      const capsFail = await api('GET', '/v1/mcp-integrations/wrong-token/capabilities');
      expect(capsFail.status).toBe(502);
      expect(capsFail.body.error.code).toBe('mcp_server_unreachable');
      expect((await api('GET', '/v1/mcp-integrations/wrong-token/metadata')).body).toMatchObject({ sync_status: 'failed', sync_error: expect.stringContaining('401') });
      await api('POST', '/v1/mcp-integrations', { name: 'imds', slug: 'imds', url: 'http://169.254.169.254/mcp', auth_type: 'none', transport: 'http', workspace_id: defaultWs });
      const s2 = await api('POST', '/v1/mcp-servers', { name: 'imds', mcp_integration_id: 'imds' });
      const r2 = await api('POST', `/v1/mcp-servers/${s2.body.id}/test`, {});
      expect(r2.body).toMatchObject({ success: false });
      expect(r2.body.error).toMatch(/egress policy.*link-local/);
      const big = await startOversizedServer();
      try {
        await api('POST', '/v1/mcp-integrations', { name: 'big', slug: 'big', url: big.url, auth_type: 'none', transport: 'http', workspace_id: defaultWs });
        const s3 = await api('POST', '/v1/mcp-servers', { name: 'big', mcp_integration_id: 'big' });
        const r3 = await api('POST', `/v1/mcp-servers/${s3.body.id}/test`, {});
        expect(r3.body).toMatchObject({ success: false });
        expect(r3.body.error).toContain('over 2 MiB');
      } finally {
        await big.close();
      }
    });

    it('auth headers can come from a secret reference, read when connecting', async () => {
      await api('POST', '/v1/secret-references', { name: 'mcp headers', slug: 'mcp-headers', manager_type: 'aws_sm', auth_config: { aws_auth_type: 'accessKey', aws_access_key_id: 'AKIAFAKEPORTICO00002', aws_secret_access_key: 'mcp-test-secret-access-key', aws_region: 'us-east-1' }, secret_path: 'mcp/headers' });
      const made = await api('POST', '/v1/mcp-integrations', {
        name: 'mapped', slug: 'mapped-headers', url: mcp.url, auth_type: 'headers', transport: 'http', workspace_id: defaultWs,
        secret_mappings: [{ target_field: 'configurations.custom_headers', secret_reference_id: 'mcp-headers', value_format: 'json' }],
      });
      expect(made.status).toBe(200);
      expect((await api('GET', '/v1/mcp-integrations/mapped-headers')).body.secret_mappings).toHaveLength(1);
      const s = await api('POST', '/v1/mcp-servers', { name: 'mapped', mcp_integration_id: 'mapped-headers' });
      expect((await api('POST', `/v1/mcp-servers/${s.body.id}/test`, {})).body).toMatchObject({ success: true, status_code: 200 });
      expect(sm.requests.every((r) => r.signatureValid)).toBe(true);
      const bad = await api('POST', '/v1/mcp-integrations', { ...{ name: 'bad map', url: mcp.url, auth_type: 'headers', transport: 'http' }, secret_mappings: [{ target_field: 'key', secret_reference_id: 'mcp-headers' }] });
      expect(bad.body.error.param).toBe('secret_mappings.0.target_field');
    });

    it('bad input is refused by name; nothing is stored half-way', async () => {
      const base = { name: 'x', url: mcp.url, auth_type: 'none', transport: 'http' };
      expect((await api('POST', '/v1/mcp-integrations', { ...base, colour: 'red' })).body.error).toMatchObject({ code: 'unknown_field', param: 'colour' });
      expect((await api('POST', '/v1/mcp-integrations', { ...base, configurations: { client_secret: 's' } })).body.error).toMatchObject({ code: 'unknown_field', param: 'configurations.client_secret' });
      expect((await api('POST', '/v1/mcp-integrations', { ...base, transport: 'sse' })).body.error).toMatchObject({ code: 'unsupported_mcp_transport', param: 'transport' });
      expect((await api('POST', '/v1/mcp-integrations', { ...base, auth_type: 'oauth_auto' })).body.error).toMatchObject({ code: 'unsupported_mcp_transport', param: 'auth_type' });
      expect((await api('POST', '/v1/mcp-integrations', { ...base, url: 'ftp://files.example.com' })).body.error.param).toBe('url');
      expect((await api('POST', '/v1/mcp-integrations', { ...base, url: 'https://user:pw@mcp.example.com/mcp' })).body.error.param).toBe('url');
      expect((await api('POST', '/v1/mcp-integrations', { ...base, auth_type: 'headers', configurations: { custom_headers: { 'Bad Header': 'x' } } })).body.error.param).toBe('configurations.custom_headers.Bad Header');
      expect((await api('POST', '/v1/mcp-integrations', { ...base, auth_type: 'headers', configurations: { custom_headers: { 'X-A': 'a\r\nInjected: 1' } } })).status).toBe(400);
      expect((await api('POST', '/v1/mcp-integrations', { ...base, slug: 'records' })).status).toBe(409);
      // An empty update (which the document's minProperties also forbids), sent past the recorder.
      expect((await call(t.url, 'PUT', '/v1/mcp-integrations/records', t.adminKey, {})).status).toBe(400);
      expect((await api('POST', '/v1/mcp-servers', { name: 'x', mcp_integration_id: 'records', extra: 1 })).body.error.param).toBe('extra');
      const names = (await api('GET', '/v1/mcp-integrations')).body.data.map((i: any) => i.name);
      expect(names).not.toContain('x');
    });

    it('workspace scoping and roles: another workspace\'s integrations and servers are not found; members cannot change them', async () => {
      const other = (await api('POST', '/v1/admin/workspaces', { name: 'MCP other' })).body;
      const otherKey = (await api('POST', '/v1/api-keys/workspace/service', { name: 'other', workspace_id: other.id, scopes: ['mcp_integrations.list', 'mcp_integrations.read', 'mcp_integrations.create', 'mcp_servers.read', 'mcp_servers.list', 'mcp_servers.create'] })).body.key;
      expect((await call(t.url, 'GET', '/v1/mcp-integrations/records', otherKey)).status).toBe(404);
      expect((await call(t.url, 'GET', '/v1/mcp-integrations', otherKey)).body.total).toBe(0);
      expect((await call(t.url, 'GET', `/v1/mcp-servers/${serverId}`, otherKey)).status).toBe(404);
      expect((await call(t.url, 'POST', '/v1/mcp-integrations', otherKey, { name: 'org wide', url: mcp.url, auth_type: 'none', transport: 'http' })).status).toBe(403);
      const own = await call(t.url, 'POST', '/v1/mcp-integrations', otherKey, { name: 'own', url: mcp.url, auth_type: 'none', transport: 'http', workspace_id: other.id });
      expect(own.status).toBe(200);
      expect((await api('POST', '/v1/mcp-servers', { name: 'cross', mcp_integration_id: own.body.id })).status).toBe(404);
      const member = (await api('POST', '/v1/api-keys/workspace/service', { name: 'no scope', workspace_id: other.id, scopes: ['mcp_integrations.read'] })).body.key;
      expect((await call(t.url, 'DELETE', `/v1/mcp-integrations/${own.body.id}`, member)).body.error.code).toBe('insufficient_scope');
    });

    it('updates, deletes (servers go with their integration) and audits', async () => {
      await portkey.mcpServers.update({ id: serverId, description: 'the records server' } as any);
      expect(((await portkey.mcpServers.retrieve({ id: serverId })) as any).description).toBe('the records server');
      await portkey.mcpIntegrations.update({ id: 'records', name: 'Records v2' } as any);
      expect(((await portkey.mcpIntegrations.retrieve({ id: 'records' })) as any).name).toBe('Records v2');
      await portkey.mcpIntegrations.delete({ id: 'records' });
      expect((await api('GET', `/v1/mcp-servers/${serverId}`)).status).toBe(404);
      const audit = await api('GET', '/v1/audit-logs?resource_type=mcp_integration');
      expect(audit.body.records.map((r: any) => r.action)).toEqual(expect.arrayContaining(['create', 'update', 'delete']));
    });
  });
}

describe('MCP servers and the egress policy', () => {
  let mcp: TestMcpServer;
  let t: TestControlPlane;
  beforeAll(async () => {
    mcp = await startMcpServer();
    t = await startTestControlPlane('sqlite');
  });
  afterAll(async () => {
    await t?.close();
    await mcp?.close();
  });

  it('a loopback MCP server is refused unless EGRESS_ALLOW_LOOPBACK is set, and is never called', async () => {
    await call(t.url, 'POST', '/v1/mcp-integrations', t.adminKey, { name: 'local', slug: 'local', url: mcp.url.replace('127.0.0.1', 'localhost'), auth_type: 'none', transport: 'http', workspace_id: 'default' }).then((r) => expect(r.status).toBe(200));
    const s = await call(t.url, 'POST', '/v1/mcp-servers', t.adminKey, { name: 'local', mcp_integration_id: 'local' });
    const r = await call(t.url, 'POST', `/v1/mcp-servers/${s.body.id}/test`, t.adminKey, {});
    expect(r.body).toMatchObject({ success: false });
    expect(r.body.error).toMatch(/egress policy.*EGRESS_ALLOW_LOOPBACK/);
    expect(mcp.methods).toEqual([]);
  });
});
