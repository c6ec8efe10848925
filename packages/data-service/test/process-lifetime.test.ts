import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hasEnded, isRunning, spawnNodeScript } from '@portico/test-support/spawn';

/** A test worker killed without cleaning up (SIGKILL, a crash, a timeout) must not leave servers listening. */
const dir = mkdtempSync(join(tmpdir(), 'ds-lifetime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a service started by the test helpers ends when its parent is SIGKILLed', async () => {
  const parent = spawnNodeScript(join(import.meta.dirname, 'fixtures/parent-of-service.ts'), [dir], { cwd: join(import.meta.dirname, '..') });
  const pid = Number((await parent.waitForOutput(/child (\d+)/, 40_000))[1]);
  expect(isRunning(pid)).toBe(true);
  parent.proc.kill('SIGKILL');
  expect(await hasEnded(pid, 10_000)).toBe(true);
}, 60_000);
