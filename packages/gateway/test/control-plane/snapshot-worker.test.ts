import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { SyncChange } from '@portico/contract';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ControlPlaneEntityStore } from '../../src/entities/control-plane-store.js';
import { ImageIndex } from '../../src/entities/image-index.js';
import { buildNameTable, lookupName } from '../../src/entities/name-table.js';
import { ChangesReader, SnapshotReader } from '../../src/entities/raw-snapshot.js';
import { BuildRefused, SnapshotBuilder, spawnSnapshotWorker } from '../../src/entities/snapshot-builder.js';
import { SnapshotCipher } from '../../src/entities/snapshot-persistence.js';
import { SNAPSHOT_WORKER_NICENESS } from '../../src/entities/thread-priority.js';
import { eventually } from '../helpers/gateway.js';
import { emptySnapshot, gatewayKey, startFakeControlPlane, type FakeControlPlane } from './fake-control-plane.js';

const ORG = 'org-worker-test';
const CLIENT_AUTH = 'client-auth-for-worker-tests-0123456789';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function logger() {
  const lines: Array<{ level: string; msg: string; o: object }> = [];
  const at = (level: string) => (o: object, msg: string) => void lines.push({ level, msg, o });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function snapshotText(): string {
  const s = emptySnapshot(ORG);
  s.version = 7;
  s.keys.push(gatewayKey('k1', 'pk-one', { organisation: ORG, workspace: 'ws-1' }));
  s.keys.push(gatewayKey('k2', 'pk-two', { organisation: ORG, expires_at: new Date(Date.now() - 1000).toISOString() }));
  s.keys.push({ id: 'no-hash' } as never);
  s.configs.push({ id: 'pc-1', slug: 'main', json: '{"retry":{"attempts":2}}' });
  s.partials.push({ id: 'pp-1', slug: 'greeting', string: 'Hello {{name}} — ünïcödé' });
  s.userLimits = { '*': [{ kind: 'requests', limit: 5, window: 'minute' }] };
  return JSON.stringify(s);
}

function read(text: string, size: number) {
  const r = new SnapshotReader();
  for (let i = 0; i < text.length; i += size) r.feed(text.slice(i, i + size));
  return r.end();
}

describe('the name table', () => {
  it('finds every name, misses absent ones, and lets a later equal name win', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `name-${i}`);
    const t = buildNameTable([...names, 'name-7'], [...names.map((_, i) => i), 99999], 5000);
    for (let i = 0; i < names.length; i += 97) expect(lookupName(t, names[i])).toBe(i === 7 ? 99999 : i);
    expect(lookupName(t, 'name-7')).toBe(99999);
    expect(lookupName(t, 'name-5000')).toBe(-1);
    expect(lookupName(t, 'name-')).toBe(-1); // a prefix of names is not a name
    expect(lookupName(buildNameTable([], [], 0), 'x')).toBe(-1);
  });
});

describe('a snapshot image', () => {
  it('serves keys, configs by id and slug, partials, user limits and counts, parsing entities on lookup', () => {
    const gk = gatewayKey('k1', 'pk-one');
    for (const size of [1, 13, 4096]) {
      const snap = read(snapshotText(), size);
      expect(snap.skipped).toBe(1);
      const idx = new ImageIndex(snap.image().image);
      expect(idx.version).toBe(7);
      expect(idx.key(gk.hash)).toMatchObject({ id: 'k1', workspace: 'ws-1' });
      expect(idx.key(gatewayKey('k2', 'pk-two').hash)).toBeUndefined(); // expired
      expect(idx.config('main')).toBe(idx.config('pc-1'));
      expect(idx.partial('greeting')?.string).toBe('Hello {{name}} — ünïcödé');
      expect(idx.partial('pp-1')?.slug).toBe('greeting');
      expect(idx.userLimit('anyone')).toEqual([{ kind: 'requests', limit: 5, window: 'minute' }]);
      expect(idx.userLimit('constructor')).toEqual([{ kind: 'requests', limit: 5, window: 'minute' }]);
      expect(idx.counts()).toEqual({ keys: 2, virtual_keys: 0, configs: 1, prompts: 0, guardrails: 0, partials: 1 });
      expect(idx.virtualKey('none')).toBeUndefined();
    }
  });

  it('applies changes to a new image; the one being served stays as it was', () => {
    const snap = read(snapshotText(), 64);
    const before = new ImageIndex(snap.image().image);
    const changes = new ChangesReader();
    const list: SyncChange[] = [
      { op: 'upsert', kind: 'config', entity: { id: 'pc-1', slug: 'renamed', json: '{}' } },
      { op: 'delete', kind: 'key', id: gatewayKey('k1', 'pk-one').hash },
      { op: 'upsert', kind: 'key', entity: gatewayKey('k3', 'pk-three') },
    ];
    changes.feed(JSON.stringify({ organisation: ORG, version: 9, changes: list }));
    changes.end();
    expect(changes.applyTo(snap)).toBe(3);
    const after = new ImageIndex(snap.image().image);
    expect(after.version).toBe(9);
    expect(after.config('main')).toBeUndefined();
    expect(after.config('renamed')?.id).toBe('pc-1');
    expect(after.key(gatewayKey('k1', 'pk-one').hash)).toBeUndefined();
    expect(after.key(gatewayKey('k3', 'pk-three').hash)?.id).toBe('k3');
    // The old image is untouched: a request holding it sees the old entities, all of them.
    expect(before.config('main')?.id).toBe('pc-1');
    expect(before.key(gatewayKey('k1', 'pk-one').hash)?.id).toBe('k1');
    expect(before.key(gatewayKey('k3', 'pk-three').hash)).toBeUndefined();
    // What is persisted reads back as the same snapshot.
    expect(new ImageIndex(read(snap.document(), 100).image().image).counts()).toEqual(after.counts());
  });
});

describe('policies and workspace limits in an image', () => {
  const policy = (id: string, limit: number) => ({ id, type: 'rate', workspace: 'ws-1', status: 'active', conditions: [], group_by: ['api_key'], rate: { unit: 'rpm', value: limit } });
  it('a snapshot carries them, changes add and remove them, and the persisted document keeps them', () => {
    const s = JSON.parse(snapshotText());
    s.policies = [policy('pol-1', 5)];
    s.workspaces = [{ id: 'ws-1', is_default: true, limits: [{ kind: 'requests', limit: 3, window: 'minute' }] }];
    const snap = read(JSON.stringify(s), 29);
    const first = new ImageIndex(snap.image().image);
    expect(first.limits.policyList.map((p) => p.id)).toEqual(['pol-1']);
    expect(first.limits.workspaceList).toEqual(s.workspaces);
    expect(first.limits.defaultWorkspace).toBe('ws-1');
    expect(first.limits.empty).toBe(false);

    const changes = new ChangesReader();
    const list = [
      { op: 'upsert', kind: 'policy', entity: policy('pol-2', 9) },
      { op: 'delete', kind: 'policy', id: 'pol-1' },
      { op: 'upsert', kind: 'workspace', entity: { id: 'ws-1', is_default: true, limits: [] } },
    ] as SyncChange[];
    changes.feed(JSON.stringify({ organisation: ORG, version: 10, changes: list }));
    changes.end();
    expect(changes.applyTo(snap)).toBe(3);
    const next = new ImageIndex(snap.image().image);
    expect(next.limits.policyList.map((p) => p.id)).toEqual(['pol-2']);
    expect(next.limits.workspaceList[0].limits).toEqual([]);
    expect(first.limits.policyList.map((p) => p.id)).toEqual(['pol-1']); // the served image is untouched
    expect(new ImageIndex(read(snap.document(), 50).image().image).limits.policyList.map((p) => p.id)).toEqual(['pol-2']);
  });
});

describe('the snapshot builder (a worker thread)', () => {
  it('builds images from bytes in any chunks, refuses bad answers without breaking, and seals what it holds', async () => {
    const builder = new SnapshotBuilder();
    closers.push(() => builder.close());
    const bytes = Buffer.from(snapshotText());
    const job = builder.begin(ORG, 'snapshot');
    // Cut inside multi-byte characters too.
    for (let i = 0; i < bytes.length; i += 7) job.write(bytes.subarray(i, i + 7));
    const built = await job.end();
    expect(built.skipped).toBe(1);
    const idx = new ImageIndex(built.image!);
    expect(idx.partial('greeting')?.string).toBe('Hello {{name}} — ünïcödé');

    const bad = builder.begin(ORG, 'changes');
    bad.write('{"organisation":"x","changes":[{"op":');
    await expect(bad.end()).rejects.toThrow(BuildRefused);
    const other = builder.begin(ORG, 'snapshot');
    other.write(JSON.stringify(emptySnapshot('org-someone-else')));
    await expect(other.end()).rejects.toThrow(/organisation org-someone-else/);
    expect(builder.usable).toBe(true);

    const changes = builder.begin(ORG, 'changes');
    changes.write(JSON.stringify({ organisation: ORG, version: 8, changes: [{ op: 'delete', kind: 'config', id: 'pc-1' }] }));
    const next = await changes.end();
    expect(next.applied).toBe(1);
    expect(new ImageIndex(next.image!).config('main')).toBeUndefined();

    const cipher = new SnapshotCipher(CLIENT_AUTH);
    const sealed = await builder.sealed(ORG, cipher.key(ORG));
    let text = '';
    await cipher.open(ORG, sealed, (t) => (text += t));
    expect(JSON.parse(text)).toMatchObject({ organisation: ORG, version: 8, configs: [], partials: [{ id: 'pp-1' }] });
  });
});

describe('the snapshot worker\'s CPU priority', () => {
  /** A thread's niceness, from its /proc stat line (field 19; the command name may hold spaces). */
  const niceOf = (tid: string) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);

  it.skipIf(process.platform !== 'linux')('is lowered for the worker\'s thread only: the event loop that serves requests keeps its own', async () => {
    const base = niceOf(String(process.pid));
    const before = new Set(readdirSync('/proc/self/task'));
    const builder = new SnapshotBuilder();
    closers.push(() => builder.close());
    const job = builder.begin(ORG, 'snapshot');
    job.write(snapshotText());
    await job.end();
    const added = readdirSync('/proc/self/task').filter((t) => !before.has(t));
    expect(niceOf(String(process.pid))).toBe(base);
    expect(added.map(niceOf)).toContain(Math.min(19, base + SNAPSHOT_WORKER_NICENESS));
  });
});

describe('a synced store', () => {
  let cp: FakeControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  async function store(builder?: SnapshotBuilder | false) {
    cp ??= await startFakeControlPlane({ organisation: ORG, clientAuth: CLIENT_AUTH, snapshot: emptySnapshot(ORG) });
    const log = logger();
    const s = new ControlPlaneEntityStore({ url: cp.url, clientAuth: CLIENT_AUTH, organisations: [ORG], logger: log, builder, retryMinMs: 20, retryMaxMs: 200 });
    closers.push(() => s.close());
    await s.start(5000);
    return { s, log };
  }

  let rounds = 0;
  const keysOf = (n: number) => {
    const round = ++rounds;
    return Array.from({ length: n }, (_, i) => gatewayKey(`r${round}-${i}`, `pk-r${round}-${i}`));
  };

  /**
   * One answer replaces round A's keys by round B's while lookups run between the event loop's turns:
   * every lookup must see all of A and none of B, or the reverse.
   */
  async function swapIsAtomic(builder: SnapshotBuilder | false | undefined) {
    const { s } = await store(builder);
    const n = 1500;
    const a = keysOf(n).map((k) => {
      cp!.change({ op: 'upsert', kind: 'key', entity: k });
      return k.hash;
    });
    await eventually(async () => expect(await s.findKeyByHash(a[n - 1])).toBeDefined(), 5000, 10);
    const bKeys = keysOf(n);
    const b = bKeys.map((k) => k.hash);
    const seen = new Set<string>();
    let sampling = true;
    const view = async () => (await Promise.all([a[0], a[n - 1], b[0], b[n - 1]].map(async (h) => ((await s.findKeyByHash(h)) ? 1 : 0)))).join('');
    const sample = async () => {
      while (sampling) {
        seen.add(await view());
        await new Promise((r) => setImmediate(r));
      }
      seen.add(await view());
    };
    const sampler = sample();
    for (let i = 0; i < n; i++) {
      cp!.change({ op: 'delete', kind: 'key', id: a[i] });
      cp!.change({ op: 'upsert', kind: 'key', entity: bKeys[i] });
    }
    await eventually(async () => expect(await s.findKeyByHash(b[n - 1])).toBeDefined(), 5000, 10);
    sampling = false;
    await sampler;
    expect([...seen].sort()).toEqual(['0011', '1100']);
  }

  it('swaps a batch of changes in whole: a lookup meanwhile sees the old keys or the new, never a mix', async () => {
    await swapIsAtomic(undefined);
  });

  it('swaps in whole on the event loop too, when there is no worker', async () => {
    await swapIsAtomic(false);
  });

  it('falls back to parsing on the event loop when the worker cannot start', async () => {
    const builder = new SnapshotBuilder(undefined, () => new Worker('process.exit(3)', { eval: true }));
    const { s, log } = await store(builder);
    const key = gatewayKey('fb', 'pk-fallback');
    cp!.change({ op: 'upsert', kind: 'key', entity: key });
    await eventually(async () => expect((await s.findKeyByHash(key.hash))?.id).toBe('fb'), 5000, 20);
    expect(builder.usable).toBe(false);
    expect(log.lines.some((l) => /snapshot worker failed/.test(l.msg))).toBe(true);
  });

  it('keeps serving when the worker dies after a snapshot, and applies the next change within 2 s', async () => {
    let worker: Worker | undefined;
    const builder = new SnapshotBuilder(undefined, () => (worker = spawnSnapshotWorker()));
    const { s } = await store(builder);
    const first = gatewayKey('before', 'pk-before-death');
    cp!.change({ op: 'upsert', kind: 'key', entity: first });
    await eventually(async () => expect(await s.findKeyByHash(first.hash)).toBeDefined(), 5000, 20);
    expect(worker).toBeDefined();
    await worker!.terminate();
    expect(builder.usable).toBe(false);
    expect(await s.findKeyByHash(first.hash)).toBeDefined(); // the installed image needs no worker
    const t0 = Date.now();
    const second = gatewayKey('after', 'pk-after-death');
    cp!.change({ op: 'upsert', kind: 'key', entity: second });
    cp!.change({ op: 'delete', kind: 'key', id: first.hash });
    await eventually(async () => {
      expect(await s.findKeyByHash(second.hash)).toBeDefined();
      expect(await s.findKeyByHash(first.hash)).toBeUndefined();
    }, 2000, 20);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
