/**
 * Profiles the gateway with OpenTelemetry on (node --cpu-prof), under c=50 JSON load for BENCH_SECONDS,
 * and prints the functions that took the most CPU time by themselves, grouped by package. Used to find
 * what tracing costs per request: `node --import tsx bench/otel-profile.ts [on|off]`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewayTarget, load, startFakeUpstream, startProcess } from './lib.js';

/** utime + stime of a process, seconds (clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }

const mode = process.argv[2] ?? 'on';
const dir = mkdtempSync(join(tmpdir(), 'portico-prof-'));
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{}'));
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const upstream = await startFakeUpstream();
const profiling = process.env.PROFILE !== '0';
if (profiling) process.env.BENCH_GATEWAY_NODE_FLAGS = `--cpu-prof --cpu-prof-dir=${dir}`;
// GATEWAY_MAIN: another build of the gateway to compare (the default is this checkout's dist).
const main = process.env.GATEWAY_MAIN ?? 'packages/gateway/dist/main.js';
const startGateway = async (env: Record<string, string>) => {
  const proc = await startProcess([...(process.env.BENCH_GATEWAY_NODE_FLAGS ? process.env.BENCH_GATEWAY_NODE_FLAGS.split(' ') : []), main], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, /"url":"(http:\/\/[^"]+)"/);
  return { proc, url: proc.match[1] };
};
const gw = await startGateway({ LOG_STORE: process.env.LOG_STORE ?? 'none', ...(mode !== 'off' ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}` } : {}), ...(mode === 'json' ? { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}), ...(mode === 'ratio' ? { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } : {}) });
const target = gatewayTarget(`otel ${mode}`, gw.url, upstream.url);
await load(target, 50, false, 4);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const cpu0 = cpuSeconds(gw.proc.child.pid!);
const r = await load(target, 50, false, seconds);
const cpu = cpuSeconds(gw.proc.child.pid!) - cpu0;
console.log(`otel ${mode}: ${r.rps.toFixed(0)} req/s, gateway CPU ${((cpu * 1e6) / (r.rps * seconds)).toFixed(0)} µs per request`);
await gw.proc.stop();
if (!profiling) process.exit(0);
await upstream.proc.stop();
await new Promise((res) => sink.close(res));

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
const total = profile.nodes.reduce((n, x) => n + x.hitCount, 0);
const byFn = new Map<string, number>();
const byPkg = new Map<string, number>();
for (const n of profile.nodes) {
  const url = n.callFrame.url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.includes('/packages/gateway/') ? 'gateway' : url.startsWith('node:') ? 'node' : url || n.callFrame.functionName);
  byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n.hitCount);
  const name = `${n.callFrame.functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*packages\/gateway\//, '')}:${n.callFrame.lineNumber}`;
  byFn.set(name, (byFn.get(name) ?? 0) + n.hitCount);
}
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([n, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${n}`).join('\n');
console.log(`\nself time by package:\n${top(byPkg, 15)}\n\nself time by function:\n${top(byFn, 30)}`);
console.log(`\nprofile: ${join(dir, file)}`);
