import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from '@portico/test-support/repo-root';
import { spawnListening } from '@portico/test-support/spawn';

export const REPO_ROOT = findRepoRoot();

/** The line a Portico service logs once it listens (pino puts the fields before msg), its URL the first group. */
export const listeningLine = (msg: string): RegExp => new RegExp(`"url":"(http://[^"]+)"[^\\n]*"msg":"${msg}"`);

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
  try {
    const child = await spawnListening('src/main.ts', {
      cwd: join(REPO_ROOT, 'packages/gateway'),
      env: {
        PATH: process.env.PATH,
        PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_STORE: 'file', LOG_STORE_FILE_DIR: logDir,
        LOG_STORE_SPILL_DIR: join(dataDir, 'spill'), LOG_STORE_BATCH_MAX_AGE_MS: '50', SHUTDOWN_TIMEOUT_MS: '2000',
        ...env,
      },
      listening: listeningLine('portico gateway listening'),
    });
    return {
      url: child.url,
      pid: child.proc.pid!,
      dataDir,
      logDir,
      async close() {
        await child.stop(5000);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
}
