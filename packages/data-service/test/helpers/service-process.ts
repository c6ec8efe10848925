import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CHILD_STDIO, EXIT_WITH_PARENT_ARGS, REPO_ROOT } from './gateway-process.js';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** The data service as its own process (src/main.ts through tsx), so it can be SIGKILLed. */
export async function startServiceProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...EXIT_WITH_PARENT_ARGS, 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'packages/data-service'),
    env: { PATH: process.env.PATH, DATA_SERVICE_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: CHILD_STDIO,
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`data service did not start: ${stderr}`)), 30_000);
    void exited.then((code) => reject(new Error(`data service exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const o = JSON.parse(line) as { msg?: string; url?: string };
        if (o.msg === 'portico data service listening' && o.url) {
          clearTimeout(timer);
          resolve(o.url);
        }
      } catch {
        // not JSON
      }
    });
  });
  return {
    url,
    child,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
