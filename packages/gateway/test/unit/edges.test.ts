import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryCacheStore } from '../../src/cache/memory-store.js';
import { canonicalJson, simpleCacheKey } from '../../src/cache/keys.js';
import { loadSettings, settingNames } from '../../src/config/settings.js';
import { FileEntityStore, parseEntitiesFile } from '../../src/entities/file-store.js';
import { parsePortkeyHeaders } from '../../src/pipeline/headers.js';
import { authenticate } from '../../src/pipeline/authenticate.js';
import { azureOpenAIProvider, toAzureUrl } from '../../src/providers/azure-openai/index.js';
import { openaiProvider } from '../../src/providers/openai/index.js';
import { checkChosenAddress, createEgressPolicy, validateCustomHost } from '../../src/upstream/egress-policy.js';

describe('egress policy', () => {
  const policy = createEgressPolicy(true, ['10.20.0.0/16']);
  it.each([
    ['169.254.169.254', /link-local/],
    ['169.254.170.2', /link-local/],
    ['fd00:ec2::254', /metadata/],
    ['::ffff:169.254.169.254', /link-local/],
    ['0.0.0.0', /unspecified/],
    ['192.168.1.1', /private/],
    ['10.1.0.1', /CUSTOM_HOST_ALLOWED_CIDRS/],
  ])('refuses %s', (addr, why) => {
    expect(checkChosenAddress(addr, policy)).toMatch(why);
  });
  it.each(['127.0.0.1', '::1', '10.20.3.4', '8.8.8.8'])('allows %s', (addr) => {
    expect(checkChosenAddress(addr, policy)).toBeUndefined();
  });
  it('refuses loopback when configured so, and non-http schemes', async () => {
    expect(checkChosenAddress('127.0.0.1', createEgressPolicy(false, []))).toMatch(/loopback/);
    await expect(validateCustomHost('ftp://example.com', policy)).rejects.toThrow(/http or https/);
    await expect(validateCustomHost('http://user:pw@127.0.0.1', policy)).rejects.toThrow(/credentials/);
    await expect(validateCustomHost('http://localhost:11434/v1', policy)).resolves.toBeDefined();
  });
});

describe('x-portkey headers', () => {
  it('parses the wire contract', () => {
    const h = parsePortkeyHeaders({
      authorization: 'Bearer sk-1', 'x-portkey-provider': 'OpenAI', 'x-portkey-trace-id': 't-1', 'x-portkey-metadata': '{"_user":"u"}',
      'x-portkey-forward-headers': 'X-One, x-two', 'x-portkey-request-timeout': '500', 'x-portkey-cache-force-refresh': 'true',
      'x-portkey-azure-resource-name': 'res', 'x-portkey-aws-region': 'eu-west-1',
    });
    expect(h).toMatchObject({ apiKey: 'sk-1', provider: 'openai', traceId: 't-1', metadata: { _user: 'u' }, forwardHeaders: ['x-one', 'x-two'], requestTimeout: 500, cacheForceRefresh: true });
    expect(h.settings).toMatchObject({ resource_name: 'res', aws_region: 'eu-west-1' });
    expect(parsePortkeyHeaders({}).traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(parsePortkeyHeaders({ 'x-api-key': 'ant' }).apiKey).toBe('ant');
  });
});

describe('providers of the OpenAI family', () => {
  it('openai forwards the key as Bearer and maps errors keeping status and message', () => {
    const req = openaiProvider.chat!.toRequest({ model: 'm', messages: [] }, { provider: 'openai', apiKey: 'sk-x', settings: {} }, { stream: false });
    expect(req.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-x');
    const err = openaiProvider.mapError(429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', { 'retry-after': '3' });
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': '3' } });
    expect(err.message).toContain('Rate limit reached');
    expect(openaiProvider.mapError(502, '<html>bad gateway</html>', {}).message).toContain('bad gateway');
  });
  it('azure builds deployment URLs and uses api-key or Entra bearer', () => {
    const t = { provider: 'azure-openai', apiKey: 'az-key', settings: { resource_name: 'myres', deployment_id: 'gpt4o', api_version: '2024-10-21' } };
    expect(toAzureUrl(t, 'chat/completions')).toBe('https://myres.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21');
    expect(azureOpenAIProvider.chat!.toRequest({ model: 'm', messages: [] }, t, { stream: false }).headers['api-key']).toBe('az-key');
    const entra = azureOpenAIProvider.chat!.toRequest({ model: 'm', messages: [] }, { ...t, settings: { ...t.settings, azure_auth_mode: 'entra' } }, { stream: false });
    expect(entra.headers.authorization).toBe('Bearer az-key');
    expect(() => toAzureUrl({ ...t, settings: { deployment_id: 'd' } }, 'chat/completions')).toThrow(/resource_name/);
    expect(() => toAzureUrl({ ...t, settings: { resource_name: 'bad.host/x', deployment_id: 'd' } }, 'chat/completions')).toThrow(/letters, digits/);
  });
});

describe('memory cache store', () => {
  it('evicts least recently used entries past its byte bound, and expires by TTL', async () => {
    let now = 0;
    const store = new MemoryCacheStore(300, () => now);
    await store.set('a', Buffer.alloc(100), 10);
    await store.set('b', Buffer.alloc(100), 10);
    await store.get('a');
    await store.set('c', Buffer.alloc(100), 10);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    expect(store.sizeBytes).toBeLessThanOrEqual(300);
    now = 11_000;
    expect(await store.get('a')).toBeUndefined();
  });
  it('keys ignore key order and stream flags, and separate tenants', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
    const k = (tenant: string, body: object) => simpleCacheKey({ tenant, op: 'chat', route: ['openai'], body: body as Record<string, unknown> });
    expect(k('t1', { model: 'm', stream: true })).toBe(k('t1', { model: 'm' }));
    expect(k('t1', { model: 'm' })).not.toBe(k('t2', { model: 'm' }));
  });
});

describe('settings', () => {
  it('has defaults for the embedded mode and rejects bad values with names', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({ PORT: '8787', HOST: '127.0.0.1', CACHE_STORE: 'memory', LOG_STORE: 'file' });
    expect(() => loadSettings({ CACHE_STORE: 'redis' })).toThrow(/REDIS_URL is required/);
    expect(() => loadSettings({ LOG_STORE: 's3' })).toThrow(/LOG_STORE_GENERATIONS_BUCKET/);
    expect(loadSettings({ CACHE_STORE: 'aws-elasti-cache', REDIS_URL: 'rediss://h:6379' }).CACHE_STORE).toBe('aws-elasti-cache');
    expect(settingNames()).toContain('LOG_STORE_GENERATIONS_BUCKET');
  });
});

describe('entities file', () => {
  const hash = createHash('sha256').update('gk-1').digest('hex');
  it('hashes keys, resolves env references and refuses literal secrets', () => {
    const snap = parseEntitiesFile(`keys:\n  - id: a\n    key_hash: ${hash}\nvirtual_keys:\n  - slug: v\n    provider: openai\n    api_key: \${VK_ENV}\n`, { VK_ENV: 'sk-from-env' });
    expect(snap.virtualKeys.get('v')!.apiKey).toBe('sk-from-env');
    expect(() => parseEntitiesFile('virtual_keys:\n  - slug: v\n    provider: openai\n    api_key: sk-literal\n')).toThrow(/environment variable reference/);
    expect(() => parseEntitiesFile('virtual_keys:\n  - slug: v\n    provider: openai\n    api_key: ${MISSING_ENV_X}\n', {})).toThrow(/MISSING_ENV_X, which is not set/);
  });
  it('authenticates by hash with scopes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ent-')), 'e.yaml');
    writeFileSync(file, `keys:\n  - id: a\n    key_hash: ${hash}\n    scopes: [completions]\n`);
    const store = await FileEntityStore.open(file, () => undefined);
    expect(await authenticate(store, 'gk-1', 'completions')).toMatchObject({ id: 'a' });
    await expect(authenticate(store, 'gk-2', 'completions')).rejects.toMatchObject({ status: 401 });
    await expect(authenticate(store, undefined, 'completions')).rejects.toMatchObject({ status: 401 });
    await expect(authenticate(store, 'gk-1', 'logs')).rejects.toMatchObject({ status: 403 });
    await store.close();
  });
});
