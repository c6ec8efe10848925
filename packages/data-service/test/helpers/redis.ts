import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A throwaway redis-server on a free port, in a temp dir. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-redis-'));
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'yes', '--pidfile', join(dir, 'r.pid'), '--logfile', join(dir, 'r.log'), '--dir', dir]);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server exited ${code}`))));
  });
  const started = Date.now();
  while (Date.now() - started < 5000) {
    try {
      readFileSync(join(dir, 'r.pid'));
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  await new Promise((r) => setTimeout(r, 50));
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      try {
        process.kill(Number(readFileSync(join(dir, 'r.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 50));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
