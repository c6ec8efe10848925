import { join } from 'node:path';
import { spawnListening, type ListeningChild } from '@portico/test-support/spawn';
import { listeningLine, REPO_ROOT } from './gateway-process.js';

export interface ServiceProcess {
  url: string;
  child: ListeningChild['proc'];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The data service as its own process (src/main.ts through tsx), so it can be SIGKILLed. */
export async function startServiceProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const child = await spawnListening('src/main.ts', {
    cwd: join(REPO_ROOT, 'packages/data-service'),
    env: { PATH: process.env.PATH, DATA_SERVICE_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    nodeArgs,
    listening: listeningLine('portico data service listening'),
  });
  const exited = child.exited.then((e) => e.code);
  return {
    url: child.url,
    child: child.proc,
    exited,
    async kill(signal) {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill(signal);
      return exited;
    },
  };
}
