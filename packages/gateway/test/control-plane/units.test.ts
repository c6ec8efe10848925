import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalyticsBatch, AnalyticsRow } from '@portico/contract';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalyticsShipper } from '../../src/analytics/shipper.js';
import { TopLevelSplitter } from '../../src/entities/json-splitter.js';
import { SnapshotIndex } from '../../src/entities/snapshot-index.js';
import { SnapshotCipher } from '../../src/entities/snapshot-persistence.js';
import { eventually } from '../helpers/gateway.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the snapshot splitter', () => {
  const doc = {
    organisation: 'org "x"',
    version: 42,
    keys: [{ id: 'k1', hash: 'a'.repeat(64), scopes: ['completions'], name: 'with ] and } and \\" inside' }, { id: 'k2', hash: 'b'.repeat(64), scopes: [] }],
    userLimits: { '*': [{ kind: 'requests', limit: 5, window: 'minute' }] },
    virtualKeys: [],
    configs: [{ id: 'c1', json: '{"retry":{"attempts":[1,2]}}' }],
    nested: [[1, [2]], { a: [] }, 'str,with,commas', null, 3.5],
    reset: true,
  };
  const text = JSON.stringify(doc, null, 1);

  it('yields every member and array element whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const s = new TopLevelSplitter();
      const parts = [];
      for (let i = 0; i < text.length; i += size) parts.push(...s.feed(text.slice(i, i + size)));
      s.end();
      const rebuilt: Record<string, unknown> = {};
      for (const p of parts) {
        if ('element' in p) ((rebuilt[p.key] ??= []) as unknown[]).push(JSON.parse(p.element));
        else rebuilt[p.key] = JSON.parse(p.value);
      }
      expect(rebuilt).toEqual({ ...doc, virtualKeys: undefined, ...Object.fromEntries(Object.entries(doc).filter(([, v]) => !(Array.isArray(v) && v.length === 0))) });
    }
  });

  it('refuses text that is not one JSON object', () => {
    expect(() => new TopLevelSplitter().feed('[1,2]')).toThrow(/JSON object/);
    const cut = new TopLevelSplitter();
    cut.feed('{"keys":[{"id":1}');
    expect(() => cut.end()).toThrow(/ended early/);
  });

  it('indexes configs and prompts by id and slug, and forgets both on delete', () => {
    const idx = new SnapshotIndex();
    idx.upsert('config', { id: 'pc-1', slug: 'main', json: '{}' } as never);
    expect(idx.configs.get('main')?.id).toBe('pc-1');
    idx.upsert('config', { id: 'pc-1', slug: 'renamed', json: '{}' } as never);
    expect(idx.configs.get('main')).toBeUndefined();
    idx.remove('config', 'pc-1');
    expect(idx.configs.size).toBe(0);
  });
});

describe('the snapshot cipher', () => {
  it('opens what it sealed, and nothing sealed under another client auth key or organisation', async () => {
    const a = new SnapshotCipher('auth-a');
    const text = `{"secret":"sk-1","pad":"${'x'.repeat(200_000)}"}`;
    const sealed = await a.seal('org-1', [text.slice(0, 1000), text.slice(1000)]);
    expect(sealed.includes(Buffer.from('sk-1'))).toBe(false);
    const open = async (c: SnapshotCipher, org: string, data: Buffer) => {
      let out = '';
      await c.open(org, data, (t) => (out += t));
      return out;
    };
    expect(await open(a, 'org-1', sealed)).toBe(text);
    await expect(open(new SnapshotCipher('auth-b'), 'org-1', sealed)).rejects.toThrow();
    await expect(open(a, 'org-2', sealed)).rejects.toThrow();
    const tampered = Buffer.from(sealed);
    tampered[100] ^= 1;
    await expect(open(a, 'org-1', tampered)).rejects.toThrow();
  });
});

function row(i: number): AnalyticsRow {
  return {
    id: `row-${i}`, organisation: 'o', workspace: null, key_id: null, trace_id: `t${i}`, created_at: new Date().toISOString(), endpoint: 'chat', provider: 'openai', model: 'm',
    virtual_key: null, config_id: null, prompt_id: null, status: 200, latency_ms: 1, first_byte_ms: null, prompt_tokens: 1, completion_tokens: 1, total_tokens: 2, cached_tokens: 0,
    cost_usd: 0, cache_status: 'DISABLED', retries: 0, rescued: false, stream: false, error_code: null, user: null, metadata: {},
  };
}

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the analytics shipper', () => {
  it('keeps rows on disk while the control plane fails, delivers them after a restart, and loses none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-analytics-'));
    dirs.push(dir);
    let up = false;
    const stored = new Map<string, number>();
    const send = async (batch: AnalyticsBatch) => {
      if (!up) throw new Error('ECONNREFUSED');
      for (const r of batch.rows) stored.set(r.id, (stored.get(r.id) ?? 0) + 1);
      return { status: 200 };
    };
    const first = new AnalyticsShipper({ gateway: 'g', send, spillDir: dir, spillMaxBytes: 10_000_000, maxQueueRows: 1000, batchMaxRows: 50, batchMaxAgeMs: 10, retryMinMs: 20, retryMaxMs: 50, logger: quiet });
    await first.start();
    for (let i = 0; i < 230; i++) first.push(row(i));
    await eventually(() => expect(first.spilledBatches).toBeGreaterThan(0), 2000);
    await first.close(1000);
    expect(stored.size).toBe(0);

    up = true;
    const second = new AnalyticsShipper({ gateway: 'g', send, spillDir: dir, spillMaxBytes: 10_000_000, maxQueueRows: 1000, batchMaxRows: 50, batchMaxAgeMs: 10, retryMinMs: 20, retryMaxMs: 50, logger: quiet });
    await second.start();
    for (let i = 230; i < 260; i++) second.push(row(i));
    await eventually(() => expect(stored.size).toBe(260), 5000);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
    await eventually(() => expect(second.spilledBatches).toBe(0), 2000);
    await second.close(1000);
  });

  /** A control plane that refuses connections until `up`; counts attempts and keeps the row ids it stored. */
  function downControlPlane() {
    const cp = {
      up: false,
      attempts: 0,
      stored: new Set<string>(),
      send: async (batch: AnalyticsBatch) => {
        cp.attempts++;
        if (!cp.up) throw new Error('ECONNREFUSED');
        for (const r of batch.rows) cp.stored.add(r.id);
        return { status: 200 };
      },
    };
    return cp;
  }

  /** Rows spilled by a gateway that stopped while the control plane was down, as a restarted one finds them. */
  async function spilledWhileDown(dir: string, send: (b: AnalyticsBatch) => Promise<{ status: number }>): Promise<void> {
    const first = new AnalyticsShipper({ gateway: 'g', send, spillDir: dir, spillMaxBytes: 1_000_000, maxQueueRows: 100, batchMaxRows: 10, batchMaxAgeMs: 5, retryMinMs: 60_000, logger: quiet });
    await first.start();
    for (let i = 0; i < 10; i++) first.push(row(i));
    await eventually(() => expect(first.spilledBatches).toBe(1), 2000);
    await first.close(1000);
  }

  it('keeps replaying what waits on disk after a replay fails, with no new rows to send', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-analytics-'));
    dirs.push(dir);
    const cp = downControlPlane();
    await spilledWhileDown(dir, cp.send);
    cp.attempts = 0;
    const s = new AnalyticsShipper({ gateway: 'g', send: cp.send, spillDir: dir, spillMaxBytes: 1_000_000, maxQueueRows: 100, retryMinMs: 10, retryMaxMs: 20, logger: quiet });
    await s.start();
    // Each failed replay schedules the next: no push() is needed to keep it going.
    await eventually(() => expect(cp.attempts).toBeGreaterThanOrEqual(3), 5000, 10);
    expect(cp.stored.size).toBe(0);
    cp.up = true;
    await eventually(() => expect(cp.stored.size).toBe(10), 5000, 10);
    await eventually(() => expect(s.spilledBatches).toBe(0), 2000, 10);
    await s.close(1000);
  });

  it('replays at once when told the control plane answers again, instead of waiting out its backoff', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-analytics-'));
    dirs.push(dir);
    const cp = downControlPlane();
    await spilledWhileDown(dir, cp.send);
    cp.attempts = 0;
    // A minute of backoff after the first failed replay: only retryNow() can deliver within the test.
    const s = new AnalyticsShipper({ gateway: 'g', send: cp.send, spillDir: dir, spillMaxBytes: 1_000_000, maxQueueRows: 100, retryMinMs: 60_000, retryMaxMs: 60_000, logger: quiet });
    await s.start();
    await eventually(() => expect(cp.attempts).toBe(1), 2000, 10);
    cp.up = true;
    s.retryNow();
    await eventually(() => expect(cp.stored.size).toBe(10), 5000, 10);
    expect(cp.attempts).toBe(2);
    await s.close(1000);
  });

  it('drops, and counts, a batch the control plane refuses as malformed instead of retrying it forever', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portico-analytics-'));
    dirs.push(dir);
    let calls = 0;
    const s = new AnalyticsShipper({ gateway: 'g', send: async () => ({ status: (calls++, 400) }), spillDir: dir, spillMaxBytes: 1_000_000, maxQueueRows: 100, batchMaxRows: 10, batchMaxAgeMs: 5, logger: quiet });
    await s.start();
    for (let i = 0; i < 10; i++) s.push(row(i));
    await eventually(() => expect(calls).toBe(1), 1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
    expect(s.spilledBatches).toBe(0);
    await s.close(100);
  });
});
