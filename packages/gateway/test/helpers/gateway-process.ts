import path from 'node:path';
import { spawnListening, type ListeningChild } from '@portico/test-support/spawn';

/** The gateway package: where `src/main.ts` is. */
export const GATEWAY_PKG = path.resolve(import.meta.dirname, '../..');

export type GatewayChild = ListeningChild;

/** The real gateway process (src/main.ts) on a free port, with `env` on top of this process's. */
export function spawnGateway(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<GatewayChild> {
  return spawnListening('src/main.ts', {
    cwd: GATEWAY_PKG,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    timeoutMs: opts.timeoutMs,
  });
}
