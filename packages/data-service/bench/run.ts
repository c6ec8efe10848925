/**
 * npm run bench (data service): export throughput over 1,000,000 generated log documents, and a
 * 10,000-line batch against a fixed-latency fake upstream, through the real gateway, next to the
 * concurrency limit's ideal. Each figure is printed next to its target.
 *   BENCH_EXPORT_DOCS (1000000), BENCH_BATCH_LINES (10000), BENCH_BATCH_CONCURRENCY (50), BENCH_UPSTREAM_MS (100)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { generateFileLogs } from './generate.js';
import { fileLogSource } from '../src/logs/log-source.js';
import { startFixedLatencyUpstream } from './fake-upstream.js';
import { startServiceProcess } from '../test/helpers/service-process.js';
import { startGatewayProcess } from '../test/helpers/gateway-process.js';

const DOCS = Number(process.env.BENCH_EXPORT_DOCS ?? 1_000_000);
const LINES = Number(process.env.BENCH_BATCH_LINES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_BATCH_CONCURRENCY ?? 50);
const UPSTREAM_MS = Number(process.env.BENCH_UPSTREAM_MS ?? 100);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function json(url: string, init?: RequestInit) {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body as Record<string, any>;
}

const row = (name: string, value: string, target: string, ok: boolean) => console.log(`${name.padEnd(44)} ${value.padEnd(26)} target ${target.padEnd(20)} ${ok ? 'OK' : 'MISSED'}`);

async function benchExport(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-bench-export-'));
  try {
    const logs = join(dir, 'logs');
    const t0 = Date.now();
    const gen = await generateFileLogs(logs, DOCS, 4);
    console.log(`generated ${DOCS} log documents (${(gen.bytes / 1e6).toFixed(0)} MB NDJSON) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The machine's floor: the same files read and JSON.parsed in a bare loop (no filter, no output).
    const f0 = Date.now();
    let parsed = 0;
    for await (const lines of fileLogSource(logs).lines(gen.fromMs - 1000, gen.toMs + 1000)) for (const l of lines) if (l) JSON.parse(l), parsed++;
    const floorRate = parsed / ((Date.now() - f0) / 1000);
    const svc = await startServiceProcess({ DATA_DIR: join(dir, 'data'), LOG_STORE: 'file', LOG_STORE_FILE_DIR: logs, ...(process.env.HEAP_GROWING_PERCENT ? { HEAP_GROWING_PERCENT: process.env.HEAP_GROWING_PERCENT } : {}) });
    try {
      const pid = svc.child.pid!;
      const created = await json(`${svc.url}/v1/logs/exports`, { method: 'POST', body: JSON.stringify({ filters: { time_of_generation_min: new Date(gen.fromMs - 1000).toISOString(), time_of_generation_max: new Date(gen.toMs + 1000).toISOString(), ai_org: 'openai' }, requested_data: ['id', 'trace_id', 'created_at', 'request', 'response', 'ai_org', 'ai_model', 'total_units', 'cost', 'response_status_code', 'metadata'] }) });
      let peak = rssMb(pid);
      const start = Date.now();
      await json(`${svc.url}/v1/logs/exports/${created.id}/start`, { method: 'POST' });
      let status: Record<string, any>;
      for (;;) {
        peak = Math.max(peak, rssMb(pid));
        status = await json(`${svc.url}/v1/logs/exports/${created.id}`);
        if (status.status !== 'in_progress') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const secs = (Date.now() - start) / 1000;
      if (status.status !== 'success') throw new Error(`export ended ${status.status}: ${status.error}`);
      const rate = status.progress.done / secs;
      console.log(`export: ${status.progress.done} read, ${status.progress.written} written (filter ai_org=openai), gzip JSONL, ${secs.toFixed(2)} s`);
      row('export throughput (docs read, filtered, written)', `${Math.round(rate).toLocaleString('en')} docs/s`, '>= 50,000 docs/s', rate >= 50_000);
      console.log(`  for scale, this machine now: a bare read + JSON.parse loop over the same files does ${Math.round(floorRate).toLocaleString('en')} docs/s (export = ${(rate / floorRate).toFixed(2)}x of it); load average ${(await import('node:os')).loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} CPUs`);
      row('export: data service peak RSS', `${peak.toFixed(0)} MB`, '<= 300 MB', peak <= 300);
    } finally {
      await svc.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchBatch(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-bench-batch-'));
  const upstream = await startFixedLatencyUpstream(UPSTREAM_MS);
  const gw = await startGatewayProcess({ LOG_STORE: 'none' });
  const svc = await startServiceProcess({ DATA_DIR: dir, GATEWAY_URL: gw.url, BATCH_CONCURRENCY: String(CONCURRENCY), SCHEDULER_INTERVAL_MS: '100' });
  try {
    const lines = Array.from({ length: LINES }, (_, i) => JSON.stringify({ custom_id: `b-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `line ${i}` }] } })).join('\n') + '\n';
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([lines]), 'bench.jsonl');
    const file = (await (await fetch(`${svc.url}/v1/files`, { method: 'POST', body: form })).json()) as { id: string };
    const config = JSON.stringify({ provider: 'openai', api_key: 'sk-bench', custom_host: `${upstream.url}/v1` });
    const start = Date.now();
    const batch = await json(`${svc.url}/v1/batches`, { method: 'POST', body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: 'immediate', portkey_options: { 'x-portkey-config': config } }) });
    let b: Record<string, any>;
    for (;;) {
      b = await json(`${svc.url}/v1/batches/${batch.id}`);
      if (!['validating', 'in_progress', 'finalizing'].includes(b.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const secs = (Date.now() - start) / 1000;
    const ideal = (Math.ceil(LINES / CONCURRENCY) * UPSTREAM_MS) / 1000;
    // The machine's floor: a bare undici client, same concurrency, straight to the same fake upstream.
    const agent = new Agent({ connections: CONCURRENCY });
    let next = 0;
    const r0 = Date.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < LINES) {
        next++;
        const res = await request(`${upstream.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json' }, body: '{"model":"gpt-4o-mini","messages":[]}' });
        await res.body.text();
      }
    }));
    const rawSecs = (Date.now() - r0) / 1000;
    await agent.close();
    console.log(`batch: ${LINES} lines, concurrency ${CONCURRENCY}, upstream ${UPSTREAM_MS} ms, status ${b.status}, completed ${b.request_counts.completed}, failed ${b.request_counts.failed}, upstream max in flight ${upstream.maxInFlight()}`);
    row('batch wall time vs ideal (lines/conc x latency)', `${secs.toFixed(2)} s = ${(secs / ideal).toFixed(2)}x of ${ideal.toFixed(1)} s`, '<= 1.20x', secs / ideal <= 1.2 && b.status === 'completed');
    console.log(`  for scale, this machine now: a bare client at concurrency ${CONCURRENCY} straight to the fake takes ${rawSecs.toFixed(2)} s (${(rawSecs / ideal).toFixed(2)}x of ideal); the batch also crosses the gateway and checkpoints every result`);
  } finally {
    await svc.kill('SIGTERM');
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await benchExport();
await benchBatch();
