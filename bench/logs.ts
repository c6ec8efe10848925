/**
 * Logs suite: the gateway with LOG_STORE=none next to LOG_STORE=s3_custom (s3rver), in the same run
 * (target ≥ 90%), then an S3 outage under load: the S3 server is killed, load continues, RSS is sampled,
 * and the server comes back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, fmt, gatewayTarget, load, rssMb, sleep, startFakeUpstream, warmUp, startGateway, startProcess, SECONDS, type Proc } from './lib.js';

async function startS3(dir: string, port = 0): Promise<{ proc: Proc; port: number }> {
  const proc = await startProcess(['--import', 'tsx', 'bench/s3-server.ts', dir, String(port)], {}, /\{"port":(\d+)\}/);
  return { proc, port: Number(proc.match[1]) };
}

export async function runLogs(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-logs-'));
  const upstream = await startFakeUpstream();
  let s3 = await startS3(join(dir, 's3'));
  console.log(`\n## logs: ${SECONDS}s per run; medians of 3 alternated pairs`);
  console.log('| scenario | req/s | p50 ms | p99 ms | errors | vs logging off |\n|---|---|---|---|---|---|');

  const s3env = {
    LOG_STORE: 's3_custom', LOG_STORE_BASEPATH: `http://127.0.0.1:${s3.port}`, LOG_STORE_GENERATIONS_BUCKET: 'bench-logs', LOG_STORE_REGION: 'us-east-1',
    LOG_STORE_ACCESS_KEY: 'S3RVER', LOG_STORE_SECRET_KEY: 'S3RVER', LOG_STORE_SPILL_DIR: join(dir, 'spill'), LOG_STORE_SPILL_MAX_BYTES: String(256 * 1024 * 1024),
  };
  const off = await startGateway({ LOG_STORE: 'none' });
  const on = await startGateway(s3env);
  const offTarget = gatewayTarget('off', off.url, upstream.url);
  const onTarget = gatewayTarget('s3', on.url, upstream.url);
  await warmUp(offTarget, onTarget);
  const cmp = await compare(offTarget, onTarget, 50);
  const o = cmp.a;
  console.log(`| logging off c=50 | ${fmt(o.rps, 0)} | ${o.p50} | ${o.p99} | ${o.errors} | 100% |`);
  console.log(`| S3 logging on c=50 | ${fmt(cmp.b.rps, 0)} | ${cmp.b.p50} | ${cmp.b.p99} | ${cmp.b.errors} | ${fmt(100 * cmp.ratio)}% |`);
  await off.proc.stop();

  const pid = on.proc.child.pid!;
  const before = rssMb(pid);
  await s3.proc.stop();
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMb(pid)), 500);
  const outage = await load(onTarget, 50, false, Math.max(SECONDS, 8));
  clearInterval(sampler);
  console.log(`| S3 down c=50 | ${fmt(outage.rps, 0)} | ${outage.p50} | ${outage.p99} | ${outage.errors} | ${fmt((100 * outage.rps) / o.rps)}% |`);
  s3 = await startS3(join(dir, 's3'), s3.port);
  // Spilled batches are replayed with backoff (up to 30 s between tries): wait for the store to say ok.
  const back = Date.now();
  let health: { dependencies: { log_store: { status: string } } };
  do {
    await sleep(500);
    health = await (await fetch(`${on.url}/v1/health`)).json();
  } while (health.dependencies.log_store.status !== 'ok' && Date.now() - back < 60_000);
  const after = rssMb(pid);
  console.log(`\nRSS during the S3 outage: before ${fmt(before)} MB, max ${fmt(Math.max(...samples))} MB, after recovery ${fmt(after)} MB`);
  console.log(`log store health ${fmt((Date.now() - back) / 1000)} s after S3 came back: ${JSON.stringify(health.dependencies.log_store)}`);
  await on.proc.stop();
  await s3.proc.stop();
  await upstream.proc.stop();
  rmSync(dir, { recursive: true, force: true });
}
