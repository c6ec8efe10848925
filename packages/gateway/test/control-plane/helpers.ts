import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../src/app.js';
import { loadSettings } from '../../src/config/settings.js';
import { freePort } from '@portico/test-support/ports';
import { findRepoRoot } from '@portico/test-support/repo-root';
import { spawnChild } from '@portico/test-support/spawn';
import { expect } from 'vitest';
import { eventually } from '../helpers/gateway.js';

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

/** Where the built control plane's entry point is; tests that need it skip while it is not built. */
export const BUILT_CONTROL_PLANE = join(findRepoRoot(), 'packages/control-plane/dist/main.js');

export interface ControlPlaneProcess {
  url: string;
  close(): Promise<void>;
}

/**
 * The real control plane, built (as `npm start` runs it), in its own process on a free port with SQLite
 * in a temp dir; answering /v1/health before this resolves. Tracked by test-support: stopped when the
 * test file ends even if close() is never reached.
 */
export async function startBuiltControlPlane(env: { ORGANISATION_ID: string; PORTKEY_CLIENT_AUTH: string; ADMIN_API_KEY: string }): Promise<ControlPlaneProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-real-cp-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild(process.execPath, [BUILT_CONTROL_PLANE], {
    env: { ...process.env, HOST: '127.0.0.1', CONTROL_PLANE_PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', ...env },
  });
  const close = async () => {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => expect((await fetch(`${url}/v1/health`)).status).toBe(200), 15_000, 100);
  } catch (e) {
    await close();
    throw new Error(`the control plane did not answer /v1/health: ${(e as Error).message}\n${child.output().slice(-3000)}`);
  }
  return { url, close };
}
