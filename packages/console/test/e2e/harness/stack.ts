import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';
import { freePort } from '@portico/test-support/ports';
import type { Child } from '@portico/test-support/spawn';
import { REPO, startNode, waitForHttp } from './processes.js';

/**
 * A real control plane (serving the built console) and a real gateway synced from it, each its own
 * process on a free port, plus a fake OpenAI upstream. Everything lives in one temp directory.
 */
export interface Stack {
  cpUrl: string;
  gatewayUrl: string;
  adminKey: string;
  organisationId: string;
  fake: FakeOpenAI;
  dataServiceUrl: string;
  /** Whether this gateway syncs its entities from the control plane (its health reports sync state). */
  gatewaySyncs: boolean;
  cp: Child;
  gateway: Child;
  close(): Promise<void>;
}

export async function startStack(extraCpEnv: Record<string, string> = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-console-e2e-'));
  const fake = await startFakeOpenAI();
  const [cpPort, gwPort, dsPort] = [await freePort(), await freePort(), await freePort()];
  const adminKey = `pt-admin-${randomBytes(18).toString('base64url')}`;
  const clientAuth = randomBytes(24).toString('base64url');
  const organisationId = randomUUID();
  const cpUrl = `http://127.0.0.1:${cpPort}`;
  const gatewayUrl = `http://127.0.0.1:${gwPort}`;
  const dataServiceUrl = `http://127.0.0.1:${dsPort}`;
  const cp = startNode(join(REPO, 'packages/control-plane/src/main.ts'), {
    HOST: '127.0.0.1',
    CONTROL_PLANE_PORT: String(cpPort),
    DATA_DIR: join(dir, 'cp'),
    ADMIN_API_KEY: adminKey,
    ORGANISATION_ID: organisationId,
    PORTKEY_CLIENT_AUTH: clientAuth,
    CONSOLE_DIR: join(REPO, 'packages/console/dist'),
    GATEWAY_URL: gatewayUrl,
    LOG_LEVEL: 'warn',
    ...extraCpEnv,
  });
  let gateway: Child | undefined;
  let dataService: Child | undefined;
  try {
    await waitForHttp(`${cpUrl}/v1/health`, cp);
    // GATEWAY_ENTRY: another gateway entry point to try (development only); the repository's by default.
    gateway = startNode(process.env.GATEWAY_ENTRY ?? join(REPO, 'packages/gateway/src/main.ts'), {
      HOST: '127.0.0.1',
      PORT: String(gwPort),
      DATA_DIR: join(dir, 'gw'),
      LOG_STORE_FILE_DIR: join(dir, 'gw', 'logs'),
      LOG_STORE_SPILL_DIR: join(dir, 'gw', 'spill'),
      LOG_STORE_BATCH_MAX_AGE_MS: '300',
      CONTROL_PLANE_URL: cpUrl,
      ORGANISATIONS_TO_SYNC: organisationId,
      PORTKEY_CLIENT_AUTH: clientAuth,
      DATASERVICE_BASEPATH: dataServiceUrl,
      LOG_LEVEL: 'warn',
    });
    await waitForHttp(`${gatewayUrl}/v1/health`, gateway);
    // The data service reads the gateway's log store for exports; the gateway forwards /v1/logs/exports to it.
    dataService = startNode(join(REPO, 'packages/data-service/src/main.ts'), {
      HOST: '127.0.0.1',
      DATA_SERVICE_PORT: String(dsPort),
      DATA_DIR: join(dir, 'ds'),
      LOG_STORE_FILE_DIR: join(dir, 'gw', 'logs'),
      CONTROL_PLANE_URL: cpUrl,
      ORGANISATIONS_TO_SYNC: organisationId,
      PORTKEY_CLIENT_AUTH: clientAuth,
      GATEWAY_URL: gatewayUrl,
      LOG_LEVEL: 'warn',
    });
    await waitForHttp(`${dataServiceUrl}/v1/health`, dataService);
  } catch (e) {
    await dataService?.stop();
    await gateway?.stop();
    await cp.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const gw = gateway;
  const ds = dataService;
  const health = await (await fetch(`${gatewayUrl}/v1/health`)).text();
  const gatewaySyncs = health.includes('"sync"');
  return {
    cpUrl, gatewayUrl, adminKey, organisationId, fake, dataServiceUrl, cp, gateway: gw, gatewaySyncs,
    async close() {
      await ds.stop();
      await gw.stop();
      await cp.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A control plane alone (no gateway), for the console's server-side tests: sign-in, sessions, OIDC. */
export async function startControlPlaneOnly(env: Record<string, string> = {}): Promise<{ url: string; adminKey: string; cp: Child; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'portico-console-cp-'));
  const port = env.CONTROL_PLANE_PORT ? Number(env.CONTROL_PLANE_PORT) : await freePort();
  const adminKey = `pt-admin-${randomBytes(18).toString('base64url')}`;
  const url = `http://127.0.0.1:${port}`;
  const cp = startNode(join(REPO, 'packages/control-plane/src/main.ts'), {
    HOST: '127.0.0.1',
    CONTROL_PLANE_PORT: String(port),
    DATA_DIR: dir,
    ADMIN_API_KEY: adminKey,
    CONSOLE_DIR: join(REPO, 'packages/console/dist'),
    GATEWAY_URL: 'http://127.0.0.1:9',
    LOG_LEVEL: 'warn',
    ...env,
  });
  try {
    await waitForHttp(`${url}/v1/health`, cp);
  } catch (e) {
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url, adminKey, cp,
    async close() {
      await cp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An Admin API call with the admin key, for set-up the test does not drive through the console. */
export async function admin<T>(stack: { cpUrl: string; adminKey: string }, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.cpUrl}${path}`, {
    method,
    headers: { 'x-portkey-api-key': stack.adminKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
