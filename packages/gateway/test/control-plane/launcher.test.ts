import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@portico/test-support/ports';
import { startFakeControlPlane } from './fake-control-plane.js';
import { findRepoRoot } from '@portico/test-support/repo-root';
import { pollUntil } from '../helpers/until.js';

/**
 * `npm start` (scripts/start.mjs): builds, then brings up the gateway, the embedded control plane and
 * the data service (those whose packages exist) on free ports; every part answers /v1/health within
 * 15 s; SIGTERM stops them all and nothing keeps listening.
 */
const root = findRepoRoot();
const script = join(root, 'scripts/start.mjs');
let dataDir: string;
/** Every launcher started: killed at the end, pass or fail (its parts die with it: exit-with-parent.mjs). */
const launchers: ChildProcess[] = [];

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'portico-launcher-'));
  const built = spawnSync(process.execPath, [script, '--build-only'], { cwd: root, encoding: 'utf8' });
  expect(built.status, built.stdout + built.stderr).toBe(0);
}, 240_000);

afterAll(async () => {
  await Promise.all(launchers.map((p) => {
    if (p.exitCode !== null || p.signalCode !== null) return undefined;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    return gone;
  }));
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Spawns the launcher; resolves once it says every part is up, with its output so far. The 15 s are the
 * launcher's own: it gives every part until 15 s after it began to answer /v1/health, else stops them
 * and exits 1. Counted from here they would include the launcher's own start, which a loaded machine
 * stretches; the longer bound below only keeps a hung launcher from hanging the test.
 */
async function launch(env: Record<string, string>): Promise<{ proc: ChildProcess; out: () => string; exited: Promise<number | null> }> {
  const p = spawn(process.execPath, [script, '--no-build'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  launchers.push(p);
  let out = '';
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const hung = setTimeout(() => reject(new Error(`the launcher neither got ready nor gave up within 45 s:\n${out}`)), 45_000);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes('stop with Ctrl-C')) {
        clearTimeout(hung);
        resolve();
      }
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(hung);
      reject(new Error(`the launcher exited (${code}) before every part was up:\n${out}`));
    });
  });
  return { proc: p, out: () => out, exited };
}

describe('npm start', () => {
  it('starts every part, answers /v1/health within 15 s, and SIGTERM leaves nothing listening', async () => {
    const ports = { PORT: await freePort(), CONTROL_PLANE_PORT: await freePort(), DATA_SERVICE_PORT: await freePort() };
    const env: Record<string, string> = { ...process.env as Record<string, string>, HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '3000' };
    for (const [k, v] of Object.entries(ports)) env[k] = String(v);
    delete env.CONTROL_PLANE_URL;
    const launched = await launch(env);
    const out = launched.out();
    const exited = launched.exited;
    const parts: Array<[string, number]> = [['gateway', ports.PORT]];
    if (existsSync(join(root, 'packages/control-plane/package.json'))) parts.push(['control plane', ports.CONTROL_PLANE_PORT]);
    if (existsSync(join(root, 'packages/data-service/dist/main.js'))) parts.push(['data service', ports.DATA_SERVICE_PORT]);
    for (const [name, port] of parts) {
      const r = await fetch(`http://127.0.0.1:${port}/v1/health`);
      expect(r.status, name).toBe(200);
      expect(out).toContain(`http://127.0.0.1:${port}`);
    }
    if (parts.length > 1) {
      // The embedded identity is made once, readable only by its owner, and the gateway syncs with it.
      expect(statSync(join(dataDir, 'embedded.json')).mode & 0o777).toBe(0o600);
      const health = await (await fetch(`http://127.0.0.1:${ports.PORT}/v1/health`)).json() as { dependencies: { entities: { kind: string } } };
      expect(health.dependencies.entities.kind).toBe('control-plane');
      expect(out).toMatch(/first admin key/);
    }

    launched.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const [name, port] of parts) expect(await listening(port), `${name} still listens on ${port}`).toBe(false);
  }, 60_000);

  it('uses the control plane CONTROL_PLANE_URL names instead of embedding one; killed with SIGKILL, its parts stop anyway', async () => {
    const cp = await startFakeControlPlane({ organisation: 'org-external', clientAuth: 'client-auth-external-123' });
    try {
      const ports = { PORT: await freePort(), CONTROL_PLANE_PORT: await freePort() };
      const env: Record<string, string> = {
        ...process.env as Record<string, string>, HOST: '127.0.0.1', DATA_DIR: join(dataDir, 'external'), LOG_LEVEL: 'warn', SHUTDOWN_TIMEOUT_MS: '3000',
        PORT: String(ports.PORT), CONTROL_PLANE_PORT: String(ports.CONTROL_PLANE_PORT), DATA_SERVICE_PORT: String(await freePort()),
        CONTROL_PLANE_URL: cp.url, PORTKEY_CLIENT_AUTH: 'client-auth-external-123', ORGANISATIONS_TO_SYNC: 'org-external',
      };
      const launched = await launch(env);
      expect(await listening(ports.CONTROL_PLANE_PORT)).toBe(false);
      expect(existsSync(join(dataDir, 'external', 'embedded.json'))).toBe(false);
      const health = await (await fetch(`http://127.0.0.1:${ports.PORT}/v1/health`)).json() as { dependencies: { entities: { kind: string; sync: Record<string, { source: string }> } } };
      expect(health.dependencies.entities.sync['org-external'].source).toBe('control-plane');
      expect(cp.hits.get('/v1/sync/snapshot')).toBeGreaterThan(0);
      // Killed outright, the launcher cannot stop its parts: they notice it is gone and stop by themselves.
      launched.proc.kill('SIGKILL');
      await launched.exited;
      await pollUntil('the orphaned gateway to stop listening', async () => !(await listening(ports.PORT)), 20_000, 100);
    } finally {
      await cp.close();
    }
  }, 60_000);
});
