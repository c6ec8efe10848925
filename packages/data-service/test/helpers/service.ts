import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createDataService, type DataService, type DataServiceOverrides } from '../../src/app.js';

export interface TestService {
  url: string;
  svc: DataService;
  dataDir: string;
  close(): Promise<void>;
}

/** An in-process data service on a free port, with a temp DATA_DIR unless one is given. */
export async function startTestService(env: Record<string, string> = {}, o: DataServiceOverrides = {}): Promise<TestService> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ds-data-'));
  // GATEWAY_URL defaults to a closed port: tests never reach whatever listens on 8787.
  const config = loadConfig({ DATA_SERVICE_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: dataDir, SCHEDULER_INTERVAL_MS: '200', GATEWAY_URL: 'http://127.0.0.1:9', ...env });
  const svc = await createDataService(config, o);
  await svc.listen();
  return {
    url: svc.url(),
    svc,
    dataDir,
    async close() {
      await svc.shutdown(2000);
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
