/**
 * Analytics ingestion into PostgreSQL: a throwaway cluster, a control plane on it, and gateways'
 * batches (1,000 rows each, 4 in flight) posted to /v1/sync/analytics. Prints rows/s next to the
 * 20,000 rows/s target. Run: npm run bench -w @portico/control-plane (needs initdb/pg_ctl).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { AnalyticsRow } from '@portico/contract';
import { freePort } from '@portico/test-support/ports';
import { postgresMissing, startPostgres } from '@portico/test-support/postgres';

const TARGET = 20_000;
const TOTAL = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCH = 1_000;
const IN_FLIGHT = 4;

function row(organisation: string, i: number): AnalyticsRow {
  return {
    id: randomUUID(), organisation, workspace: 'ws-1', key_id: 'key-1', trace_id: randomUUID(), created_at: new Date(Date.now() - (i % 86_400) * 1000).toISOString(),
    endpoint: 'chat.completions', provider: i % 3 ? 'openai' : 'anthropic', model: i % 3 ? 'gpt-4o-mini' : 'claude-sonnet-4', virtual_key: 'oai', config_id: null,
    prompt_id: null, status: i % 50 ? 200 : 429, latency_ms: 100 + (i % 400), first_byte_ms: 50, prompt_tokens: 100, completion_tokens: 200, total_tokens: 300,
    cached_tokens: 0, cost_usd: 0.0004, cache_status: i % 10 ? 'MISS' : 'HIT', retries: 0, rescued: false, stream: false, error_code: null, user: `user-${i % 100}`,
    metadata: { team: `t${i % 5}` },
  };
}

async function main() {
  if (postgresMissing) {
    console.log(`analytics ingest bench skipped: ${postgresMissing}`);
    return;
  }
  const cluster = await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const clientAuth = `ca-${randomUUID()}`;
  // The control plane runs in its own process, as it does in production: the load driver's event
  // loop (this process) does not share a thread with the server it measures.
  const port = await freePort();
  const org = randomUUID();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../src/main.ts')], {
    env: { ...process.env, HOST: '127.0.0.1', CONTROL_PLANE_PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: await cluster.createDatabase('bench'), PORTKEY_CLIENT_AUTH: clientAuth, ADMIN_API_KEY: 'pt-bench', ORGANISATION_ID: org, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const cp = { url: `http://127.0.0.1:${port}` };
  try {
    for (let i = 0; i < 150 && !(await fetch(`${cp.url}/v1/health`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
    const bodies: string[] = [];
    for (let i = 0; i < TOTAL; i += BATCH) bodies.push(JSON.stringify({ gateway: 'bench', rows: Array.from({ length: BATCH }, (_, j) => row(org, i + j)) }));
    const post = (body: string) =>
      fetch(`${cp.url}/v1/sync/analytics`, { method: 'POST', headers: { authorization: `Bearer ${clientAuth}`, 'content-type': 'application/json' }, body }).then(async (r) => {
        if (!r.ok) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
        return (await r.json()) as { accepted: number };
      });
    await post(bodies[0]); // warm-up (also stores the first batch)
    let next = 1;
    let accepted = 0;
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const r = await post(bodies[next++]);
        accepted += r.accepted;
      }
    }));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rate = Math.round(accepted / seconds);
    const again = await post(bodies[1]);
    console.log('\nAnalytics ingestion into PostgreSQL (POST /v1/sync/analytics, batches of 1,000, 4 in flight)');
    console.log(`| rows | seconds | rows/s | target | |\n|---:|---:|---:|---:|---|\n| ${accepted} | ${seconds.toFixed(2)} | ${rate} | ≥ ${TARGET} | ${rate >= TARGET ? 'met' : 'NOT met'} |`);
    console.log(`Load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs (the figure scales with the CPU this process and PostgreSQL get).`);
    console.log(`A batch sent again stored ${again.accepted} new rows (idempotent by row id).`);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
