import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnListening, type ListeningChild } from '@portico/test-support/spawn';
import { listeningLine, REPO_ROOT } from './helpers/gateway-process.js';
import { startTestService, type TestService } from './helpers/service.js';

/** Key introspection against the real control plane (packages/control-plane), when it is in the tree. */
const CP_MAIN = join(REPO_ROOT, 'packages/control-plane/src/main.ts');
const present = existsSync(CP_MAIN);
if (!present) console.warn(`skipping the real control-plane test: ${CP_MAIN} is not in this tree (the fake in fakes/control-plane.ts follows the contract)`);

const ORG = randomUUID();
const ADMIN = `pk-admin-${randomUUID()}`;
const CLIENT_AUTH = `client-auth-${randomUUID()}`;
let cp: ListeningChild | undefined;
let cpUrl = '';
let dir = '';
let ds: TestService | undefined;
const keys: Record<string, string> = {};
let workspace = '';

async function admin(path: string, body: unknown) {
  const res = await fetch(`${cpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': ADMIN }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json as Record<string, any>;
}

beforeAll(async () => {
  if (!present) return;
  dir = mkdtempSync(join(tmpdir(), 'ds-realcp-'));
  cp = await spawnListening('src/main.ts', {
    cwd: join(REPO_ROOT, 'packages/control-plane'),
    env: { PATH: process.env.PATH, CONTROL_PLANE_PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, ADMIN_API_KEY: ADMIN, ORGANISATION_ID: ORG, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, LOG_LEVEL: 'info' },
    listening: listeningLine('control plane listening'),
    timeoutMs: 40_000,
  });
  cpUrl = cp.url;
  workspace = (await admin('/v1/admin/workspaces', { name: 'Exporters' })).id;
  keys.logs = (await admin('/v1/api-keys/workspace/service', { name: 'exporter', workspace_id: workspace, scopes: ['logs.export', 'completions.write'] })).key;
  keys.noLogs = (await admin('/v1/api-keys/workspace/service', { name: 'caller', workspace_id: workspace, scopes: ['completions.write'] })).key;
  ds = await startTestService({ CONTROL_PLANE_URL: cpUrl, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ORGANISATIONS_TO_SYNC: ORG });
}, 90_000);

afterAll(async () => {
  await ds?.close();
  await cp?.stop(5000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!present)('callers authenticated by the real control plane', () => {
  it('a key with logs.export exports in its workspace; without it 403; an unknown key 401', async () => {
    const create = (key: string, body: unknown) => fetch(`${ds!.url}/v1/logs/exports`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-portkey-api-key': key }, body: JSON.stringify(body) });
    const ok = await create(keys.logs, { filters: {}, requested_data: ['id'] });
    expect(ok.status).toBe(200);
    const { id } = await ok.json();
    const got = await (await fetch(`${ds!.url}/v1/logs/exports/${id}`, { headers: { 'x-portkey-api-key': keys.logs } })).json();
    expect(got.workspace_id).toBe(workspace);
    expect(got.organisation_id).toBe(ORG);
    expect((await create(keys.noLogs, { filters: {}, requested_data: ['id'] })).status).toBe(403);
    expect((await create('pk-not-a-key', { filters: {}, requested_data: ['id'] })).status).toBe(401);
    expect((await create(keys.logs, { workspace_id: randomUUID(), filters: {}, requested_data: ['id'] })).status).toBe(403);
  });
});
