/**
 * The process set-up every Portico service's entry point shares: drain once on SIGTERM / SIGINT (ECS
 * stops a task with SIGTERM, then SIGKILL after its stop timeout), and log what escapes every handler
 * as JSON. Takes the process as a parameter so it can be tested without signalling the test runner.
 */
type LogFn = (fields: object, msg: string) => void;

export interface ProcessLogger {
  info: LogFn;
  error: LogFn;
  fatal: LogFn;
}

/** The part of Node's `process` these use. */
export interface ProcessLike {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (e: unknown) => void): unknown;
  exit(code: number): void;
}

export interface DrainOptions {
  log: ProcessLogger;
  /** Stops taking work and finishes what is in flight; exit 0 when it resolves, 1 when it rejects. */
  drain: () => Promise<void>;
  /** What draining does, logged with the signal. */
  draining: string;
  /** The drain's deadline, logged with the signal. */
  deadlineMs?: number;
  /** Pause before exit after the last log line (EXIT_PAUSE_MS by default). */
  exitPauseMs?: number;
}

/**
 * How long the process waits between its last log line and exit. pino writes stdout asynchronously and,
 * at exit, flushes what is still in flight synchronously; when stdout is a pipe nobody reads any more
 * (a parent that died) that synchronous flush retries EPIPE forever and the process never exits. In this
 * pause the in-flight write fails asynchronously instead, pino stops writing to the dead pipe, and the
 * exit is immediate.
 */
export const EXIT_PAUSE_MS = 100;

/** Drains once on the first SIGTERM or SIGINT (a second signal while draining is ignored), then exits. */
export function drainOnSignals(o: DrainOptions, proc: ProcessLike = process): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    o.log.info({ signal, ...(o.deadlineMs === undefined ? {} : { deadline_ms: o.deadlineMs }) }, o.draining);
    const exit = (code: number) => setTimeout(() => proc.exit(code), o.exitPauseMs ?? EXIT_PAUSE_MS);
    o.drain().then(
      () => {
        o.log.info({}, 'shutdown complete');
        exit(0);
      },
      (err: unknown) => {
        o.log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  proc.on('SIGTERM', () => stop('SIGTERM'));
  proc.on('SIGINT', () => stop('SIGINT'));
}

/**
 * Logs an unhandled rejection and carries on; logs an uncaught exception (a bug that escaped every
 * handler) and exits non-zero, so the orchestrator replaces the task.
 */
export function logCrashes(log: ProcessLogger, proc: ProcessLike = process): void {
  proc.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
  proc.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    proc.exit(1);
  });
}
