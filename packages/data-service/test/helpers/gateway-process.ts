import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

export interface GatewayProcess {
  url: string;
  pid: number;
  dataDir: string;
  logDir: string;
  close(): Promise<void>;
}

/**
 * The real gateway, in its own process, run from its source with tsx (packages never import each
 * other's src). Port 0; its URL is read from its "listening" log line.
 */
export async function startGatewayProcess(env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ds-gw-'));
  const logDir = env.LOG_STORE_FILE_DIR ?? join(dataDir, 'logs');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...EXIT_WITH_PARENT_ARGS, 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'packages/gateway'),
    env: {
      PATH: process.env.PATH,
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_STORE: 'file', LOG_STORE_FILE_DIR: logDir,
      LOG_STORE_SPILL_DIR: join(dataDir, 'spill'), LOG_STORE_BATCH_MAX_AGE_MS: '50', SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    },
    stdio: CHILD_STDIO,
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 30 s: ${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const o = JSON.parse(line) as { msg?: string; url?: string };
        if (o.msg === 'portico gateway listening' && o.url) {
          clearTimeout(timer);
          resolveUrl(o.url);
        }
      } catch {
        // not a JSON log line
      }
    });
  });
  return {
    url,
    pid: child.pid!,
    dataDir,
    logDir,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Node arguments and stdio for a child that ends with this test worker (see exit-with-parent.ts). */
export const EXIT_WITH_PARENT_ARGS = ['--import', join(import.meta.dirname, 'exit-with-parent.ts')];
export const CHILD_STDIO: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
