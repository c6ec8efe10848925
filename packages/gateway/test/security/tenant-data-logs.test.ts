/**
 * Attacks on other tenants' log documents (issue #24 item 4): a logs-scope key of workspace B reads
 * /v1/logs to get workspace A's prompts. Expected outcome: it sees its own workspace's documents only,
 * and another workspace's document is a 404, as if it did not exist. An organisation-level key reads all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream.js';

const KEYS = { a: 'pk-logs-a-chat-0123', b: 'pk-logs-b-chat-0123', aLogs: 'pk-logs-a-read-0123', bLogs: 'pk-logs-b-read-0123', orgLogs: 'pk-logs-org-read-0123' };
let gw: TestGateway;
let upstream: RecordingUpstream;
const ids: Record<'a' | 'b', string> = { a: '', b: '' };

async function list(key: string, extra = ''): Promise<{ status: number; docs: any[] }> {
  const res = await fetch(`${gw.url}/v1/logs?from=${Date.now() - 3_600_000}${extra}`, { headers: { 'x-portkey-api-key': key } });
  const text = await res.text();
  return { status: res.status, docs: res.status === 200 ? text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [JSON.parse(text)] };
}

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  Object.assign(process.env, { SEC_LOGS_A: KEYS.a, SEC_LOGS_B: KEYS.b, SEC_LOGS_AL: KEYS.aLogs, SEC_LOGS_BL: KEYS.bLogs, SEC_LOGS_OL: KEYS.orgLogs });
  gw = await startTestGateway({ LOG_STORE_BATCH_MAX_AGE_MS: '50' }, {
    entities: `keys:
  - { id: a-chat, key_env: SEC_LOGS_A, workspace: wsA }
  - { id: b-chat, key_env: SEC_LOGS_B, workspace: wsB }
  - { id: a-logs, key_env: SEC_LOGS_AL, workspace: wsA, scopes: [logs] }
  - { id: b-logs, key_env: SEC_LOGS_BL, workspace: wsB, scopes: [logs] }
  - { id: org-logs, key_env: SEC_LOGS_OL, scopes: [logs] }
`,
  });
  for (const [who, key] of [['a', KEYS.a], ['b', KEYS.b]] as const) {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json', 'x-portkey-api-key': key, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstream.baseUrl,
        authorization: 'Bearer sk-tenant-own-key-0123456789', 'x-portkey-trace-id': `logs-scope-${who}`,
      },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `prompt of workspace ${who.toUpperCase()}` }] }),
    });
    expect(res.status).toBe(200);
  }
  const all = await eventually(async () => {
    const r = await list(KEYS.orgLogs);
    if (r.docs.length < 2) throw new Error('documents not written yet');
    return r.docs;
  }, 20_000);
  ids.a = all.find((d) => d.trace_id === 'logs-scope-a').id;
  ids.b = all.find((d) => d.trace_id === 'logs-scope-b').id;
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('attack: workspace B\'s logs key lists /v1/logs', () => {
  it('gets workspace B\'s documents only; workspace A\'s prompt is nowhere in the answer', async () => {
    const r = await list(KEYS.bLogs);
    expect(r.status).toBe(200);
    expect(r.docs.map((d) => d.trace_id)).toEqual(['logs-scope-b']);
    expect(JSON.stringify(r.docs)).not.toContain('prompt of workspace A');
  });

  it('the limit counts the reader\'s documents, not the ones it may not see', async () => {
    const r = await list(KEYS.bLogs, '&limit=1');
    expect(r.docs.map((d) => d.trace_id)).toEqual(['logs-scope-b']);
  });
});

describe('attack: workspace B\'s logs key fetches workspace A\'s document by id', () => {
  it('is a 404, the same answer as for an id that does not exist', async () => {
    const res = await fetch(`${gw.url}/v1/logs/${ids.a}`, { headers: { 'x-portkey-api-key': KEYS.bLogs } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('log_not_found');
    expect(JSON.stringify(body)).not.toContain('workspace A');
  });
});

describe('control: each workspace reads its own, an organisation-level key reads all', () => {
  it('workspace A\'s logs key reads A\'s document; the organisation key lists both', async () => {
    const own = await fetch(`${gw.url}/v1/logs/${ids.a}`, { headers: { 'x-portkey-api-key': KEYS.aLogs } });
    expect(own.status).toBe(200);
    expect(((await own.json()) as any).principal).toMatchObject({ key_id: 'a-chat', workspace: 'wsA' });
    const all = await list(KEYS.orgLogs);
    expect(all.docs.map((d) => d.trace_id).sort()).toEqual(['logs-scope-a', 'logs-scope-b']);
  });
});
