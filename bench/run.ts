/**
 * npm run bench: the gateway (compiled, embedded defaults, file log store on) against a fast fake
 * upstream, next to calling that upstream directly, in the same run. Prints throughput at c=50 and
 * c=1 for JSON and SSE, added p50 latency and time to first streamed byte at c=1, and the gateway's RSS
 * after each of several rounds (it must not grow). All three processes share this machine's cores, so
 * read the ratios, not the absolute numbers.
 *
 * Options (env): BENCH_SECONDS (default 5), BENCH_ROUNDS (default 2), BENCH_SEQUENTIAL (default 2000),
 * BENCH_GATEWAY_ENV (extra KEY=VALUE;KEY=VALUE for the gateway, e.g. CACHE_STORE=redis;REDIS_URL=...).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Agent, request } from 'undici';

const ROOT = resolve(import.meta.dirname, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);

function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) res({ child, match: m });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => rej(new Error(`${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

const chatBody = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'What is a fractal?' }] });

async function throughput(t: Target, connections: number, stream: boolean): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({
    url: `${t.url}/v1/chat/completions`,
    method: 'POST',
    connections,
    duration: SECONDS,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...t.headers },
    body: chatBody(stream),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

/** Sequential requests: per-request total time and time to first body byte, in ms. */
async function sequential(t: Target, stream: boolean, n: number): Promise<{ p50: number; ttfb50: number }> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const totals: number[] = [];
  const firsts: number[] = [];
  const body = chatBody(stream);
  for (let i = 0; i < n + 100; i++) {
    const start = performance.now();
    const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...t.headers }, body });
    let first = 0;
    for await (const _ of res.body) if (!first) first = performance.now();
    const end = performance.now();
    if (res.statusCode !== 200) throw new Error(`${t.name}: HTTP ${res.statusCode}`);
    if (i >= 100) {
      totals.push(end - start);
      firsts.push(first - start);
    }
  }
  await agent.close();
  const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { p50: p50(totals), ttfb50: p50(firsts) };
}

const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const upstream = await startProcess(['--import', 'tsx', 'bench/fake-upstream.ts'], {}, /\{"port":(\d+)\}/);
  const upstreamUrl = `http://127.0.0.1:${upstream.match[1]}`;
  const extraEnv = Object.fromEntries((process.env.BENCH_GATEWAY_ENV ?? '').split(';').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
  const gateway = await startProcess(['packages/gateway/dist/main.js'], {
    PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_STORE_FILE_DIR: join(dataDir, 'logs'), LOG_STORE_SPILL_DIR: join(dataDir, 'spill'), ...extraEnv,
  }, /"url":"(http:\/\/[^"]+)"/);
  const gatewayUrl = gateway.match[1];
  const direct: Target = { name: 'direct', url: upstreamUrl, headers: {} };
  const viaGateway: Target = { name: 'gateway', url: gatewayUrl, headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1` } };

  console.log(`Portico benchmark: ${SECONDS}s per run, ${ROUNDS} rounds, fake upstream ${upstreamUrl}, gateway ${gatewayUrl}, log store: file`);
  // Warm up both paths (JIT, connection pools).
  await throughput(direct, 10, false);
  await throughput(viaGateway, 10, false);

  const rss: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`\nround ${round}`);
    console.log('| scenario | direct req/s | gateway req/s | ratio | direct p50 ms | gateway p50 ms | errors |');
    console.log('|---|---|---|---|---|---|---|');
    for (const stream of [false, true]) {
      for (const c of [50, 1]) {
        const d = await throughput(direct, c, stream);
        const g = await throughput(viaGateway, c, stream);
        console.log(`| ${stream ? 'SSE' : 'JSON'} c=${c} | ${fmt(d.rps, 0)} | ${fmt(g.rps, 0)} | ${fmt((100 * g.rps) / d.rps)}% | ${d.p50} | ${g.p50} | ${d.errors + g.errors} |`);
      }
    }
    const dj = await sequential(direct, false, SEQUENTIAL);
    const gj = await sequential(viaGateway, false, SEQUENTIAL);
    const ds = await sequential(direct, true, SEQUENTIAL);
    const gs = await sequential(viaGateway, true, SEQUENTIAL);
    console.log(`\nc=1 sequential (${SEQUENTIAL} requests each): JSON p50 direct ${fmt(dj.p50, 3)} ms, gateway ${fmt(gj.p50, 3)} ms → added ${fmt(gj.p50 - dj.p50, 3)} ms`);
    console.log(`c=1 sequential SSE: time to first byte p50 direct ${fmt(ds.ttfb50, 3)} ms, gateway ${fmt(gs.ttfb50, 3)} ms → added ${fmt(gs.ttfb50 - ds.ttfb50, 3)} ms`);
    await new Promise((r) => setTimeout(r, 1500));
    rss.push(rssMb(gateway.child.pid!));
    console.log(`gateway RSS after round ${round}: ${fmt(rss.at(-1)!)} MB`);
  }
  console.log(`\nRSS by round: ${rss.map((r) => fmt(r)).join(' → ')} MB`);
  gateway.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
  await new Promise((r) => gateway.child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
