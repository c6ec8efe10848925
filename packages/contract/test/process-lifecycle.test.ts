import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { drainOnSignals, logCrashes, type ProcessLike } from '../src/process-lifecycle.js';

/** A process stand-in: signals are emitted by the test, exit codes recorded. */
function fakeProcess() {
  const events = new EventEmitter();
  const exits: number[] = [];
  const proc = { on: (event: string, listener: (...a: unknown[]) => void) => events.on(event, listener), exit: (code: number) => void exits.push(code) } as ProcessLike;
  return { proc, events, exits };
}

function recordingLog() {
  const lines: Array<{ level: string; fields: object; msg: string }> = [];
  const at = (level: string) => (fields: object, msg: string) => void lines.push({ level, fields, msg });
  return { log: { info: at('info'), error: at('error'), fatal: at('fatal') }, lines };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('process lifecycle', () => {
  it('drains once on the first signal, logs the signal and deadline, and exits 0', async () => {
    const { proc, events, exits } = fakeProcess();
    const { log, lines } = recordingLog();
    let drains = 0;
    let finish!: () => void;
    drainOnSignals({ log, draining: 'draining: finishing work', deadlineMs: 2500, exitPauseMs: 0, drain: () => (drains++, new Promise<void>((r) => (finish = r))) }, proc);
    events.emit('SIGTERM');
    events.emit('SIGINT');
    expect(drains).toBe(1);
    expect(lines).toEqual([{ level: 'info', fields: { signal: 'SIGTERM', deadline_ms: 2500 }, msg: 'draining: finishing work' }]);
    await settle();
    expect(exits).toEqual([]);
    finish();
    await settle();
    expect(lines.at(-1)).toEqual({ level: 'info', fields: {}, msg: 'shutdown complete' });
    expect(exits).toEqual([0]);
  });

  it('exits 1 when draining fails, saying so', async () => {
    const { proc, events, exits } = fakeProcess();
    const { log, lines } = recordingLog();
    drainOnSignals({ log, draining: 'draining', exitPauseMs: 0, drain: () => Promise.reject(new Error('flush failed')) }, proc);
    events.emit('SIGINT');
    await settle();
    expect(lines[0].fields).toEqual({ signal: 'SIGINT' });
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'shutdown failed', fields: { err: new Error('flush failed') } });
    expect(exits).toEqual([1]);
  });

  it('logs an unhandled rejection and carries on; an uncaught exception exits 1', () => {
    const { proc, events, exits } = fakeProcess();
    const { log, lines } = recordingLog();
    logCrashes(log, proc);
    events.emit('unhandledRejection', new Error('lost'));
    expect(exits).toEqual([]);
    events.emit('uncaughtException', new Error('bug'));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([['error', 'unhandled promise rejection'], ['fatal', 'uncaught exception; exiting']]);
    expect(exits).toEqual([1]);
  });
});
