/**
 * Sync suite: a gateway synced from a control plane (a fake that speaks packages/contract/src/sync.ts)
 * while 10,000 keys and 1,000 configs arrive, as a fresh snapshot and as one batch of changes.
 * Targets: the sync applies in ≤ 1 s, and requests served meanwhile gain ≤ 10 ms at p99; the gateway's
 * c=50 throughput relative to the upstream called directly is the same with its key from the control plane
 * as with the same key from the entities file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayKey, SavedConfig, SyncChange } from '@portico/contract';
import { request } from 'undici';
import autocannon from 'autocannon';
import { loopCost } from './sync-loop.js';
import { chatBody, compare, fmt, gatewayTarget, sleep, startFakeUpstream, startGateway, warmUp, SECONDS, type Target } from './lib.js';

const ORG = 'org-bench';
const CLIENT_AUTH = 'client-auth-bench-0123456789';
const KEY = 'pk-bench-sync-key';
const KEYS = 10_000;
const CONFIGS = 1_000;
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

function bulk(round: number): { keys: GatewayKey[]; configs: SavedConfig[] } {
  const keys: GatewayKey[] = [{ id: 'bench', hash: hash(KEY), scopes: ['completions'], organisation: ORG }];
  for (let i = 1; i < KEYS; i++) keys.push({ id: `k-${round}-${i}`, hash: hash(`pk-${round}-${i}`), name: `key ${i}`, scopes: ['completions'], workspace: `ws-${i % 50}`, organisation: ORG, limits: [{ kind: 'requests', limit: 1000, window: 'minute' }] });
  const configs: SavedConfig[] = [];
  for (let i = 0; i < CONFIGS; i++) configs.push({ id: `pc-${round}-${i}`, slug: `config-${round}-${i}`, workspace: `ws-${i % 50}`, json: JSON.stringify({ strategy: { mode: 'fallback' }, targets: [{ provider: 'openai', override_params: { model: 'gpt-4o-mini' } }, { provider: 'anthropic' }], retry: { attempts: 2 } }) });
  return { keys, configs };
}

type Body = Array<string | Buffer>;

/** The control plane's side of the sync protocol, with the two kinds of bulk update on demand. */
export async function startControlPlane() {
  let version = 1;
  let snapshotBody: Body = [JSON.stringify({ organisation: ORG, version, keys: [{ id: 'bench', hash: hash(KEY), scopes: ['completions'] }], virtualKeys: [], configs: [], prompts: [], partials: [], guardrails: [], userLimits: {} })];
  let pending: Array<(body: Body) => void> = [];
  // Bodies go out as prepared buffers, written as they are: no encoding of megabytes in this process.
  const send = (res: ServerResponse, body: Body | string) => {
    const parts = typeof body === 'string' ? [body] : body;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': parts.reduce((n, p) => n + Buffer.byteLength(p), 0) });
    for (const p of parts) res.write(p);
    res.end();
  };
  const server = createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== `Bearer ${CLIENT_AUTH}`) return send(res, JSON.stringify({ error: { message: 'forbidden' } }));
    if (url.pathname === '/v1/sync/snapshot') return send(res, snapshotBody);
    if (url.pathname === '/v1/sync/analytics') return send(res, '{"accepted":0,"duplicates":0}');
    if (url.pathname === '/v1/sync/changes') {
      const since = Number(url.searchParams.get('since'));
      if (since < version) return send(res, JSON.stringify({ organisation: ORG, version, changes: [] }));
      const waiter = (body: Body) => send(res, body);
      pending.push(waiter);
      res.once('close', () => (pending = pending.filter((p) => p !== waiter)));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const answer = (body: Body | string) => {
    const parts = typeof body === 'string' ? [body] : body;
    const waiting = pending;
    pending = [];
    for (const p of waiting) p(parts);
    return waiting.length;
  };
  // Bodies are made before any measurement: building them would stall this process, the load driver.
  const prepared = new Map<string, { keys: Buffer; configs: Buffer; changes: Buffer }>();
  const bodies = (round: number) => {
    let b = prepared.get(String(round));
    if (!b) {
      const { keys, configs } = bulk(round);
      const changes: SyncChange[] = [...keys.map((entity) => ({ op: 'upsert', kind: 'key', entity }) as SyncChange), ...configs.map((entity) => ({ op: 'upsert', kind: 'config', entity }) as SyncChange)];
      b = { keys: Buffer.from(JSON.stringify(keys)), configs: Buffer.from(JSON.stringify(configs)), changes: Buffer.from(JSON.stringify(changes)) };
      prepared.set(String(round), b);
    }
    return b;
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    prepare(rounds: number) {
      for (let r = 1; r <= rounds; r++) bodies(r);
    },
    /** A new snapshot of 10,000 keys and 1,000 configs; long polls are told to fetch it. */
    snapshot(round: number): number {
      const b = bodies(round);
      version++;
      snapshotBody = [`{"organisation":"${ORG}","version":${version},"keys":`, b.keys, ',"virtualKeys":[],"configs":', b.configs, ',"prompts":[],"partials":[],"guardrails":[],"userLimits":{}}'];
      return answer(JSON.stringify({ organisation: ORG, version, changes: [], reset: true }));
    },
    /** 10,000 key and 1,000 config upserts in one changes answer. */
    changes(round: number): number {
      const b = bodies(round);
      version++;
      return answer([`{"organisation":"${ORG}","version":${version},"changes":`, b.changes, '}']);
    },
    close: () => new Promise<void>((r) => {
      answer(JSON.stringify({ organisation: ORG, version, changes: [] }));
      server.close(() => r());
      server.closeAllConnections();
    }),
  };
}

/** The gateway's own record of sync applies: sum and count of portico_sync_apply_seconds per kind. */
async function applyStats(gatewayUrl: string, kind: string): Promise<{ sum: number; count: number }> {
  const text = await (await request(`${gatewayUrl}/metrics`)).body.text();
  const num = (name: string) => Number(new RegExp(`^${name}\\{kind="${kind}"\\} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: num('portico_sync_apply_seconds_sum'), count: num('portico_sync_apply_seconds_count') };
}

/** Time from the control plane's answer until a key of this round is accepted by the gateway. */
async function timeUntilServed(gatewayUrl: string, upstreamUrl: string, key: string, pollMs = 2): Promise<number> {
  const started = performance.now();
  for (;;) {
    const r = await request(`${gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1`, 'x-portkey-api-key': key },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await r.body.text();
    if (r.statusCode === 200) return performance.now() - started;
    if (performance.now() - started > 10_000) throw new Error('the synced key was not served within 10 s');
    await sleep(pollMs);
  }
}

export async function runSync(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-sync-'));
  const upstream = await startFakeUpstream();
  const cp = await startControlPlane();
  cp.prepare(40);
  // First, with no gateway polling this control plane: what one sync costs the event loop, in process.
  const loopRows = await loopCost(cp, CLIENT_AUTH, ORG, (round) => hash(`pk-${round}-${KEYS - 1}`), 0);
  const entities = join(dir, 'entities.yaml');
  writeFileSync(entities, `keys:\n  - id: bench\n    key_hash: ${hash(KEY)}\n`);
  // Both log to files, as deployed; the synced one also sends an analytics row per request.
  const synced = await startGateway({ LOG_STORE_FILE_DIR: join(dir, 'synced-logs'), DATA_DIR: join(dir, 'synced'), CONTROL_PLANE_URL: cp.url, PORTKEY_CLIENT_AUTH: CLIENT_AUTH, ORGANISATIONS_TO_SYNC: ORG });
  const fromFile = await startGateway({ LOG_STORE_FILE_DIR: join(dir, 'file-logs'), DATA_DIR: join(dir, 'file'), ENTITIES_FILE: entities });
  const keyed = { 'x-portkey-api-key': KEY };
  const syncedTarget = gatewayTarget('synced', synced.url, upstream.url, keyed);
  const fileTarget = gatewayTarget('entities file', fromFile.url, upstream.url, keyed);
  await warmUp(syncedTarget, fileTarget);

  // The figures are wall-clock times: a machine busy with other work stretches them all.
  console.log(`\n## sync: ${KEYS.toLocaleString('en')} keys and ${CONFIGS.toLocaleString('en')} configs from a control plane; ${SECONDS}s per load run; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`);
  console.log('| figure | measured | target |\n|---|---|---|');
  for (const row of loopRows) console.log(row);
  let round = 0;
  for (const kind of ['snapshot', 'changes'] as const) {
    const times: number[] = [];
    const internal: number[] = [];
    for (let i = 0; i < 3; i++) {
      round++;
      const before = await applyStats(synced.url, kind);
      while ((kind === 'snapshot' ? cp.snapshot(round) : cp.changes(round)) === 0) await sleep(5);
      times.push(await timeUntilServed(synced.url, upstream.url, `pk-${round}-${KEYS - 1}`));
      await sleep(200);
      const after = await applyStats(synced.url, kind);
      if (after.count > before.count) internal.push((after.sum - before.sum) / (after.count - before.count));
      await sleep(300);
    }
    const worst = Math.max(...times);
    const label = kind === 'snapshot' ? 'new snapshot (reset), downloaded and applied' : 'one batch of 11,000 changes applied';
    console.log(`| ${label}: until its last key is served, worst of 3 | ${fmt(worst, 0)} ms (gateway's own apply time ${internal.length ? fmt(1000 * Math.max(...internal), 0) : '?'} ms) | ≤ 1000 ms ${worst <= 1000 ? 'met' : 'MISSED'} |`);
  }

  // Requests at c=10 for a while, a sync of 10,000 keys + 1,000 configs every 1.5 s; each request is
  // classed by whether it overlapped an apply (from the control plane's answer until the last key is
  // served), and the p99 of those is set against the p99 of the others, measured in the same run.
  const overlapped: number[] = [];
  const clear: number[] = [];
  for (let run = 0; run < 2; run++) {
    const windows: Array<[number, number]> = [];
    const samples: Array<[number, number]> = [];
    let stop = false;
    const finished = new Promise<void>((resolve, reject) => {
      const inst = autocannon({
        url: `${synced.url}/v1/chat/completions`, method: 'POST', connections: 10, duration: Math.max(6, SECONDS * 2),
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...syncedTarget.headers }, body: chatBody(false),
      }, (err) => (err ? reject(err) : resolve()));
      inst.on('response', (_c: unknown, _status: number, _bytes: number, ms: number) => samples.push([performance.now(), ms]));
    });
    const churn = (async () => {
      await sleep(1000);
      while (!stop) {
        round = (round % 40) + 1;
        const started = performance.now();
        while ((round % 2 ? cp.snapshot(round) : cp.changes(round)) === 0 && !stop) await sleep(2);
        await timeUntilServed(synced.url, upstream.url, `pk-${round}-${KEYS - 1}`, 10);
        windows.push([started, performance.now()]);
        await sleep(1500);
      }
    })();
    await finished;
    stop = true;
    await churn;
    for (const [end, ms] of samples) {
      const begin = end - ms;
      (windows.some(([a, b]) => begin < b && end > a) ? overlapped : clear).push(ms);
    }
    await sleep(1000);
  }
  const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))] ?? NaN;
  const gain = p99(overlapped) - p99(clear);
  console.log(`| p99 at c=10 of requests overlapping a sync of 10,000 keys + 1,000 configs (${overlapped.length}) vs the others (${clear.length}), same runs | ${fmt(p99(overlapped), 1)} ms vs ${fmt(p99(clear), 1)} ms: +${fmt(Math.max(0, gain), 1)} ms | ≤ +10 ms ${gain <= 10 ? 'met' : 'MISSED'} |`);

  // Each gateway against the upstream called directly, then the two gateways head to head, alternated
  // in pairs: the ratio to direct is what must not move when the entities come from the control plane,
  // and the head-to-head median (same moments of a noisy machine for both) is the steadier reading of it.
  const direct: Target = { name: 'direct', url: upstream.url, headers: {} };
  const viaFile = await compare(direct, fileTarget, 50, 3);
  const viaSync = await compare(direct, syncedTarget, 50, 3);
  const headToHead = await compare(fileTarget, syncedTarget, 50, 5);
  const drift = headToHead.ratio;
  console.log(`| c=50 gateway/direct req/s, key from the control plane vs from the entities file | ${fmt(100 * viaSync.ratio)}% (${fmt(viaSync.b.rps, 0)} vs ${fmt(viaSync.a.rps, 0)}) vs ${fmt(100 * viaFile.ratio)}% (${fmt(viaFile.b.rps, 0)} vs ${fmt(viaFile.a.rps, 0)}) | (for information) |`);
  console.log(`| c=50 req/s, key from the control plane / key from the entities file, 5 alternated pairs head to head | ${fmt(100 * drift)}% (${fmt(headToHead.b.rps, 0)} vs ${fmt(headToHead.a.rps, 0)}; analytics rows shipped by the synced one) | ≈ 100% (≥ 95%) ${drift >= 0.95 ? 'met' : 'MISSED'} |`);

  await synced.proc.stop();
  await fromFile.proc.stop();
  await cp.close();
  await upstream.proc.stop();
  rmSync(dir, { recursive: true, force: true });
}
