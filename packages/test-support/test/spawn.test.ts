/** No child process a test starts outlives its test file or its parent. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnNodeScript, stopAllChildren } from '../src/spawn.js';

const HERE = import.meta.dirname;

describe('child processes', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const gone = async (pid: number) => {
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    return !alive(pid);
  };

  it('are all stopped by stopAllChildren (what vitest-setup.ts runs after every file)', async () => {
    const child = spawnNodeScript(path.join(HERE, 'fixtures/linger.ts'));
    await child.waitForOutput(/^linger (\d+)$/m);
    await stopAllChildren();
    expect(child.proc.exitCode !== null || child.proc.signalCode !== null).toBe(true);
  });

  it('end with their parent even when it dies without cleaning up (SIGKILL)', async () => {
    // parent.ts starts linger.ts through the same helper, prints its pid, then waits.
    const parent = spawnNodeScript(path.join(HERE, 'fixtures/parent.ts'));
    const m = await parent.waitForOutput(/^grandchild (\d+)$/m);
    const grandchild = Number(m[1]);
    expect(alive(grandchild)).toBe(true);
    parent.proc.kill('SIGKILL');
    await parent.exited;
    expect(await gone(grandchild)).toBe(true);
  });
});
