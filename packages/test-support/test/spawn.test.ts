/** No child process a test starts outlives its test file or its parent. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasEnded, isRunning, spawnNodeScript, stopAllChildren } from '../src/spawn.js';

const HERE = import.meta.dirname;

describe('child processes', () => {
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
    expect(isRunning(grandchild)).toBe(true);
    parent.proc.kill('SIGKILL');
    await parent.exited;
    expect(await hasEnded(grandchild)).toBe(true);
  });
});
