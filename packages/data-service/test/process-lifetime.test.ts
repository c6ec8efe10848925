import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

/** A test worker killed without cleaning up (SIGKILL, a crash, a timeout) must not leave servers listening. */
const dir = mkdtempSync(join(tmpdir(), 'ds-lifetime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('a service started by the test helpers ends when its parent is SIGKILLed', async () => {
  const parent = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures/parent-of-service.ts'), dir], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout!.on('data', (c) => {
      out += c;
      const m = /child (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.once('exit', (code) => reject(new Error(`parent exited ${code} before starting the service`)));
  });
  expect(alive(pid)).toBe(true);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(pid)).toBe(false);
}, 60_000);
