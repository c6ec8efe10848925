import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drainOnSignals, processLogOptions } from '@portico/contract';
import pino from 'pino';
import { startControlPlane, type StartOptions } from './app.js';
import { readEnv } from './env.js';

const log = pino(processLogOptions('control-plane', process.env.LOG_LEVEL ?? 'info'));

/** The console's server-side module (src/console/index.ts), when it has been added: it registers its routes and session resolver. */
async function consoleExtensions(): Promise<NonNullable<StartOptions['extensions']>> {
  // index.js when built, index.ts when run from source with tsx (npm run dev, the console's browser tests).
  const here = dirname(fileURLToPath(import.meta.url));
  const file = ['index.js', 'index.ts'].map((f) => join(here, 'console', f)).find((f) => existsSync(f));
  if (!file) return [];
  const mod = (await import(file)) as { register?: NonNullable<StartOptions['extensions']>[number] };
  return mod.register ? [mod.register] : [];
}

async function main() {
  const env = readEnv();
  const starting = consoleExtensions().then((extensions) => startControlPlane({ env, log, extensions }));
  // Before it announces that it listens: whoever waits for that line may signal at once.
  drainOnSignals({ log, drain: async () => (await starting).close(), draining: 'draining' });
  await starting;
}

main().catch((err) => {
  log.fatal({ err: { message: (err as Error).message } }, 'control plane failed to start');
  process.exit(1);
});
