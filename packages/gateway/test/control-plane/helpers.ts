import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';

export interface SyncedGateway {
  url: string;
  gateway: Gateway;
  dataDir: string;
  /** Shuts the gateway down, keeping its data directory (for a restart). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** A gateway synced from `controlPlaneUrl`; `dataDir` reused when given (a restart). */
export async function startSyncedGateway(controlPlaneUrl: string, clientAuth: string, organisations: string, env: Record<string, string> = {}, dataDir?: string): Promise<SyncedGateway> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'portico-sync-'));
  const settings = loadSettings({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: dir,
    LOG_STORE_FILE_DIR: join(dir, 'logs'),
    LOG_STORE_SPILL_DIR: join(dir, 'spill'),
    CONTROL_PLANE_URL: controlPlaneUrl,
    PORTKEY_CLIENT_AUTH: clientAuth,
    ORGANISATIONS_TO_SYNC: organisations,
    ...env,
  });
  const gateway = await createGateway(settings);
  await gateway.listen();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gateway.shutdown(2000);
  };
  return {
    url: gateway.url(),
    gateway,
    dataDir: dir,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs a chat completion through the gateway with a gateway key, to the fake OpenAI at customHost. */
export async function chat(gatewayUrl: string, key: string | undefined, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-portkey-api-key': key } : {}), ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
}
