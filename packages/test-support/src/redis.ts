/**
 * Starts real redis-server processes for tests: standalone, TLS (CA made at test time) and a 6-node
 * cluster. Every process is a child of the test worker (never daemonized) in its own temp dir, on a
 * free port, and is killed by stop(), and otherwise when the test file ends (spawn.ts).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { spawnChild } from './spawn.js';

const run = promisify(execFile);

export interface RedisNode {
  host: '127.0.0.1';
  port: number;
  dir: string;
  proc: ChildProcess;
  /** SIGKILL the process (a crash, not a shutdown). */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: the socket stays open but nothing answers. */
  pause(): void;
  resume(): void;
}

export interface RedisServer extends RedisNode {
  url: string;
  stop(): Promise<void>;
  /** Starts the server again on the same port after kill(). */
  restart(): Promise<void>;
}

export interface RedisTlsServer extends RedisServer {
  /** PEM of the CA that signed the server certificate. */
  ca: Buffer;
  caFile: string;
}

export interface RedisCluster {
  nodes: RedisNode[];
  /** Seed nodes for ioredis Cluster. */
  startup: { host: string; port: number }[];
  url: string;
  ca?: Buffer;
  caFile?: string;
  masters(): Promise<RedisNode[]>;
  stop(): Promise<void>;
}

async function ping(port: number, tls: boolean, caFile?: string, password?: string): Promise<boolean> {
  const args = ['-h', '127.0.0.1', '-p', String(port)];
  if (tls) args.push('--tls', '--cacert', caFile!, '--sni', 'localhost');
  if (password) args.push('--no-auth-warning', '-a', password);
  args.push('PING');
  try {
    const { stdout } = await run('redis-cli', args, { timeout: 2000 });
    return stdout.trim() === 'PONG';
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  let log = '';
  try {
    if (logFile) log = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    /* no log yet */
  }
  throw new Error(`redis harness: ${what} not ready after ${timeoutMs} ms${log ? `\n--- log ---\n${log}` : ''}`);
}

interface SpawnOpts {
  port: number;
  dir: string;
  extra: string[];
  tls?: { caFile: string };
  password?: string;
}

function spawnRedis(o: SpawnOpts): ChildProcess {
  const args = [
    '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', o.dir, '--logfile', path.join(o.dir, 'redis.log'),
    ...(o.tls ? ['--port', '0', '--tls-port', String(o.port)] : ['--port', String(o.port)]),
    ...(o.password ? ['--requirepass', o.password] : []),
    ...o.extra,
  ];
  // Tracked by spawn.ts: stopped when the test file ends, killed when the worker exits.
  return spawnChild('redis-server', args, { output: 'ignore' }).proc;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => proc.once('exit', () => r()));
}

async function startNode(o: Omit<SpawnOpts, 'port'> & { port?: number }): Promise<RedisNode> {
  // A port picked by freePort() can be taken by a parallel test before redis binds it: retry.
  for (let attempt = 0; ; attempt++) {
    const port = o.port ?? (await freePort());
    const proc = spawnRedis({ ...o, port });
    const node: RedisNode = {
      host: '127.0.0.1', port, dir: o.dir, proc,
      kill: async () => {
        node.proc.kill('SIGKILL');
        await exited(node.proc);
      },
      pause: () => void node.proc.kill('SIGSTOP'),
      resume: () => void node.proc.kill('SIGCONT'),
    };
    try {
      await waitFor(`redis-server on port ${port}`, async () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
        return ping(port, !!o.tls, o.tls?.caFile, o.password);
      }, 5000, path.join(o.dir, 'redis.log'));
      return node;
    } catch (e) {
      proc.kill('SIGKILL');
      await exited(proc);
      if (attempt >= 3 || o.port !== undefined) throw e;
    }
  }
}

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `portico-${prefix}-`));
}

function asServer(node: RedisNode, url: string, restartOpts: Omit<SpawnOpts, 'port'>, root: string): RedisServer {
  const server = node as RedisServer;
  server.url = url;
  server.stop = async () => {
    server.proc.kill('SIGKILL');
    await exited(server.proc);
    rmSync(root, { recursive: true, force: true });
  };
  server.restart = async () => {
    const again = await startNode({ ...restartOpts, port: server.port });
    server.proc = again.proc;
  };
  return server;
}

export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const dir = tempDir('redis');
  const spawnOpts = { dir, extra: [], password: opts.password };
  const node = await startNode(spawnOpts);
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return asServer(node, `redis://${auth}127.0.0.1:${node.port}`, spawnOpts, dir);
}

/** A CA and a server certificate for localhost / 127.0.0.1, made with openssl. */
export async function makeCertificates(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=Portico Test CA');
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n');
  await ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('ext.cnf'));
  return { caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key') };
}

function tlsArgs(c: { caFile: string; certFile: string; keyFile: string }): string[] {
  return ['--tls-cert-file', c.certFile, '--tls-key-file', c.keyFile, '--tls-ca-cert-file', c.caFile, '--tls-auth-clients', 'optional'];
}

export async function startRedisTls(opts: { password?: string } = {}): Promise<RedisTlsServer> {
  const dir = tempDir('redis-tls');
  const certs = await makeCertificates(dir);
  const spawnOpts = { dir, extra: tlsArgs(certs), tls: { caFile: certs.caFile }, password: opts.password };
  const node = await startNode(spawnOpts);
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  const server = asServer(node, `rediss://${auth}localhost:${node.port}`, spawnOpts, dir) as RedisTlsServer;
  server.ca = readFileSync(certs.caFile);
  server.caFile = certs.caFile;
  return server;
}

async function cli(port: number, tls: { caFile: string } | undefined, ...args: string[]): Promise<string> {
  const base = ['-h', '127.0.0.1', '-p', String(port)];
  if (tls) base.push('--tls', '--cacert', tls.caFile, '--sni', 'localhost');
  const { stdout } = await run('redis-cli', [...base, ...args], { timeout: 20_000 });
  return stdout;
}

/** Free ports whose cluster-bus port (+10000) is free as well. */
async function clusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  while (out.length < n) {
    // Node and bus ports (+10000) both below Linux's ephemeral range (32768+), so an outgoing connection
    // from a parallel test cannot take one between this check and redis binding it.
    const p = 10000 + Math.floor(Math.random() * 12700);
    if (out.includes(p)) continue;
    const free = await Promise.all([p, p + 10000].map((q) => new Promise<boolean>((r) => {
      const s = net.createServer();
      s.once('error', () => r(false));
      s.listen(q, '127.0.0.1', () => s.close(() => r(true)));
    })));
    if (free.every(Boolean)) out.push(p);
  }
  return out;
}

/**
 * Six nodes, three masters with one replica each. nodeTimeoutMs drives failover speed: a killed master
 * is replaced about 2× node-timeout later.
 */
export async function startRedisCluster(opts: { tls?: boolean; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
  const root = tempDir('redis-cluster');
  const certs = opts.tls ? await makeCertificates(root) : undefined;
  const tls = certs ? { caFile: certs.caFile } : undefined;
  const ports = await clusterPorts(6);
  const nodes: RedisNode[] = [];
  const stop = async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    await Promise.all(nodes.map((n) => exited(n.proc)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const started = await Promise.all(ports.map(async (port) => {
      const dir = path.join(root, String(port));
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const extra = [
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
        '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 1000),
        // Redis 7 waits 5 s before a diskless full sync; a replica without data refuses to fail over.
        '--repl-diskless-sync-delay', '0',
        ...(certs ? [...tlsArgs(certs), '--tls-cluster', 'yes', '--tls-replication', 'yes'] : []),
      ];
      return startNode({ port, dir, extra, tls });
    }));
    nodes.push(...started);
    await cli(ports[0], tls, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes');
    await waitFor('cluster with 3 masters and 3 replicas', async () => {
      for (const p of ports) {
        const info = await cli(p, tls, 'CLUSTER', 'INFO').catch(() => '');
        if (!info.includes('cluster_state:ok')) return false;
      }
      const view = await cli(ports[0], tls, 'CLUSTER', 'NODES').catch(() => '');
      const lines = view.trim().split('\n');
      if (lines.filter((l) => / master /.test(l) || /,master /.test(l)).length !== 3) return false;
      const replicas = lines.filter((l) => /slave|replica/.test(l)).map((l) => Number(l.split(' ')[1].split('@')[0].split(':')[1]));
      if (replicas.length !== 3) return false;
      // A replica is only a failover candidate once its first sync is done.
      for (const p of replicas) {
        if (!(await cli(p, tls, 'INFO', 'replication').catch(() => '')).includes('master_link_status:up')) return false;
      }
      return true;
    }, 20_000, path.join(root, String(ports[0]), 'redis.log'));
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    nodes,
    startup: ports.map((port) => ({ host: '127.0.0.1', port })),
    url: `${certs ? 'rediss' : 'redis'}://127.0.0.1:${ports[0]}`,
    ca: certs ? readFileSync(certs.caFile) : undefined,
    caFile: certs?.caFile,
    masters: async () => {
      const alive = nodes.find((n) => n.proc.exitCode === null && n.proc.signalCode === null)!;
      const view = await cli(alive.port, tls, 'CLUSTER', 'NODES');
      const ports = view.trim().split('\n')
        .filter((l) => /\bmaster\b/.test(l) && !/\bfail\b/.test(l) && !/fail\?/.test(l))
        .map((l) => Number(l.split(' ')[1].split('@')[0].split(':')[1]));
      return nodes.filter((n) => ports.includes(n.port));
    },
    stop,
  };
}

/** A TCP server that accepts connections and never answers: a Redis that hangs. */
export async function startBlackhole(): Promise<{ port: number; url: string; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
