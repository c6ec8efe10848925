import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { startControlPlane, type ControlPlane } from '../../src/app.js';
import { readEnv } from '../../src/env.js';
import { postgresMissing, startPostgres, type PgCluster } from '@portico/test-support/postgres';

/**
 * Starts a control plane on port 0 with its own DATA_DIR, on SQLite or on a database of a shared
 * throwaway PostgreSQL cluster. Every suite runs once per backend (see `backends`).
 */
export type Backend = 'sqlite' | 'postgres';
export const backends: Backend[] = ['sqlite', 'postgres'];
export const skipReason = (b: Backend) => (b === 'postgres' ? postgresMissing : undefined);

let cluster: PgCluster | undefined;
let clusterUsers = 0;
// Safety net: a test worker that ends without its afterAll still stops its cluster (stop() is synchronous).
process.once('exit', () => cluster?.stop());

function releaseCluster(): void {
  if (--clusterUsers === 0) {
    cluster?.stop();
    cluster = undefined;
  }
}

/** Keeps the shared PostgreSQL cluster up across tests that each start and stop a control plane. */
export async function retainPostgres(): Promise<() => void> {
  cluster ??= await startPostgres();
  clusterUsers++;
  return releaseCluster;
}

export interface TestControlPlane {
  cp: ControlPlane;
  url: string;
  adminKey: string;
  clientAuth: string;
  organisationId: string;
  dataDir: string;
  databaseUrl?: string;
  close(): Promise<void>;
  /** Restarts on the same storage (same DATA_DIR / database), with extra environment. */
  restart(extra?: Record<string, string>): Promise<void>;
}

export async function startTestControlPlane(backend: Backend, extraEnv: Record<string, string> = {}): Promise<TestControlPlane> {
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-cp-'));
  let databaseUrl: string | undefined;
  if (backend === 'postgres') {
    cluster ??= await startPostgres();
    clusterUsers++;
    databaseUrl = await cluster.createDatabase(`cp_${randomUUID().replace(/-/g, '')}`);
  }
  const adminKey = `pt-test-${randomBytes(12).toString('hex')}`;
  const clientAuth = `ca-${randomBytes(12).toString('hex')}`;
  const baseEnv = {
    HOST: '127.0.0.1', CONTROL_PLANE_PORT: '0', DATA_DIR: dataDir, ADMIN_API_KEY: adminKey, PORTKEY_CLIENT_AUTH: clientAuth, LOG_LEVEL: 'silent',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...extraEnv,
  };
  const log = pino({ level: 'silent' });
  let first: ControlPlane;
  try {
    first = await startControlPlane({ env: readEnv(baseEnv), log, announce: () => undefined });
  } catch (e) {
    // A start that fails (as some tests expect) must not keep the cluster or the folder alive.
    rmSync(dataDir, { recursive: true, force: true });
    if (backend === 'postgres') releaseCluster();
    throw e;
  }
  const t: TestControlPlane = {
    cp: first,
    url: '',
    adminKey, clientAuth, dataDir, databaseUrl, organisationId: '',
    async close() {
      await t.cp.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (backend === 'postgres') releaseCluster();
    },
    async restart(extra = {}) {
      await t.cp.close();
      t.cp = await startControlPlane({ env: readEnv({ ...baseEnv, ...extra }), log, announce: () => undefined });
      t.url = t.cp.url;
    },
  };
  t.url = t.cp.url;
  t.organisationId = t.cp.bootstrap.organisationId;
  return t;
}

/** A JSON request with the admin key (or another), returning status and parsed body. */
export async function call(base: string, method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(key ? { 'x-portkey-api-key': key } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed };
}
