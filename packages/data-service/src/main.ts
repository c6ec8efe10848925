import { setFlagsFromString } from 'node:v8';
import { drainOnSignals, logCrashes } from '@portico/contract';
import { ConfigError, loadConfig } from './config.js';
import { createDataService } from './app.js';

/** Entry point: read the environment, listen, drain on SIGTERM / SIGINT (jobs checkpoint and release their leases). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  if (config.HEAP_GROWING_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${config.HEAP_GROWING_PERCENT}`);
  const svc = await createDataService(config);
  const log = svc.deps.logger;
  await svc.listen();
  drainOnSignals({
    log,
    drain: () => svc.shutdown(config.SHUTDOWN_TIMEOUT_MS),
    draining: 'draining: jobs checkpoint and release their leases',
    deadlineMs: config.SHUTDOWN_TIMEOUT_MS,
  });
  logCrashes(log);
  // Announced only once a SIGTERM drains: whoever waits for this line may signal at once.
  log.info({ url: svc.url(), log_store: svc.deps.logSource.kind, exports: svc.deps.exportsBlobs.where, data: svc.deps.dataBlobs.where, leases: svc.deps.leases.kind, auth: config.CONTROL_PLANE_URL ? 'control-plane' : 'open' }, 'portico data service listening');
}

main().catch((e: unknown) => {
  process.stderr.write(`portico data service failed to start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
