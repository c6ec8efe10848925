import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** Niceness added to the snapshot worker's thread: CFS then gives it about a tenth of a contended CPU's time. */
export const SNAPSHOT_WORKER_NICENESS = 10;

/**
 * Lowers the calling thread's CPU priority, not the process's. On a small task (one or two vCPUs) the
 * snapshot worker's parsing would otherwise take CPU time from the event loop that serves requests; niced,
 * it parses in the time requests leave. Linux only (a thread's id from /proc/thread-self, which
 * setpriority takes as PRIO_PROCESS); raising niceness needs no privilege. Best effort: false elsewhere.
 * Runs once when the worker starts, never on the request path.
 */
export function lowerThisThreadPriority(by = SNAPSHOT_WORKER_NICENESS): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    // Relative to what the thread inherited (a process started under nice stays below it), at most 19.
    setPriority(tid, Math.min(19, getPriority(tid) + by));
    return true;
  } catch {
    return false;
  }
}
