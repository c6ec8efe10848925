import { spawnNodeScript, type Child } from '@portico/test-support/spawn';
import { findRepoRoot } from '@portico/test-support/repo-root';

export const REPO = findRepoRoot();

/**
 * A Portico entry point run with tsx from the repository root, `env` on top of this process's. Tracked
 * by test-support: stopped when the test file ends and ended with its parent, whatever happens.
 */
export function startNode(entry: string, env: Record<string, string>): Child {
  return spawnNodeScript(entry, [], { cwd: REPO, env: { ...process.env, ...env } });
}

/** Polls url until it answers 2xx, or fails with the child's output. */
export async function waitForHttp(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.proc.exitCode !== null) throw new Error(`process exited (${child.proc.exitCode}) before ${url} answered:\n${child.output().slice(-20_000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${child.output().slice(-20_000)}`);
}
