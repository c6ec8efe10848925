/** Core suite: the gateway on its embedded defaults (file log store on) next to the upstream called directly. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, fmt, gatewayTarget, ownCpus, pinToCpus, rssMb, warmUp, sequentialInterleaved, sleep, startFakeUpstream, startGateway, startNginxProxy, startReferenceProxy, uploadThrough, withChildren, SECONDS, type Target } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);

export async function runCore(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const upstream = await startFakeUpstream();
  const gateway = await startGateway({ LOG_STORE_FILE_DIR: join(dataDir, 'logs') });
  const reference = await startReferenceProxy(upstream.url);
  const direct: Target = { name: 'direct', url: upstream.url, headers: {} };
  const viaReference: Target = { name: 'reference proxy', url: reference.url, headers: {} };
  const viaGateway = gatewayTarget('gateway', gateway.url, upstream.url);
  const nginx = await startNginxProxy(upstream.url);
  const viaNginx: Target | undefined = nginx && { name: 'nginx', url: nginx.url, headers: {} };
  console.log(`\n## core: ${SECONDS}s per run, ${ROUNDS} rounds, log store: file`);
  await warmUp(direct, viaGateway, viaReference);
  const affinity = ownCpus();
  const proxyPids = [gateway.proc.child.pid!, reference.proc.child.pid!, ...(nginx ? withChildren(nginx.pid) : [])];
  const rss: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`\nround ${round}: c=50, medians of 3 alternated pairs (direct, gateway)\n| scenario | direct req/s | gateway req/s | gateway/direct | direct p50 ms | gateway p50 ms | errors |\n|---|---|---|---|---|---|---|`);
    for (const stream of [false, true]) {
      const r = await compare(direct, viaGateway, 50, 3, SECONDS, stream);
      console.log(`| ${stream ? 'SSE' : 'JSON'} c=50 | ${fmt(r.a.rps, 0)} | ${fmt(r.b.rps, 0)} | ${fmt(100 * r.ratio)}% | ${r.a.p50} | ${r.b.p50} | ${r.a.errors + r.b.errors} |`);
    }
    const c1 = [direct, viaReference, viaGateway, ...(viaNginx ? [viaNginx] : [])];
    await c1Table(c1, 'all processes share every core');
    // Again with the load driver on a CPU of its own and the system under test (the proxies and the fake
    // upstream) on the other: the driver's work no longer competes with what it measures, and a request
    // crosses between the CPUs twice whether it goes direct or through a proxy. (Driver and upstream on one
    // CPU, proxies on the other, would make every proxied request cross four times and a direct one never,
    // charging the proxy for wake-ups between CPUs that direct calls are spared.)
    if (affinity && affinity.cpus.length >= 2) {
      const [driverCpu, serverCpu] = affinity.cpus.map(String);
      if (pinToCpus([process.pid], driverCpu) && pinToCpus([upstream.proc.child.pid!, ...proxyPids], serverCpu)) {
        await c1Table(c1, `the driver on CPU ${driverCpu}, the proxies and the upstream on CPU ${serverCpu}`);
      }
      pinToCpus([process.pid, upstream.proc.child.pid!, ...proxyPids], affinity.list);
    } else if (round === 1) console.log('\n(one CPU, or no taskset: the c=1 run with the driver on a CPU of its own is left out)');
    await sleep(1500);
    rss.push(rssMb(gateway.proc.child.pid!));
    console.log(`gateway RSS after round ${round}: ${fmt(rss.at(-1)!)} MB`);
  }
  console.log(`\ngateway RSS by round: ${rss.map((r) => fmt(r)).join(' → ')} MB`);
  // Over MAX_BODY_BYTES (10 MiB by default): streamed to the upstream, never held in memory.
  const up = await uploadThrough(viaGateway, gateway.proc.child.pid!, 256);
  console.log(`upload of 256 MiB to /v1/files through the gateway: HTTP ${up.status}, ${fmt(up.mbPerS, 0)} MiB/s; gateway RSS ${fmt(up.rssBefore)} → max ${fmt(up.rssMax)} → ${fmt(up.rssAfter)} MB`);
  await gateway.proc.stop();
  await reference.proc.stop();
  await nginx?.stop();
  await upstream.proc.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Sequential requests (c=1) through each target, JSON then SSE, as one table of what each adds to direct. */
async function c1Table(targets: Target[], placement: string): Promise<void> {
  const [dj, rj, gj, nj] = await sequentialInterleaved(targets, false, SEQUENTIAL);
  const [ds, rs, gs, ns] = await sequentialInterleaved(targets, true, SEQUENTIAL);
  const withNginx = targets.length > 3;
  const nginxCols = (d: number, n?: number) => (n === undefined ? '' : ` ${fmt(n - d, 3)} |`);
  console.log(`\nc=1 sequential, ${SEQUENTIAL} requests each, interleaved in blocks of 200; ${placement}:`);
  console.log(`| c=1 | direct | reference proxy (floor) | gateway | added by the floor | added by the gateway |${withNginx ? ' added by nginx |' : ''}\n|---|---|---|---|---|---|${withNginx ? '---|' : ''}`);
  console.log(`| JSON p50 ms | ${fmt(dj.p50, 3)} | ${fmt(rj.p50, 3)} | ${fmt(gj.p50, 3)} | ${fmt(rj.p50 - dj.p50, 3)} | ${fmt(gj.p50 - dj.p50, 3)} |${nginxCols(dj.p50, nj?.p50)}`);
  console.log(`| SSE first byte p50 ms | ${fmt(ds.ttfb50, 3)} | ${fmt(rs.ttfb50, 3)} | ${fmt(gs.ttfb50, 3)} | ${fmt(rs.ttfb50 - ds.ttfb50, 3)} | ${fmt(gs.ttfb50 - ds.ttfb50, 3)} |${nginxCols(ds.ttfb50, ns?.ttfb50)}`);
}
