/** Core suite: the gateway on its embedded defaults (file log store on) next to the upstream called directly. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, gatewayTarget, load, rssMb, sequential, sleep, startFakeUpstream, startGateway, SECONDS, type Target } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);

export async function runCore(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const upstream = await startFakeUpstream();
  const gateway = await startGateway({ LOG_STORE_FILE_DIR: join(dataDir, 'logs') });
  const direct: Target = { name: 'direct', url: upstream.url, headers: {} };
  const viaGateway = gatewayTarget('gateway', gateway.url, upstream.url);
  console.log(`\n## core: ${SECONDS}s per run, ${ROUNDS} rounds, log store: file`);
  await load(direct, 10, false, 2);
  await load(viaGateway, 10, false, 2);
  const rss: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`\nround ${round}\n| scenario | direct req/s | gateway req/s | gateway/direct | direct p50 ms | gateway p50 ms | errors |\n|---|---|---|---|---|---|---|`);
    for (const stream of [false, true]) {
      for (const c of [50, 1]) {
        const d = await load(direct, c, stream);
        const g = await load(viaGateway, c, stream);
        console.log(`| ${stream ? 'SSE' : 'JSON'} c=${c} | ${fmt(d.rps, 0)} | ${fmt(g.rps, 0)} | ${fmt((100 * g.rps) / d.rps)}% | ${d.p50} | ${g.p50} | ${d.errors + g.errors} |`);
      }
    }
    const dj = await sequential(direct, false, SEQUENTIAL);
    const gj = await sequential(viaGateway, false, SEQUENTIAL);
    const ds = await sequential(direct, true, SEQUENTIAL);
    const gs = await sequential(viaGateway, true, SEQUENTIAL);
    console.log(`\nc=1 sequential, ${SEQUENTIAL} requests: JSON p50 direct ${fmt(dj.p50, 3)} ms, gateway ${fmt(gj.p50, 3)} ms → added ${fmt(gj.p50 - dj.p50, 3)} ms`);
    console.log(`c=1 sequential SSE: first byte p50 direct ${fmt(ds.ttfb50, 3)} ms, gateway ${fmt(gs.ttfb50, 3)} ms → added ${fmt(gs.ttfb50 - ds.ttfb50, 3)} ms`);
    await sleep(1500);
    rss.push(rssMb(gateway.proc.child.pid!));
    console.log(`gateway RSS after round ${round}: ${fmt(rss.at(-1)!)} MB`);
  }
  console.log(`\ngateway RSS by round: ${rss.map((r) => fmt(r)).join(' → ')} MB`);
  await gateway.proc.stop();
  await upstream.proc.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
