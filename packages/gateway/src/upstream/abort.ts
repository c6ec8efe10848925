/**
 * A cancellation signal for the hot path: a flag and a list of listeners. AbortController/AbortSignal
 * are EventTargets and EventEmitter is general-purpose; both cost measurably per request, and every
 * request makes two of these (the client's and each attempt's).
 */
export class Abort implements AbortLike {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  once(_event: 'abort', listener: () => void): this {
    (this.listeners ??= []).push(listener);
    return this;
  }

  off(_event: 'abort', listener: () => void): this {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i !== -1) this.listeners!.splice(i, 1);
    return this;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (listeners) for (const listener of listeners) listener();
  }
}

/** What the pipeline accepts as a signal: an Abort, or anything shaped like it. */
export interface AbortLike {
  readonly aborted: boolean;
  once(event: 'abort', listener: () => void): unknown;
  off(event: 'abort', listener: () => void): unknown;
}
