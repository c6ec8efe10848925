import { EventEmitter } from 'node:events';

/**
 * A cancellation signal for the hot path. AbortController/AbortSignal are EventTargets, which cost
 * measurably per request in Node 20; undici accepts any emitter with `aborted` and an 'abort' event.
 */
export class Abort extends EventEmitter {
  aborted = false;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** What the pipeline accepts as a signal: an Abort, or anything shaped like it. */
export interface AbortLike {
  readonly aborted: boolean;
  once(event: 'abort', listener: () => void): unknown;
  off(event: 'abort', listener: () => void): unknown;
}
