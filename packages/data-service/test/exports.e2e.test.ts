import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Portkey } from 'portkey-ai';
import type { LogDocument } from '@portico/contract';
import { eventually } from '@portico/test-support/wait';
import { startTestService, type TestService } from './helpers/service.js';
import { startGatewayProcess, type GatewayProcess } from './helpers/gateway-process.js';
import { sha256, startFakeControlPlane, type FakeControlPlane } from './fakes/control-plane.js';
import { startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic.js';
import { portkeySchema, portkeySpecPresent } from './helpers/portkey-spec.js';

const ORG = randomUUID();
const WS_A = randomUUID();
const WS_B = randomUUID();
const CLIENT_AUTH = 'client-auth-secret-1';
const KEYS = {
  a: { key: 'pk-ws-a-logs', id: randomUUID(), workspace: WS_A, scopes: ['completions', 'logs'] },
  b: { key: 'pk-ws-b-logs', id: randomUUID(), workspace: WS_B, scopes: ['completions', 'logs'] },
  noLogs: { key: 'pk-ws-a-nologs', id: randomUUID(), workspace: WS_A, scopes: ['completions'] },
  org: { key: 'pk-org-logs', id: randomUUID(), workspace: undefined, scopes: ['logs'] },
};

let cp: FakeControlPlane;
let anthropic: FakeAnthropic;
let ds: TestService;
let gw: GatewayProcess;
const spec = portkeySpecPresent();

function portkey(key: string) {
  return new Portkey({ apiKey: key, baseURL: `${gw.url}/v1` });
}

function loggedDocs(): LogDocument[] {
  const out: LogDocument[] = [];
  for (const day of readdirSync(gw.logDir)) for (const f of readdirSync(join(gw.logDir, day))) {
    for (const line of readFileSync(join(gw.logDir, day, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line));
  }
  return out;
}

async function chat(key: string, text: string, metadata: Record<string, string>) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', 'x-portkey-api-key': key, 'x-portkey-provider': 'anthropic',
      'x-portkey-custom-host': anthropic.baseUrl, authorization: 'Bearer sk-ant-test', 'x-portkey-metadata': JSON.stringify(metadata),
    },
    body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 50, messages: [{ role: 'user', content: text }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

beforeAll(async () => {
  cp = await startFakeControlPlane({ [ORG]: CLIENT_AUTH });
  for (const k of Object.values(KEYS)) cp.addKey(ORG, k.key, { id: k.id, scopes: k.scopes, workspace: k.workspace });
  anthropic = await startFakeAnthropic();
  const logDir = join(mkdtempSync(join(tmpdir(), 'ds-gwlogs-')));
  ds = await startTestService({ CONTROL_PLANE_URL: cp.url, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ORGANISATIONS_TO_SYNC: ORG, LOG_STORE: 'file', LOG_STORE_FILE_DIR: logDir });
  const entities = join(ds.dataDir, 'entities.yaml');
  writeFileSync(entities, `keys:\n${Object.values(KEYS).map((k) => `  - id: ${k.id}\n    key_hash: ${sha256(k.key)}\n    scopes: [${k.scopes.join(', ')}]\n${k.workspace ? `    workspace: ${k.workspace}\n` : ''}`).join('')}`);
  gw = await startGatewayProcess({ DATASERVICE_BASEPATH: ds.url, ENTITIES_FILE: entities, LOG_STORE_FILE_DIR: logDir });
  ds.svc.deps.config.GATEWAY_URL = gw.url;
  for (let i = 0; i < 12; i++) await chat(KEYS.a.key, `a-${i}`, { team: i % 2 ? 'odd' : 'even' });
  for (let i = 0; i < 5; i++) await chat(KEYS.b.key, `b-${i}`, { team: 'b' });
  await eventually(() => expect(loggedDocs().length).toBe(17), 10_000);
}, 60_000);

afterAll(async () => {
  await gw?.close();
  if (gw) rmSync(gw.logDir, { recursive: true, force: true });
  await ds?.close();
  await anthropic?.close();
  await cp?.close();
});

async function waitForStatus(client: Portkey, id: string, status: string) {
  return eventually(async () => {
    const r = (await client.logs.exports.retrieve({ exportId: id })) as unknown as Record<string, unknown>;
    expect(r.status).toBe(status);
    return r;
  }, 20_000, 100);
}

describe('log exports through the gateway with the portkey-ai SDK', () => {
  it('create, start, retrieve, download: the JSONL is what the gateway logged, for the key\'s workspace only', async () => {
    const client = portkey(KEYS.a.key);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const fields = ['id', 'trace_id', 'created_at', 'request', 'response', 'is_success', 'ai_org', 'ai_model', 'req_units', 'res_units', 'total_units', 'request_url', 'cost', 'cost_currency', 'response_time', 'response_status_code', 'metadata'];
    const created = (await client.logs.exports.create({ filters: { time_of_generation_min: from }, requestedData: fields, description: 'all of A' } as never)) as unknown as Record<string, unknown>;
    if (spec) expect(portkeySchema('UpdateExportResponse')(created)).toEqual([]);
    expect(created.object).toBe('export');
    const id = created.id as string;
    const draft = (await client.logs.exports.retrieve({ exportId: id })) as unknown as Record<string, unknown>;
    expect(draft.status).toBe('draft');
    if (spec) expect(portkeySchema('ExportItem')(draft)).toEqual([]);
    const started = (await client.logs.exports.start({ exportId: id })) as unknown as Record<string, unknown>;
    if (spec) expect(portkeySchema('ExportTaskResponse')(started)).toEqual([]);
    const done = await waitForStatus(client, id, 'success');
    if (spec) expect(portkeySchema('ExportItem')(done)).toEqual([]);
    const progress = done.progress as { done: number; total: number; written: number };
    expect(progress.done).toBe(progress.total);
    expect(progress.written).toBe(12);
    const dl = (await client.logs.exports.download({ exportId: id })) as unknown as { signed_url: string };
    if (spec) expect(portkeySchema('DownloadLogsResponse')(dl)).toEqual([]);
    const file = await fetch(dl.signed_url);
    expect(file.status).toBe(200);
    const lines = gunzipSync(Buffer.from(await file.arrayBuffer())).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const logged = loggedDocs().filter((d) => d.principal?.workspace === WS_A);
    expect(lines.length).toBe(logged.length);
    const byId = new Map(logged.map((d) => [d.id, d]));
    for (const row of lines) {
      const doc = byId.get(row.id)!;
      expect(doc, `exported ${row.id} was logged`).toBeDefined();
      expect(Object.keys(row)).toEqual(fields);
      expect(row.trace_id).toBe(doc.trace_id);
      expect(row.created_at).toBe(doc.created_at);
      expect(row.request).toEqual(doc.request.body);
      expect(row.response).toEqual(doc.response.body);
      expect(row.ai_org).toBe('anthropic');
      expect(row.ai_model).toBe(doc.model);
      expect(row.req_units).toBe(doc.usage?.prompt_tokens);
      expect(row.total_units).toBe(doc.usage?.total_tokens);
      expect(row.response_status_code).toBe(200);
      expect(row.metadata).toEqual(doc.metadata);
    }
  });

  it('filters (metadata, model, status) and CSV on request', async () => {
    const client = portkey(KEYS.a.key);
    const created = (await client.logs.exports.create({
      filters: { time_of_generation_min: new Date(Date.now() - 3_600_000).toISOString(), metadata: { team: 'odd' }, ai_model: 'claude-3-5-haiku-20241022', status_code: '200' },
      requestedData: ['id', 'metadata', 'request'], format: 'csv',
    } as never)) as unknown as { id: string };
    await client.logs.exports.start({ exportId: created.id });
    await waitForStatus(client, created.id, 'success');
    const dl = (await client.logs.exports.download({ exportId: created.id })) as unknown as { signed_url: string };
    const text = gunzipSync(Buffer.from(await (await fetch(dl.signed_url)).arrayBuffer())).toString('utf8');
    const rows = text.trim().split('\n');
    expect(rows[0]).toBe('id,metadata,request');
    expect(rows.length).toBe(1 + 6);
    for (const r of rows.slice(1)) expect(r).toContain('""team"":""odd""');
  });

  it('workspaces and scopes: other workspace 404, no logs scope 403, foreign workspace_id 403, org key sees all', async () => {
    const a = portkey(KEYS.a.key);
    const { id } = (await a.logs.exports.create({ filters: {}, requestedData: ['id'] } as never)) as unknown as { id: string };
    const other = await fetch(`${gw.url}/v1/logs/exports/${id}`, { headers: { 'x-portkey-api-key': KEYS.b.key } });
    expect(other.status).toBe(404);
    expect((await other.json()).error.code).toBe('not_found');
    const noScope = await fetch(`${gw.url}/v1/logs/exports`, { headers: { 'x-portkey-api-key': KEYS.noLogs.key } });
    expect(noScope.status).toBe(403);
    const foreign = await fetch(`${gw.url}/v1/logs/exports`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.b.key, 'content-type': 'application/json' }, body: JSON.stringify({ workspace_id: WS_A, filters: {}, requested_data: ['id'] }) });
    expect(foreign.status).toBe(403);
    const bad = await fetch(`${gw.url}/v1/logs/exports`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.a.key, 'content-type': 'application/json' }, body: JSON.stringify({ filters: { colour: 'red' }, requested_data: ['id'] }) });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.param).toBe('filters.colour');
    const noKey = await fetch(`${gw.url}/v1/logs/exports`);
    expect(noKey.status).toBe(401);
    const org = (await portkey(KEYS.org.key).logs.exports.list({} as never)) as unknown as { data: Array<{ id: string }>; total: number };
    if (spec) expect(portkeySchema('ExportListResponse')(org)).toEqual([]);
    expect(org.data.map((e) => e.id)).toContain(id);
    const listB = (await portkey(KEYS.b.key).logs.exports.list({} as never)) as unknown as { data: Array<{ id: string }> };
    expect(listB.data.map((e) => e.id)).not.toContain(id);
    // The org-level key exports every workspace.
    const all = (await portkey(KEYS.org.key).logs.exports.create({ filters: { time_of_generation_min: new Date(Date.now() - 3_600_000).toISOString() }, requestedData: ['id'] } as never)) as unknown as { id: string };
    await portkey(KEYS.org.key).logs.exports.start({ exportId: all.id });
    const done = await waitForStatus(portkey(KEYS.org.key), all.id, 'success');
    expect((done.progress as { written: number }).written).toBe(17);
  });

  it('files and batches are kept apart by workspace: another workspace\'s id is 404', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([JSON.stringify({ custom_id: 'w1', method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-3-5-haiku-20241022', max_tokens: 5, messages: [{ role: 'user', content: 'w' }] } }) + '\n']), 'w.jsonl');
    const up = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.a.key }, body: form });
    expect(up.status).toBe(200);
    const file = await up.json();
    expect((await fetch(`${gw.url}/v1/files/${file.id}`, { headers: { 'x-portkey-api-key': KEYS.b.key } })).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/files/${file.id}/content`, { headers: { 'x-portkey-api-key': KEYS.b.key } })).status).toBe(404);
    const listB = await (await fetch(`${gw.url}/v1/files`, { headers: { 'x-portkey-api-key': KEYS.b.key } })).json();
    expect(listB.data.map((f: { id: string }) => f.id)).not.toContain(file.id);
    const config = JSON.stringify({ provider: 'anthropic', api_key: 'sk-ant-test', custom_host: anthropic.baseUrl });
    const asB = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.b.key, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': config } }) });
    expect(asB.status).toBe(404);
    const asA = await fetch(`${gw.url}/v1/batches`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.a.key, 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', portkey_options: { 'x-portkey-config': config } }) });
    expect(asA.status).toBe(200);
    const batch = await asA.json();
    expect((await fetch(`${gw.url}/v1/batches/${batch.id}`, { headers: { 'x-portkey-api-key': KEYS.b.key } })).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/batches/${batch.id}/cancel`, { method: 'POST', headers: { 'x-portkey-api-key': KEYS.b.key } })).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/files`, { headers: { 'x-portkey-api-key': KEYS.org.key } })).status).toBe(403);
  });

  it('update changes a draft; the key is introspected once and then cached', async () => {
    const a = portkey(KEYS.a.key);
    const before = cp.calls;
    const { id } = (await a.logs.exports.create({ filters: {}, requestedData: ['id'] } as never)) as unknown as { id: string };
    const upd = (await a.logs.exports.update({ exportId: id, filters: { trace_id: 'none-such' }, requestedData: ['id', 'trace_id'] } as never)) as unknown as Record<string, unknown>;
    if (spec) expect(portkeySchema('UpdateExportResponse')(upd)).toEqual([]);
    const got = (await a.logs.exports.retrieve({ exportId: id })) as unknown as Record<string, unknown>;
    expect(got.requested_data).toEqual(['id', 'trace_id']);
    expect(got.filters).toEqual({ trace_id: 'none-such' });
    expect(cp.calls - before).toBeLessThanOrEqual(1);
  });
});
