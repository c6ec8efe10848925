/**
 * The console's 7-day dashboard against 1,000,000 analytics rows: a throwaway PostgreSQL (and, for
 * information, SQLite), a control plane in its own process, rows loaded through the real ingest path
 * (POST /v1/sync/analytics, batches of 5,000), then the dashboard's seven graph requests sent at once,
 * RUNS times. Prints each query's p50/p95 and the whole dashboard's, next to the 300 ms target.
 * Run: npm run bench -w @portico/control-plane (BENCH_QUERY_ROWS, BENCH_QUERY_RUNS, BENCH_SQLITE_ROWS).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { AnalyticsRow } from '@portico/contract';
import { freePort } from '@portico/test-support/ports';
import { postgresMissing, startPostgres } from '@portico/test-support/postgres';

const TARGET_MS = 300;
const ROWS = Number(process.env.BENCH_QUERY_ROWS ?? 1_000_000);
const SQLITE_ROWS = Number(process.env.BENCH_SQLITE_ROWS ?? ROWS);
const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 20);
const BATCH = 5_000;
const IN_FLIGHT = 4;
const DAY = 86_400_000;
/** The graphs the console's overview asks for (packages/console/src/screens/overview/charts.ts). */
export const DASHBOARD_GRAPHS = ['requests', 'cost', 'tokens', 'latency', 'errors/rate', 'cache/hit-rate', 'requests/rescued'];

const MODELS: Array<[string, string]> = [['openai', 'gpt-4o-mini'], ['openai', 'gpt-4o'], ['anthropic', 'claude-sonnet-4'], ['google', 'gemini-2.5-flash'], ['mistral', 'mistral-large']];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 500];

/** A deterministic spread of rows over the last 7 days: 5 models, 20 keys, 500 users, 5% errors, 10% cache hits. */
export function benchRow(organisation: string, workspace: string | null, i: number, now: number): AnalyticsRow {
  const [provider, model] = MODELS[i % MODELS.length];
  const latency = 80 + ((i * 7919) % 3000) + (i % 97 === 0 ? 20_000 : 0);
  const hit = i % 10 === 0;
  return {
    id: randomUUID(), organisation, workspace, key_id: `key-${i % 20}`, trace_id: `trace-${i}`, created_at: new Date(now - ((i * 104_729) % (7 * DAY))).toISOString(),
    endpoint: 'chat.completions', provider, model, virtual_key: `vk-${provider}`, config_id: i % 3 ? null : 'cfg-1', prompt_id: null, status: STATUSES[i % STATUSES.length],
    latency_ms: hit ? 5 + (i % 20) : latency, first_byte_ms: 40, prompt_tokens: 100 + (i % 50), completion_tokens: 200 + (i % 300), total_tokens: 300 + (i % 50) + (i % 300),
    cached_tokens: 0, cost_usd: hit ? 0 : 0.0001 * (1 + (i % 40)), cache_status: hit ? 'HIT' : i % 3 ? 'MISS' : 'DISABLED', retries: i % 25 === 0 ? 1 : 0, rescued: i % 50 === 0,
    stream: i % 2 === 0, error_code: null, user: `user-${i % 500}`, metadata: { team: `t${i % 5}`, env: i % 2 ? 'prod' : 'staging' },
  };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const ms = (n: number) => `${n.toFixed(0)} ms`;

async function startControlPlane(env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../src/main.ts')], {
    env: { ...process.env, HOST: '127.0.0.1', CONTROL_PLANE_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300 && !(await fetch(`${url}/v1/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { url, stop };
}

async function load(url: string, clientAuth: string, adminKey: string, organisation: string, total: number, now: number) {
  const workspaces = (await (await fetch(`${url}/v1/admin/workspaces`, { headers: { 'x-portkey-api-key': adminKey } })).json()) as { data: Array<{ id: string }> };
  const workspace = workspaces.data[0]?.id ?? null;
  let next = 0;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < total) {
      const from = next;
      next += BATCH;
      const rows = Array.from({ length: Math.min(BATCH, total - from) }, (_, j) => benchRow(organisation, workspace, from + j, now));
      const r = await fetch(`${url}/v1/sync/analytics`, { method: 'POST', headers: { authorization: `Bearer ${clientAuth}`, 'content-type': 'application/json' }, body: JSON.stringify({ gateway: 'bench', rows }) });
      if (!r.ok) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
      accepted += ((await r.json()) as { accepted: number }).accepted;
    }
  }));
  return { accepted, seconds: (performance.now() - started) / 1000 };
}

/** The dashboard as the console sends it: seven graph requests at once, for the last 7 days. */
async function dashboard(url: string, adminKey: string, now: number) {
  const q = new URLSearchParams({ time_of_generation_min: new Date(now - 7 * DAY).toISOString(), time_of_generation_max: new Date(now).toISOString() });
  const started = performance.now();
  const each = await Promise.all(DASHBOARD_GRAPHS.map(async (g) => {
    const t = performance.now();
    const r = await fetch(`${url}/v1/analytics/graphs/${g}?${q}`, { headers: { 'x-portkey-api-key': adminKey } });
    if (!r.ok) throw new Error(`${g} answered ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
    return performance.now() - t;
  }));
  return { each, total: performance.now() - started };
}

async function measure(label: string, env: Record<string, string>, rows: number, opts: { page?: boolean } = {}) {
  const clientAuth = `ca-${randomUUID()}`;
  const adminKey = `pt-bench-${randomUUID()}`;
  const organisation = randomUUID();
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const cp = await startControlPlane({ ...env, DATA_DIR: dataDir, PORTKEY_CLIENT_AUTH: clientAuth, ADMIN_API_KEY: adminKey, ORGANISATION_ID: organisation });
  try {
    const now = Date.now();
    const loaded = await load(cp.url, clientAuth, adminKey, organisation, rows, now);
    console.log(`\n${label}: loaded ${loaded.accepted} rows through POST /v1/sync/analytics in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.accepted / loaded.seconds)} rows/s)`);
    await dashboard(cp.url, adminKey, now); // warm-up
    const perGraph = DASHBOARD_GRAPHS.map(() => [] as number[]);
    const totals: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { each, total } = await dashboard(cp.url, adminKey, now);
      each.forEach((t, j) => perGraph[j].push(t));
      totals.push(total);
    }
    const all = perGraph.flat().sort((a, b) => a - b);
    console.log(`7-day dashboard, ${DASHBOARD_GRAPHS.length} graph requests at once, ${RUNS} runs (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs)`);
    console.log('| query | p50 | p95 | target (p95) | |\n|---|---:|---:|---:|---|');
    perGraph.forEach((ts, j) => {
      ts.sort((a, b) => a - b);
      console.log(`| ${DASHBOARD_GRAPHS[j]} | ${ms(quantile(ts, 0.5))} | ${ms(quantile(ts, 0.95))} | ≤ ${TARGET_MS} ms | ${quantile(ts, 0.95) <= TARGET_MS ? 'met' : 'NOT met'} |`);
    });
    totals.sort((a, b) => a - b);
    console.log(`| every query | ${ms(quantile(all, 0.5))} | ${ms(quantile(all, 0.95))} | ≤ ${TARGET_MS} ms | ${quantile(all, 0.95) <= TARGET_MS ? 'met' : 'NOT met'} |`);
    console.log(`| whole dashboard (all 7 answered) | ${ms(quantile(totals, 0.5))} | ${ms(quantile(totals, 0.95))} | | |`);
    if (opts.page) await consolePage(cp.url, adminKey);
  } finally {
    await cp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The console's page on the same data: packages/console/bench/dashboard.ts, when the console is built. */
async function consolePage(url: string, adminKey: string) {
  const consoleDir = join(import.meta.dirname, '../../console');
  if (!existsSync(join(consoleDir, 'dist', 'index.html'))) {
    console.log('Console page bench skipped: the console is not built (npm run build -w @portico/console)');
    return;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', join(consoleDir, 'bench/dashboard.ts')], { env: { ...process.env, BENCH_CP_URL: url, BENCH_ADMIN_KEY: adminKey }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((r) => child.once('exit', r));
  if (code !== 0) console.log(`Console page bench failed (exit ${code})`);
}

async function main() {
  if (postgresMissing) console.log(`PostgreSQL part skipped: ${postgresMissing}`);
  else {
    const cluster = await startPostgres();
    try {
      await measure(`PostgreSQL, ${ROWS} rows`, { DATABASE_URL: await cluster.createDatabase('bench_queries') }, ROWS, { page: true });
    } finally {
      cluster.stop();
    }
  }
  if (SQLITE_ROWS > 0) await measure(`SQLite (for information), ${SQLITE_ROWS} rows`, {}, SQLITE_ROWS);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
