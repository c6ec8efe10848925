import { setFlagsFromString } from 'node:v8';
import { drainOnSignals, logCrashes } from '@portico/contract';
import { loadSettings, asInt, SettingsError } from './config/settings.js';
import { createGateway } from './app.js';

/** Entry point: read the environment, start the gateway, drain gracefully on SIGTERM / SIGINT. */
async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings(process.env);
  } catch (e) {
    if (e instanceof SettingsError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // V8 otherwise lets the old heap grow to several times the live data between full collections:
  // RSS then climbs under steady load although nothing is retained. Read at every GC, so it can be set here.
  const growing = asInt(settings.HEAP_GROWING_PERCENT);
  if (growing > 0) setFlagsFromString(`--heap-growing-percent=${growing}`);
  const gateway = await createGateway(settings);
  const log = gateway.deps.logger;
  await gateway.listen();
  const deadlineMs = asInt(settings.SHUTDOWN_TIMEOUT_MS);
  drainOnSignals({ log, drain: () => gateway.shutdown(deadlineMs), draining: 'draining: no new connections; finishing in-flight requests, then flushing logs', deadlineMs });
  logCrashes(log);
  // Announced only once a SIGTERM drains: whoever waits for this line may signal at once.
  log.info({ url: gateway.url(), cache: gateway.deps.cache.kind, log_store: gateway.deps.logStore.kind, auth: gateway.deps.entities.authRequired() }, 'portico gateway listening');
}

main().catch((e: unknown) => {
  process.stderr.write(`portico gateway failed to start: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
