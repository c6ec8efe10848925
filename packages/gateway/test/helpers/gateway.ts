import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';
import { eventually as waitUntilPasses } from '@portico/test-support/wait';
import { redirectingDispatcher } from './redirect-dispatcher.js';

export interface TestGateway {
  url: string;
  gateway: Gateway;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts an in-process gateway on a free port with its embedded defaults, plus overrides; `entities`
 * is the text of an entities file, written to the gateway's data directory and used as ENTITIES_FILE.
 */
/**
 * A gateway on port 0 with its own data dir. `entities`: an entities file's text. `redirectTrustedTo`: a
 * local fake's origin that every request of the trusted client (providers' fixed hosts) reaches instead,
 * with the meant origin told to the fake (helpers/redirect-dispatcher.ts); closed with the gateway.
 */
export async function startTestGateway(env: Record<string, string> = {}, opts: { entities?: string; redirectTrustedTo?: string } = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-gw-'));
  if (opts.entities !== undefined) {
    writeFileSync(join(dataDir, 'entities.yaml'), opts.entities);
    env = { ENTITIES_FILE: join(dataDir, 'entities.yaml'), ...env };
  }
  const settings = loadSettings({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    LOG_STORE_FILE_DIR: join(dataDir, 'logs'),
    LOG_STORE_SPILL_DIR: join(dataDir, 'spill'),
    ...env,
  });
  const gateway = await createGateway(settings);
  await gateway.listen();
  const redirect = opts.redirectTrustedTo === undefined ? undefined : redirectingDispatcher(opts.redirectTrustedTo);
  if (redirect) gateway.deps.clients.trusted = redirect.dispatcher;
  return {
    url: gateway.url(),
    gateway,
    dataDir,
    async close() {
      await gateway.shutdown(2000);
      await redirect?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every log line the gateway's file log store has written so far. */
export function readAllLogs(gw: TestGateway): string {
  const dir = join(gw.dataDir, 'logs');
  let out = '';
  for (const day of readdirSync(dir)) for (const f of readdirSync(join(dir, day))) out += readFileSync(join(dir, day, f), 'utf8');
  return out;
}

/** Waits until `check` passes or the time is up: test-support's, with the gateway tests' 5 s default. */
export function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5000, stepMs = 50): Promise<T> {
  return waitUntilPasses(check, timeoutMs, stepMs);
}
