/**
 * The one way tests start child processes. Every child is tracked; vitest-setup.ts (or a package's own
 * setup file) stops them all when a test file ends, pass or fail, and the worker's exit kills any left.
 * A Node child also exits by itself when its parent dies (exit-with-parent.ts, over an IPC channel), so
 * a crashed or timed-out worker leaves no service listening.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** How much of a child's output is kept for waitForOutput and failure messages: the latest, bounded. */
const OUTPUT_KEPT = 1 << 20;

export interface Child {
  proc: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Settles when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first match of `re` in the output; rejects on exit or after `timeoutMs`. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
process.once('exit', () => {
  for (const c of live) c.proc.kill('SIGKILL');
});

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'pipe' (default) captures output(); 'ignore' discards it. */
  output?: 'pipe' | 'ignore';
  ipc?: boolean;
}

export function spawnChild(command: string, args: string[], opts: SpawnOptions = {}): Child {
  const out = opts.output ?? 'pipe';
  const stdio: StdioOptions = ['ignore', out, out, ...(opts.ipc ? ['ipc' as const] : [])];
  const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString();
    if (text.length > OUTPUT_KEPT) text = text.slice(-OUTPUT_KEPT / 2);
    for (const w of waiters) w();
  };
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(child);
      for (const w of waiters) w();
      resolve({ code, signal });
    });
    proc.once('error', () => {
      live.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  const hasExited = () => proc.exitCode !== null || proc.signalCode !== null;
  const child: Child = {
    proc,
    output: () => text,
    exited,
    waitForOutput(re, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(text);
          if (m) done(() => resolve(m));
          else if (hasExited()) done(() => reject(new Error(`${command} exited (${proc.exitCode ?? proc.signalCode}) before printing ${re}:\n${text.slice(-3000)}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${command} did not print ${re} within ${timeoutMs} ms:\n${text.slice(-3000)}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (hasExited()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(child);
  return child;
}

/** A TypeScript entry point run by Node through tsx; it exits when this worker does. */
export function spawnNodeScript(script: string, args: string[] = [], opts: Omit<SpawnOptions, 'ipc'> & { nodeArgs?: string[] } = {}): Child {
  const preload = path.join(HERE, 'exit-with-parent.ts');
  return spawnChild(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', '--import', preload, script, ...args], { ...opts, ipc: true });
}

export interface ListeningChild extends Child {
  url: string;
}

/**
 * A service's entry point (run as spawnNodeScript does) that logs its URL once listening: resolves when
 * `listening` (whose first group is the URL) appears in its output. A JSON `"url":"http://..."` by default.
 */
export async function spawnListening(
  entry: string,
  opts: Omit<SpawnOptions, 'ipc'> & { listening?: RegExp; timeoutMs?: number; nodeArgs?: string[] },
): Promise<ListeningChild> {
  const child = spawnNodeScript(entry, [], opts);
  try {
    const m = await child.waitForOutput(opts.listening ?? /"url":"(http:\/\/[^"]+)"/, opts.timeoutMs ?? 30_000);
    return Object.assign(child, { url: m[1] });
  } catch (e) {
    await child.stop(1000);
    throw e;
  }
}

/** Stops every child still running (a setup file calls it after each test file). */
export async function stopAllChildren(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(graceMs)));
}

/** Whether a process with this pid is running (signal 0 asks without signalling). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits up to `timeoutMs` for the process to go away; whether it did. */
export async function hasEnded(pid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (isRunning(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return !isRunning(pid);
}
