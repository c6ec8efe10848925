import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@portico/test-support/ports';

/** The built entry point as its own process: bootstrap output, JSON logs, health, SIGTERM. */
const pkgDir = join(import.meta.dirname, '..');

describe('dist/main.js', () => {
  let dataDir: string;
  beforeAll(() => {
    execFileSync(process.execPath, [join(pkgDir, '../../node_modules/typescript/bin/tsc'), '-p', join(pkgDir, 'tsconfig.json')], { stdio: 'pipe' });
    dataDir = mkdtempSync(join(tmpdir(), 'portico-cp-proc-'));
  }, 120_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints the generated admin key once, answers /v1/health, logs JSON and stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(pkgDir, 'dist/main.js')], {
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', CONTROL_PLANE_PORT: String(port), DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const deadline = Date.now() + 15_000;
      let healthy = false;
      while (Date.now() < deadline && !healthy) {
        healthy = await fetch(`http://127.0.0.1:${port}/v1/health`).then((r) => r.ok, () => false);
        if (!healthy) await new Promise((r) => setTimeout(r, 100));
      }
      expect(healthy).toBe(true);
      const key = readFileSync(join(dataDir, 'admin-api-key'), 'utf8').trim();
      expect(out).toContain(key);
      const listening = out.split('\n').find((l) => l.includes('control plane listening'))!;
      expect(JSON.parse(listening)).toMatchObject({ level: 30, service: 'control-plane', database: 'sqlite' });
      // ISO-8601 time, as the gateway and the data service write it, so one log pipeline reads all three.
      expect(JSON.parse(listening).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(listening).not.toContain(key);
      const r = await fetch(`http://127.0.0.1:${port}/v1/configs`, { headers: { 'x-portkey-api-key': key } });
      expect(r.status).toBe(200);
      const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      child.kill('SIGTERM');
      expect(await code).toBe(0);
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      });
      expect(refused).toBe(true);
      expect(out.split(key).length - 1).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
