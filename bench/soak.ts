/**
 * Soak (npm run bench -- soak): SOAK_MINUTES (30) at half the measured maximum throughput (or
 * SOAK_RATE req/s), half JSON and half SSE, with a gateway key whose limits are on, the S3 log store
 * (s3rver) on, and a fault every minute, alternating: the S3 server killed for 10 s, then a burst of
 * requests through a fallback config whose first target refuses connections (its circuit breaker
 * opens, then probes). Every minute it prints the gateway's RSS, open file descriptors, event-loop delay
 * (p99, from its /metrics), the minute's request p99 and errors. At the end: log documents written to
 * S3 against requests answered, and the drift of RSS and p99 from the first minutes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { chatBody, fmt, gatewayTarget, load, rssMb, sleep, startFakeUpstream, startGateway, startProcess, warmUp, type Proc } from './lib.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const KEY = 'pk-soak-key';
const WARMUP_MINUTES = Math.min(5, Math.max(1, Math.floor(MINUTES / 6)));

async function startS3(dir: string, port = 0): Promise<{ proc: Proc; port: number }> {
  const proc = await startProcess(['--import', 'tsx', 'bench/s3-server.ts', dir, String(port)], {}, /\{"port":(\d+)\}/);
  return { proc, port: Number(proc.match[1]) };
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/**
 * Documents in the bucket: the count is part of each batch object's name (see logs/s3/README.md).
 * Includes the warm-up's and the throughput probe's documents, so it must be at least the soak's own.
 */
function documentsInS3(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        // s3rver keeps an object's bytes in <key>._S3rver_object.
        const m = /\d{13}-\d{13}-(\d+)-[^/]*\.ndjson\.gz(\._S3rver_object)?$/.exec(p);
        if (m) total += Number(m[1]);
      }
    }
  };
  walk(dir);
  return total;
}

const percentile = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : NaN);

export async function runSoak(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-soak-'));
  const upstream = await startFakeUpstream();
  let s3 = await startS3(join(dir, 's3'));
  const entities = join(dir, 'entities.yaml');
  writeFileSync(entities, `keys:
  - id: soak
    key_hash: ${createHash('sha256').update(KEY).digest('hex')}
    limits:
      - { kind: requests, limit: 100000000, window: minute }
      - { kind: tokens, limit: 1000000000000, window: minute }
user_limits:
  "*": [{ kind: requests, limit: 100000000, window: minute }]
`);
  const gw = await startGateway({
    ENTITIES_FILE: entities, CIRCUIT_BREAKER_MIN_COOLDOWN_MS: '5000',
    LOG_STORE: 's3_custom', LOG_STORE_BASEPATH: `http://127.0.0.1:${s3.port}`, LOG_STORE_GENERATIONS_BUCKET: 'bench-logs', LOG_STORE_REGION: 'us-east-1',
    LOG_STORE_ACCESS_KEY: 'S3RVER', LOG_STORE_SECRET_KEY: 'S3RVER', LOG_STORE_SPILL_DIR: join(dir, 'spill'),
  });
  const pid = gw.proc.child.pid!;
  const target = gatewayTarget('soak', gw.url, upstream.url, { 'x-portkey-api-key': KEY, 'x-portkey-metadata': '{"_user":"soak"}' });
  await warmUp(target);
  const max = await load(target, 50, false, 5);
  const rate = Number(process.env.SOAK_RATE ?? Math.max(10, Math.round(max.rps / 2)));
  console.log(`\n## soak: ${MINUTES} min at ${rate} req/s (max measured ${fmt(max.rps, 0)} req/s at c=50), JSON + SSE, limits on, S3 log store on, a fault every minute`);
  console.log('| min | fault | requests | errors | p99 ms | RSS MB | fds | event-loop p99 ms | breaker | load (1 min) |\n|---|---|---|---|---|---|---|---|---|---|');

  const agent = new Agent({ connections: 256, pipelining: 1 });
  const faultConfig = JSON.stringify({ strategy: { mode: 'fallback', cb_config: { failure_threshold: 3, cooldown_interval: 5000 } }, targets: [{ provider: 'openai', api_key: 'sk-soak', custom_host: 'http://127.0.0.1:9/v1' }, { provider: 'openai', api_key: 'sk-soak', custom_host: `${upstream.url}/v1` }] });
  let latencies: number[] = [];
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let inFlight = 0;
  let faultBurst = false;
  const one = async (i: number) => {
    const stream = i % 2 === 1;
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: 'Bearer sk-soak', ...target.headers };
    if (faultBurst && i % 10 === 0) {
      delete headers['x-portkey-provider'];
      delete headers['x-portkey-custom-host'];
      headers['x-portkey-config'] = faultConfig;
    }
    const started = performance.now();
    inFlight++;
    try {
      const res = await request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body: chatBody(stream), dispatcher: agent });
      const text = await res.body.text();
      if (res.statusCode !== 200 || (stream && !text.trimEnd().endsWith('[DONE]'))) errors++;
      answered++;
    } catch {
      errors++;
    } finally {
      inFlight--;
      latencies.push(performance.now() - started);
    }
  };
  const firstP99: number[] = [];
  const p99ByMinute: number[] = [];
  const rssByMinute: number[] = [];
  const fdsByMinute: number[] = [];
  const started = Date.now();
  let tick = 0;
  // 20 ticks a second; in-flight requests are bounded (a stuck gateway shows as errors, not memory here).
  const pacer = setInterval(() => {
    const due = Math.floor((rate * (tick + 1)) / 20) - Math.floor((rate * tick) / 20);
    tick++;
    for (let k = 0; k < due && inFlight < 2000; k++) void one(sent++);
  }, 50);
  for (let minute = 1; minute <= MINUTES; minute++) {
    const fault = minute % 2 === 1 ? 's3 down 10 s' : 'refused target 10 s';
    const minuteStart = Date.now();
    await sleep(20_000);
    if (minute % 2 === 1) {
      await s3.proc.stop();
      await sleep(10_000);
      s3 = await startS3(join(dir, 's3'), s3.port);
    } else {
      faultBurst = true;
      await sleep(10_000);
      faultBurst = false;
    }
    await sleep(Math.max(0, 60_000 - (Date.now() - minuteStart)));
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const loopP99 = Number(/^portico_process_nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(metrics)?.[1]) * 1000;
    const breakerOpened = /portico_circuit_breaker_opened_total\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? '0';
    const p99 = percentile(latencies, 0.99);
    const rss = rssMb(pid);
    rssByMinute.push(rss);
    const fds = openFds(pid);
    if (minute <= WARMUP_MINUTES) firstP99.push(p99);
    p99ByMinute.push(p99);
    fdsByMinute.push(fds);
    // The machine's load beside each minute: on a shared machine, latency follows it, not the gateway.
    console.log(`| ${minute} | ${fault} | ${latencies.length} | ${errors} | ${fmt(p99)} | ${fmt(rss)} | ${fds} | ${fmt(loopP99)} | opened ${breakerOpened}× | ${loadavg()[0].toFixed(1)} |`);
    latencies = [];
    errors = 0;
  }
  clearInterval(pacer);
  while (inFlight > 0) await sleep(100);
  // Let the last batches (and any spilled ones) reach S3.
  const deadline = Date.now() + 90_000;
  let docs = documentsInS3(join(dir, 's3'));
  while (docs < answered && Date.now() < deadline) {
    await sleep(2000);
    docs = documentsInS3(join(dir, 's3'));
  }
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  const dropped = [...metrics.matchAll(/portico_log_documents_dropped_total\{[^}]*\} (\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  const after = rssByMinute.slice(WARMUP_MINUTES);
  const base = rssByMinute[WARMUP_MINUTES - 1] ?? rssByMinute[0];
  const drift = after.length ? Math.max(...after.map((r) => Math.abs(r / base - 1))) : 0;
  const p99Base = percentile(firstP99, 0.5);
  console.log(`\nrequests answered ${answered} of ${sent} sent in ${fmt((Date.now() - started) / 60_000)} min; log documents in S3: ${docs} (${docs >= answered ? 'none lost' : `${answered - docs} missing`}), dropped by the store: ${dropped}`);
  console.log(`RSS after warm-up (${WARMUP_MINUTES} min): ±${fmt(100 * drift)}% around ${fmt(base)} MB (bar ±10%); p99 of the first minutes ${fmt(p99Base)} ms`);
  const lastP99 = percentile(p99ByMinute.slice(-WARMUP_MINUTES), 0.5);
  console.log(`p99 of the last ${WARMUP_MINUTES} min ${fmt(lastP99)} ms: ${fmt(100 * (lastP99 / p99Base - 1))}% from the first (bar ±20%)`);
  const fdsAfter = fdsByMinute.length > WARMUP_MINUTES ? fdsByMinute.slice(WARMUP_MINUTES) : fdsByMinute;
  console.log(`open file descriptors after warm-up: ${Math.min(...fdsAfter)}–${Math.max(...fdsAfter)} (first ${fdsByMinute[WARMUP_MINUTES - 1] ?? fdsByMinute[0]}, last ${fdsByMinute.at(-1)})`);
  await agent.close();
  await gw.proc.stop();
  await s3.proc.stop();
  await upstream.proc.stop();
  rmSync(dir, { recursive: true, force: true });
}
