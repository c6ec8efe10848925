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
}

/** Drains once on the first SIGTERM or SIGINT (a second signal while draining is ignored), then exits. */
export function drainOnSignals(o: DrainOptions, proc: ProcessLike = process): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    o.log.info({ signal, ...(o.deadlineMs === undefined ? {} : { deadline_ms: o.deadlineMs }) }, o.draining);
    o.drain().then(
      () => {
        o.log.info({}, 'shutdown complete');
        proc.exit(0);
      },
      (err: unknown) => {
        o.log.error({ err }, 'shutdown failed');
        proc.exit(1);
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
