import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncChanges, SyncSnapshot } from '@portico/contract';
import { backends, call, skipReason, startTestControlPlane, type TestControlPlane } from './helpers/control-plane.js';
import { startFakeSecretsManager, type FakeSecretsManager } from './helpers/fake-secrets-manager.js';
import { specMissing } from './helpers/portkey-spec.js';
import { useSdkHarness } from './helpers/sdk-harness.js';
import { startFakeVault, type FakeVault } from './helpers/fake-vault.js';
import { startFakeAzureKeyVault, type FakeAzureKeyVault } from './helpers/fake-azure-key-vault.js';

/**
 * Secret references against a local Secrets Manager that checks SigV4: credentials mapped to them
 * reach gateways with the value read by the control plane, rotate within the TTL, fail naming the
 * reference (never showing a secret), and every exchange is checked against Portkey's document.
 */
const ACCESS_KEY = 'AKIAFAKEPORTICO00001';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKEKEY01';

for (const backend of backends) {
  const skip = skipReason(backend) ?? specMissing;
  describe.skipIf(Boolean(skip))(`secret references on ${backend}${skip ? ` (skipped: ${skip})` : ''}`, () => {
    let sm: FakeSecretsManager;
    beforeAll(async () => {
      sm = await startFakeSecretsManager();
      sm.keys.set(ACCESS_KEY, SECRET_KEY);
      sm.secrets.set('prod/openai', 'sk-from-secrets-manager-1');
      sm.secrets.set('prod/bundle', JSON.stringify({ api_key: 'sk-bundle', region: 'us-west-2' }));
    });
    const h = useSdkHarness(backend, () => ({ SECRET_REFERENCE_AWS_ENDPOINT: sm.url, EGRESS_ALLOW_LOOPBACK: 'true', SECRET_REFERENCE_TTL_SECONDS: '1' }));
    let t: TestControlPlane;
    const auth = { aws_auth_type: 'accessKey', aws_access_key_id: ACCESS_KEY, aws_secret_access_key: SECRET_KEY, aws_region: 'eu-west-1' };
    const snapshot = async () => (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;
    const api = (method: string, path: string, body?: unknown) => call(h.url, method, path, t.adminKey, body);

    beforeAll(() => {
      t = h.t;
    });
    afterAll(async () => {
      await sm?.close();
    });

    it('creates, lists and reads a reference; its auth_config secret is sealed and masked', async () => {
      const created = await api('POST', '/v1/secret-references', { name: 'OpenAI prod', slug: 'openai-prod', manager_type: 'aws_sm', auth_config: auth, secret_path: 'prod/openai', tags: { team: 'ml' } });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ slug: 'openai-prod', object: 'secret-reference' });
      const got = await api('GET', '/v1/secret-references/openai-prod');
      expect(got.body).toMatchObject({ id: created.body.id, manager_type: 'aws_sm', secret_path: 'prod/openai', allow_all_workspaces: true, status: 'ACTIVE', tags: { team: 'ml' } });
      expect(got.body.auth_config.aws_access_key_id).toBe(ACCESS_KEY);
      expect(JSON.stringify(got.body)).not.toContain(SECRET_KEY);
      expect(got.body.auth_config.aws_secret_access_key).toMatch(/\*{8}/);
      const listed = await api('GET', '/v1/secret-references?manager_type=aws_sm&tags=%7B%22team%22%3A%22ml%22%7D');
      expect(listed.body.data.map((r: any) => r.slug)).toEqual(['openai-prod']);
      expect((await api('GET', '/v1/secret-references?search=nothing-like-it')).body.total).toBe(0);
    });

    it('a virtual key and an integration mapped to references reach gateways with the value, read with a valid SigV4 signature', async () => {
      await api('POST', '/v1/secret-references', { name: 'bundle', slug: 'bundle', manager_type: 'aws_sm', auth_config: auth, secret_path: 'prod/bundle', secret_key: 'api_key' });
      const vk = await api('POST', '/v1/virtual-keys', { name: 'mapped', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'openai-prod' }] });
      expect(vk.status).toBe(200);
      const integ = await api('POST', '/v1/integrations', {
        name: 'bedrock-mapped', ai_provider_id: 'bedrock', configurations: { aws_region: 'us-east-1' },
        secret_mappings: [{ target_field: 'configurations.aws_secret_access_key', secret_reference_id: 'bundle' }, { target_field: 'configurations.aws_region', secret_reference_id: 'bundle', secret_key: 'region' }],
      });
      expect(integ.status).toBe(200);
      const detail = await api('GET', `/v1/integrations/${integ.body.slug}`);
      expect(detail.body.secret_mappings).toHaveLength(2);
      const snap = await snapshot();
      expect(snap.virtualKeys.find((v) => v.slug === vk.body.data.slug)?.apiKey).toBe('sk-from-secrets-manager-1');
      const provider = snap.virtualKeys.find((v) => v.slug === integ.body.slug)!;
      expect(provider.settings).toMatchObject({ aws_secret_access_key: 'sk-bundle', aws_region: 'us-west-2' });
      expect(sm.requests.length).toBeGreaterThan(0);
      expect(sm.requests.every((r) => r.target === 'secretsmanager.GetSecretValue' && r.signatureValid && r.accessKeyId === ACCESS_KEY && r.region === 'eu-west-1')).toBe(true);
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/portico_cp_secret_reference_reads_total\{manager="aws_sm",result="ok"\} [1-9]/);
    });

    it('a secret rotated in the manager reaches gateways within the TTL, as a sync change', async () => {
      const vk = (await api('POST', '/v1/virtual-keys', { name: 'rotating', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'openai-prod' }] })).body.data.slug;
      const since = (await snapshot()).version;
      sm.secrets.set('prod/openai', 'sk-rotated-2');
      const deadline = Date.now() + 10_000;
      let seen: string | undefined;
      while (Date.now() < deadline && seen !== 'sk-rotated-2') {
        const changes = (await call(t.url, 'GET', `/v1/sync/changes?organisation=${t.organisationId}&since=${since}&wait=2`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncChanges;
        const c = changes.changes.find((x) => x.kind === 'virtualKey' && x.op === 'upsert' && (x.entity as any).slug === vk);
        seen = c && c.op === 'upsert' ? (c.entity as any).apiKey : undefined;
      }
      expect(seen).toBe('sk-rotated-2');
    });

    it('an update re-points the credentials at once; an update that cannot be read is refused and changes nothing', async () => {
      sm.secrets.set('prod/other', 'sk-other-path');
      const vk = (await api('POST', '/v1/virtual-keys', { name: 'repoint', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'bundle' }] })).body.data.slug;
      expect((await snapshot()).virtualKeys.find((v) => v.slug === vk)?.apiKey).toBe('sk-bundle');
      const bad = await api('PUT', '/v1/secret-references/bundle', { secret_path: 'prod/absent' });
      expect(bad.status).toBe(502);
      expect(bad.body.error.message).toContain('"bundle"');
      expect((await api('GET', '/v1/secret-references/bundle')).body.secret_path).toBe('prod/bundle');
      expect((await api('PUT', '/v1/secret-references/bundle', { secret_path: 'prod/other', secret_key: null })).status).toBe(200);
      expect((await snapshot()).virtualKeys.find((v) => v.slug === vk)?.apiKey).toBe('sk-other-path');
      // A key sent while "key" is mapped would be overwritten: refused, not ignored.
      const both = await api('PUT', `/v1/virtual-keys/${vk}`, { key: 'sk-sent' });
      expect(both.body.error.param).toBe('key');
      await api('PUT', '/v1/secret-references/bundle', { secret_path: 'prod/bundle', secret_key: 'api_key' });
    });

    it('a reference that cannot be read is refused when mapped, naming it and never showing a secret', async () => {
      await api('POST', '/v1/secret-references', { name: 'wrong key', slug: 'wrong-key', manager_type: 'aws_sm', auth_config: { ...auth, aws_secret_access_key: 'not-the-right-secret-key-000000000' }, secret_path: 'prod/openai' });
      const bad = await api('POST', '/v1/virtual-keys', { name: 'bad', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'wrong-key' }] });
      expect(bad.status).toBe(502);
      expect(bad.body.error.code).toBe('secret_reference_unresolved');
      expect(bad.body.error.message).toContain('"wrong-key"');
      expect(bad.body.error.message).toContain('InvalidSignatureException');
      expect(sm.requests.at(-1)?.signatureValid).toBe(false);
      await api('POST', '/v1/secret-references', { name: 'missing', slug: 'missing', manager_type: 'aws_sm', auth_config: auth, secret_path: 'prod/nothing-here' });
      const missing = await api('POST', '/v1/virtual-keys', { name: 'bad2', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'missing' }] });
      expect(missing.body.error.message).toMatch(/"missing".*ResourceNotFoundException/);
      // A key read out of a secret that is not JSON: the error does not echo the secret.
      const notJson = await api('POST', '/v1/virtual-keys', { name: 'bad3', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'openai-prod', secret_key: 'api_key' }] });
      expect(notJson.status).toBe(502);
      expect(JSON.stringify(notJson.body)).not.toContain('sk-rotated');
      expect(JSON.stringify(notJson.body)).not.toContain('sk-from-secrets-manager');
      const names = (await api('GET', '/v1/virtual-keys')).body.data.map((v: any) => v.name);
      expect(names).not.toContain('bad');
    });

    it('bad input: unknown fields by name, unsupported managers, conflicting workspace access, references in use, other workspaces', async () => {
      const unknown = await api('POST', '/v1/secret-references', { name: 'x', manager_type: 'aws_sm', auth_config: auth, secret_path: 'p', colour: 'red' });
      expect(unknown.body.error).toMatchObject({ code: 'unknown_field', param: 'colour' });
      const unknownAuth = await api('POST', '/v1/secret-references', { name: 'x', manager_type: 'aws_sm', auth_config: { ...auth, endpoint: 'http://169.254.169.254' }, secret_path: 'p' });
      expect(unknownAuth.body.error).toMatchObject({ code: 'unknown_field', param: 'auth_config.endpoint' });
      const azure = await api('POST', '/v1/secret-references', { name: 'a', manager_type: 'azure_kv', auth_config: { azure_auth_mode: 'default', azure_vault_url: 'https://kv.vault.azure.net' }, secret_path: 'p' });
      expect(azure.body.error).toMatchObject({ code: 'unsupported_secret_manager', param: 'auth_config.azure_auth_mode' });
      const k8s = await api('POST', '/v1/secret-references', { name: 'k', manager_type: 'hashicorp_vault', auth_config: { vault_auth_type: 'kubernetes', vault_addr: 'https://vault.example.com', vault_role: 'r' }, secret_path: 'p' });
      expect(k8s.body.error).toMatchObject({ code: 'unsupported_secret_manager', param: 'auth_config.vault_auth_type' });
      const role = await api('POST', '/v1/secret-references', { name: 'r', manager_type: 'aws_sm', auth_config: { aws_auth_type: 'serviceRole', aws_region: 'us-east-1' }, secret_path: 'p' });
      expect(role.body.error).toMatchObject({ code: 'unsupported_secret_manager', param: 'auth_config.aws_auth_type' });
      const region = await api('POST', '/v1/secret-references', { name: 'r', manager_type: 'aws_sm', auth_config: { ...auth, aws_region: 'evil.example.com#' }, secret_path: 'p' });
      expect(region.body.error.param).toBe('auth_config.aws_region');
      const ws = await api('POST', '/v1/admin/workspaces', { name: 'Other' });
      const both = await api('POST', '/v1/secret-references', { name: 'b', manager_type: 'aws_sm', auth_config: auth, secret_path: 'p', allow_all_workspaces: true, allowed_workspaces: [ws.body.id] });
      expect(both.body.error.param).toBe('allow_all_workspaces');
      await api('POST', '/v1/secret-references', { name: 'other only', slug: 'other-only', manager_type: 'aws_sm', auth_config: auth, secret_path: 'prod/openai', allowed_workspaces: [ws.body.slug] });
      const notShared = await api('POST', '/v1/virtual-keys', { name: 'ns', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'other-only' }] });
      expect(notShared.status).toBe(400);
      expect(notShared.body.error.message).toContain('not shared with this workspace');
      const target = await api('POST', '/v1/virtual-keys', { name: 'tf', provider: 'openai', secret_mappings: [{ target_field: 'configurations.x', secret_reference_id: 'openai-prod' }] });
      expect(target.body.error.param).toBe('secret_mappings.0.target_field');
      const inUse = await api('DELETE', '/v1/secret-references/openai-prod');
      expect(inUse.status).toBe(400);
      expect(inUse.body.error.code).toBe('secret_reference_in_use');
      expect((await api('DELETE', '/v1/secret-references/other-only')).status).toBe(200);
      expect((await api('GET', '/v1/secret-references/other-only')).status).toBe(404);
      const audit = await api('GET', '/v1/audit-logs?resource_type=secret_reference');
      expect(audit.body.records.length).toBeGreaterThanOrEqual(4);
    });

    it('a workspace key sees only the references shared with its workspace, and cannot create one', async () => {
      const ws = await api('POST', '/v1/admin/workspaces', { name: 'Scoped' });
      const key = (await api('POST', '/v1/api-keys/workspace/service', { name: 'ws key', workspace_id: ws.body.id, scopes: ['secret_references.list', 'secret_references.read', 'secret_references.create'] })).body.key;
      await api('POST', '/v1/secret-references', { name: 'elsewhere', slug: 'elsewhere', manager_type: 'aws_sm', auth_config: auth, secret_path: 'p', allowed_workspaces: [(await api('POST', '/v1/admin/workspaces', { name: 'Third' })).body.id] });
      const listed = await call(t.url, 'GET', '/v1/secret-references', key);
      expect(listed.body.data.map((r: any) => r.slug)).toContain('openai-prod');
      expect(listed.body.data.map((r: any) => r.slug)).not.toContain('elsewhere');
      expect((await call(t.url, 'GET', '/v1/secret-references/elsewhere', key)).status).toBe(404);
      expect((await call(t.url, 'POST', '/v1/secret-references', key, { name: 'w', manager_type: 'aws_sm', auth_config: auth, secret_path: 'p' })).status).toBe(403);
    });
  });
}

describe('secret references and the egress policy', () => {
  let sm: FakeSecretsManager;
  let t: TestControlPlane;
  beforeAll(async () => {
    sm = await startFakeSecretsManager();
    sm.keys.set(ACCESS_KEY, SECRET_KEY);
    sm.secrets.set('prod/openai', 'sk-x');
    // Loopback is not allowed here: the operator-set endpoint is held to the policy too.
    t = await startTestControlPlane('sqlite', { SECRET_REFERENCE_AWS_ENDPOINT: sm.url });
  });
  afterAll(async () => {
    await t?.close();
    await sm?.close();
  });

  it('refuses a private endpoint unless the operator allows it, and never calls it', async () => {
    const made = await call(t.url, 'POST', '/v1/secret-references', t.adminKey, { name: 'r', slug: 'ref-r', manager_type: 'aws_sm', auth_config: { aws_auth_type: 'accessKey', aws_access_key_id: ACCESS_KEY, aws_secret_access_key: SECRET_KEY, aws_region: 'us-east-1' }, secret_path: 'prod/openai' });
    const res = await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'v', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'ref-r' }] });
    expect(made.status).toBe(200);
    expect(res.status).toBe(502);
    expect(res.body.error.message).toMatch(/"ref-r".*egress policy.*loopback/);
    expect(sm.requests).toHaveLength(0);
  });
});

describe('secret references while the manager fails', () => {
  let sm: FakeSecretsManager;
  let t: TestControlPlane;
  beforeAll(async () => {
    sm = await startFakeSecretsManager();
    sm.keys.set(ACCESS_KEY, SECRET_KEY);
    sm.secrets.set('prod/openai', 'sk-stale-ok');
    t = await startTestControlPlane('sqlite', { SECRET_REFERENCE_AWS_ENDPOINT: sm.url, EGRESS_ALLOW_LOOPBACK: 'true', SECRET_REFERENCE_TTL_SECONDS: '1' });
  });
  afterAll(async () => {
    await t?.close();
    await sm?.close();
  });
  const served = async (slug: string) => {
    const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;
    return snap.virtualKeys.find((v) => v.slug === slug)?.apiKey;
  };

  it('keeps serving the last value for up to ten TTLs, then stops serving the credential', async () => {
    await call(t.url, 'POST', '/v1/secret-references', t.adminKey, { name: 'r', slug: 'stale', manager_type: 'aws_sm', auth_config: { aws_auth_type: 'accessKey', aws_access_key_id: ACCESS_KEY, aws_secret_access_key: SECRET_KEY, aws_region: 'us-east-1' }, secret_path: 'prod/openai' });
    const slug = (await call(t.url, 'POST', '/v1/virtual-keys', t.adminKey, { name: 'v', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'stale' }] })).body.data.slug;
    expect(await served(slug)).toBe('sk-stale-ok');
    sm.keys.delete(ACCESS_KEY); // the manager now refuses every read
    await new Promise((r) => setTimeout(r, 3_000));
    expect(sm.requests.at(-1)?.signatureValid).toBe(false);
    expect(await served(slug)).toBe('sk-stale-ok');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await served(slug)) !== undefined) await new Promise((r) => setTimeout(r, 500));
    expect(await served(slug)).toBeUndefined();
  }, 30_000);
});

describe('secret references in HashiCorp Vault', () => {
  let vault: FakeVault;
  let t: TestControlPlane;
  beforeAll(async () => {
    vault = await startFakeVault();
    t = await startTestControlPlane('sqlite', { EGRESS_ALLOW_LOOPBACK: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await vault?.close();
  });
  const api = (method: string, path: string, body?: unknown) => call(t.url, method, path, t.adminKey, body);

  it('reads KV v2 with a token and with an AppRole login, and says what Vault answered when it refuses', async () => {
    await api('POST', '/v1/secret-references', { name: 'vt', slug: 'vault-token', manager_type: 'hashicorp_vault', auth_config: { vault_auth_type: 'token', vault_addr: vault.url, vault_token: vault.token, vault_namespace: 'team-a' }, secret_path: 'secret/data/prod/openai', secret_key: 'api_key' });
    await api('POST', '/v1/secret-references', { name: 'va', slug: 'vault-approle', manager_type: 'hashicorp_vault', auth_config: { vault_auth_type: 'approle', vault_addr: vault.url, vault_role_id: vault.roleId, vault_secret_id: vault.secretId }, secret_path: 'secret/data/prod/openai', secret_key: 'api_key' });
    expect(JSON.stringify((await api('GET', '/v1/secret-references/vault-token')).body)).not.toContain(vault.token);
    const a = await api('POST', '/v1/virtual-keys', { name: 'a', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'vault-token' }] });
    const b = await api('POST', '/v1/virtual-keys', { name: 'b', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'vault-approle' }] });
    expect([a.status, b.status]).toEqual([200, 200]);
    const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;
    expect(snap.virtualKeys.filter((v) => [a.body.data.slug, b.body.data.slug].includes(v.slug)).map((v) => v.apiKey)).toEqual(['sk-from-vault', 'sk-from-vault']);
    expect(vault.seen).toEqual(expect.arrayContaining([{ path: '/v1/secret/data/prod/openai', namespace: 'team-a' }, { path: '/v1/auth/approle/login', namespace: null }]));
    await api('POST', '/v1/secret-references', { name: 'vb', slug: 'vault-bad', manager_type: 'hashicorp_vault', auth_config: { vault_auth_type: 'token', vault_addr: vault.url, vault_token: 'wrong' }, secret_path: 'secret/data/prod/openai' });
    const bad = await api('POST', '/v1/virtual-keys', { name: 'c', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'vault-bad' }] });
    expect(bad.status).toBe(502);
    expect(bad.body.error.message).toMatch(/"vault-bad".*HTTP 403: permission denied/);
  });
});

describe('secret references in Azure Key Vault', () => {
  let kv: FakeAzureKeyVault;
  let t: TestControlPlane;
  beforeAll(async () => {
    kv = await startFakeAzureKeyVault();
    t = await startTestControlPlane('sqlite', { EGRESS_ALLOW_LOOPBACK: 'true', SECRET_REFERENCE_AZURE_AUTHORITY: kv.url });
  });
  afterAll(async () => {
    await t?.close();
    await kv?.close();
  });
  const api = (method: string, path: string, body?: unknown) => call(t.url, method, path, t.adminKey, body);
  const auth = () => ({ azure_auth_mode: 'entra', azure_entra_tenant_id: kv.tenant, azure_entra_client_id: kv.clientId, azure_entra_client_secret: kv.clientSecret, azure_vault_url: kv.url });

  it('gets an Entra token with client credentials, then the secret; refusals say what Azure answered', async () => {
    await api('POST', '/v1/secret-references', { name: 'kv', slug: 'kv', manager_type: 'azure_kv', auth_config: auth(), secret_path: 'openai-key' });
    expect(JSON.stringify((await api('GET', '/v1/secret-references/kv')).body)).not.toContain(kv.clientSecret);
    const ok = await api('POST', '/v1/virtual-keys', { name: 'kv', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'kv' }] });
    expect(ok.status).toBe(200);
    const snap = (await call(t.url, 'GET', `/v1/sync/snapshot?organisation=${t.organisationId}`, undefined, undefined, { authorization: `Bearer ${t.clientAuth}` })).body as SyncSnapshot;
    expect(snap.virtualKeys.find((v) => v.slug === ok.body.data.slug)?.apiKey).toBe('sk-from-key-vault');
    expect(kv.seen).toEqual([`POST /${kv.tenant}/oauth2/v2.0/token`, 'GET /secrets/openai-key']);
    await api('POST', '/v1/secret-references', { name: 'kv2', slug: 'kv-bad-secret', manager_type: 'azure_kv', auth_config: { ...auth(), azure_entra_client_secret: 'wrong' }, secret_path: 'openai-key' });
    const bad = await api('POST', '/v1/virtual-keys', { name: 'b', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'kv-bad-secret' }] });
    expect(bad.body.error.message).toMatch(/"kv-bad-secret".*Entra ID answered HTTP 401 \(invalid_client\)/);
    await api('POST', '/v1/secret-references', { name: 'kv3', slug: 'kv-missing', manager_type: 'azure_kv', auth_config: auth(), secret_path: 'nothing' });
    const missing = await api('POST', '/v1/virtual-keys', { name: 'c', provider: 'openai', secret_mappings: [{ target_field: 'key', secret_reference_id: 'kv-missing' }] });
    expect(missing.body.error.message).toMatch(/"kv-missing".*Azure Key Vault answered HTTP 404 \(SecretNotFound\)/);
  });
});
