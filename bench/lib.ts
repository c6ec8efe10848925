/** Shared pieces of the benchmark suites: processes, load, measurements. */
import { spawn, spawnSync, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { createServer, type AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { request as httpRequest } from 'node:http';

export const ROOT = resolve(import.meta.dirname, '..');
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

export interface Proc {
  child: ChildProcess;
  match: RegExpExecArray;
  stop(): Promise<void>;
}

/**
 * Every process the bench starts. All are killed when the bench ends, however it ends: a thrown error
 * (run.ts exits), Ctrl-C or SIGTERM (below). A Node child also stops by itself when the bench dies
 * outright, even with SIGKILL (scripts/exit-with-parent.mjs, over an IPC channel: see spawnNode).
 */
const children = new Set<ChildProcess>();

/** Tracks a child so that it dies with the bench; returns it. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (SIGKILL: the bench is ending, nothing of theirs is kept). */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

const EXIT_WITH_PARENT = join(ROOT, 'scripts', 'exit-with-parent.mjs');

/** A tracked Node child that exits when the bench does; stdio as given, plus the IPC channel the guard watches. */
export function spawnNode(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdio: [StdioNull | StdioPipe, StdioNull | StdioPipe, StdioNull | StdioPipe] }): ChildProcess {
  // Killed at once when the bench is gone: a bench process has nothing worth draining.
  const env = { ...(opts.env ?? process.env), PORTICO_PARENT_GONE_GRACE_MS: '0' };
  return track(spawn(process.execPath, ['--import', EXIT_WITH_PARENT, ...args], { cwd: opts.cwd ?? ROOT, env, stdio: [...opts.stdio, 'ipc'] }));
}

/** How long a process may take to say it is ready before the bench gives up on it. */
const READY_TIMEOUT_MS = 60_000;

/** Starts a node process and resolves once its output matches `ready`. */
export function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<Proc> {
  const child = spawnNode(args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${args.join(' ')} did not print ${ready} within ${READY_TIMEOUT_MS / 1000} s:\n${out}`));
    }, READY_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        res({
          child,
          match: m,
          stop: () => new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`${args.join(' ')} exited ${code}:\n${out}`));
    });
  });
}

export async function startFakeUpstream(): Promise<{ proc: Proc; url: string }> {
  const proc = await startProcess(['--import', 'tsx', 'bench/fake-upstream.ts'], {}, /\{"port":(\d+)\}/);
  return { proc, url: `http://127.0.0.1:${proc.match[1]}` };
}

/** The compiled gateway on a free port; env adds to the embedded defaults. */
export async function startGateway(env: Record<string, string>): Promise<{ proc: Proc; url: string }> {
  const proc = await startProcess([...(process.env.BENCH_GATEWAY_NODE_FLAGS ? process.env.BENCH_GATEWAY_NODE_FLAGS.split(' ') : []), 'packages/gateway/dist/main.js'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, /"url":"(http:\/\/[^"]+)"/);
  return { proc, url: proc.match[1] };
}

/**
 * Pins processes, every thread of each, to `cpus` (taskset's list syntax, such as "1" or "0-1"). False
 * when taskset is missing or refuses, so a caller can skip what needs placement.
 */
export function pinToCpus(pids: number[], cpus: string): boolean {
  return pids.every((pid) => spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0);
}

/** This process's CPU affinity: taskset's list (as "0-1") and the CPUs in it; undefined without taskset. */
export function ownCpus(): { list: string; cpus: number[] } | undefined {
  const out = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  const list = out.status === 0 ? /:\s*([\d,-]+)\s*$/.exec(out.stdout)?.[1] : undefined;
  if (!list) return undefined;
  const cpus = list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
  return { list, cpus };
}

/** A process and its direct children (nginx's master and workers). */
export function withChildren(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout ?? '';
  return [pid, ...out.split('\n').filter(Boolean).map(Number)];
}

export function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export const chatBody = (stream: boolean, content = 'What is a fractal?') => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content }] });

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export async function load(t: Target, connections: number, stream: boolean, seconds = SECONDS): Promise<LoadResult> {
  const r = await autocannon({
    url: `${t.url}/v1/chat/completions`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...t.headers },
    body: t.body ?? chatBody(stream),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

export async function startReferenceProxy(upstreamUrl: string): Promise<{ proc: Proc; url: string }> {
  const proc = await startProcess(['--import', 'tsx', 'bench/reference-proxy.ts'], { UPSTREAM: upstreamUrl }, /\{"port":(\d+)\}/);
  return { proc, url: `http://127.0.0.1:${proc.match[1]}` };
}

/**
 * nginx as a keep-alive reverse proxy (one worker), when it is installed: the cost of the extra hop
 * itself on this machine, for a proxy that is not written in JavaScript. Undefined without nginx.
 */
export async function startNginxProxy(upstreamUrl: string): Promise<{ url: string; pid: number; stop(): Promise<void> } | undefined> {
  if (spawnSync('nginx', ['-v']).error) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-nginx-'));
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
  writeFileSync(join(dir, 'nginx.conf'), `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir};
  upstream up { server ${new URL(upstreamUrl).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
`);
  const child = track(spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' }));
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 50 && !up && child.exitCode === null; i++) {
    up = await request(`${url}/v1/models`, { method: 'GET' }).then((r) => r.body.dump().then(() => true), () => false);
    if (!up) await sleep(100);
  }
  if (!up) {
    console.log(`nginx did not start (see ${dir}/error.log); the c=1 table leaves it out`);
    child.kill('SIGKILL');
    return undefined;
  }
  return {
    url,
    pid: child.pid!,
    stop: () => new Promise((r) => {
      child.once('exit', () => {
        rmSync(dir, { recursive: true, force: true });
        r();
      });
      child.kill('SIGTERM');
    }),
  };
}

/**
 * Sequential requests, one connection per target, the targets interleaved in blocks so that all of
 * them see the same moments of a noisy machine. Returns the p50 of total time and of time to the first
 * body byte per target, ms.
 */
export async function sequentialInterleaved(targets: Target[], stream: boolean, n: number, block = 200): Promise<Array<{ p50: number; ttfb50: number }>> {
  const agents = targets.map(() => new Agent({ connections: 1, keepAliveTimeout: 30_000 }));
  const totals: number[][] = targets.map(() => []);
  const firsts: number[][] = targets.map(() => []);
  const body = chatBody(stream);
  const rounds = Math.ceil(n / block) + 1; // the first round warms up and is not counted
  for (let r = 0; r < rounds; r++) {
    for (let t = 0; t < targets.length; t++) {
      for (let i = 0; i < block; i++) {
        const start = performance.now();
        const res = await request(`${targets[t].url}/v1/chat/completions`, { method: 'POST', dispatcher: agents[t], headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench', ...targets[t].headers }, body });
        let first = 0;
        for await (const _ of res.body) if (!first) first = performance.now();
        const end = performance.now();
        if (res.statusCode !== 200) throw new Error(`${targets[t].name}: HTTP ${res.statusCode}`);
        if (r > 0) {
          totals[t].push(end - start);
          firsts[t].push(first - start);
        }
      }
    }
  }
  await Promise.all(agents.map((a) => a.close()));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return targets.map((_, t) => ({ p50: median(totals[t]), ttfb50: median(firsts[t]) }));
}

export const fmt = (n: number, d = 1) => n.toFixed(d);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function gatewayTarget(name: string, gatewayUrl: string, upstreamUrl: string, extra: Record<string, string> = {}): Target {
  return { name, url: gatewayUrl, headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1`, ...extra } };
}

/** Warm-up before measuring, JSON and SSE at c=50: V8 is still optimising the hot path for several seconds after start. */
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 6);

export async function warmUp(...targets: Target[]): Promise<void> {
  for (const t of targets) {
    await load(t, 50, false, WARMUP_SECONDS);
    await load(t, 50, true, Math.ceil(WARMUP_SECONDS / 3));
  }
}

/**
 * Compares two targets fairly on a shared machine: alternates A and B `pairs` times (A-B, B-A, ...) and reports the
 * median throughput of each and the median of the per-pair ratios B/A.
 */
export async function compare(a: Target, b: Target, connections: number, pairs = 3, seconds = SECONDS, stream = false): Promise<{ a: LoadResult; b: LoadResult; ratio: number }> {
  const as: LoadResult[] = [];
  const bs: LoadResult[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    // A-B, then B-A: whatever the order does to a run (leftover work, connection set-up) cancels out.
    let ra: LoadResult;
    let rb: LoadResult;
    if (i % 2 === 0) {
      ra = await load(a, connections, stream, seconds);
      rb = await load(b, connections, stream, seconds);
    } else {
      rb = await load(b, connections, stream, seconds);
      ra = await load(a, connections, stream, seconds);
    }
    as.push(ra);
    bs.push(rb);
    ratios.push(rb.rps / ra.rps);
  }
  const mid = <T>(xs: T[], key: (x: T) => number) => [...xs].sort((x, y) => key(x) - key(y))[Math.floor(xs.length / 2)];
  return { a: mid(as, (r) => r.rps), b: mid(bs, (r) => r.rps), ratio: mid(ratios, (r) => r) };
}

/**
 * One upload of `mib` MiB to POST /v1/files through `t`, written as fast as the gateway takes it, while
 * the gateway's RSS is sampled every 20 ms: streamed uploads must not grow it by their size.
 */
export async function uploadThrough(t: Target, gatewayPid: number, mib: number): Promise<{ mbPerS: number; rssBefore: number; rssMax: number; rssAfter: number; status: number }> {
  const size = mib * 1024 * 1024;
  const piece = Buffer.alloc(1024 * 1024, 0x61);
  const rssBefore = rssMb(gatewayPid);
  let rssMax = rssBefore;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMb(gatewayPid))), 20);
  const started = performance.now();
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(`${t.url}/v1/files`, {
      method: 'POST',
      headers: { ...t.headers, authorization: 'Bearer sk-bench', 'content-type': 'application/octet-stream', 'content-length': String(size) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await sleep(500);
  return { mbPerS: mib / seconds, rssBefore, rssMax, rssAfter: rssMb(gatewayPid), status };
}
