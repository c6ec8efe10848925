import { errors, util, type Dispatcher } from 'undici';
import type { AbortLike } from './abort.js';

/** Body bytes buffered ahead of a slow reader before the upstream socket is paused. */
const HIGH_WATER_BYTES = 64 * 1024;

/** Status, headers (lower-case names, repeats joined with ", ") and the body of an upstream response. */
export interface UpstreamHead {
  status: number;
  headers: Record<string, string>;
  body: UpstreamBody;
}

/**
 * The body of one upstream response, fed by undici's dispatch callbacks. It is read whole (readAll)
 * or iterated chunk by chunk, with backpressure: past HIGH_WATER_BYTES unread, the socket is paused
 * until the reader catches up. Cheaper per request than undici's request(), which builds a Readable
 * stream, an AsyncResource and a header object for every response.
 */
export class UpstreamBody implements AsyncIterable<Buffer> {
  private chunks: Buffer[] = [];
  private head = 0;
  private queued = 0;
  private total = 0;
  private ended = false;
  private failure: Error | undefined;
  private resumeSocket: (() => void) | undefined;
  private waiter: { resolve(): void; reject(e: Error): void } | undefined;
  private limit = Infinity;
  /** readAll's budget: takes each chunk's bytes, false when there is no room for them. */
  private take: ((n: number) => boolean) | undefined;

  constructor(private readonly abortRequest: (err: Error) => void) {}

  /** Bytes received and not read yet. */
  get buffered(): number {
    return this.queued;
  }

  /** From onData: false pauses the socket until the reader drains the queue. */
  push(chunk: Buffer, resume: (() => void) | undefined): boolean {
    if (this.failure) return false;
    this.chunks.push(chunk);
    this.queued += chunk.length;
    this.total += chunk.length;
    if (this.total > this.limit) {
      this.destroy(new ResponseTooLargeError(this.limit));
      return false;
    }
    if (this.take && !this.take(chunk.length)) {
      this.destroy(new ResponseBufferFullError());
      return false;
    }
    this.wake();
    if (this.limit !== Infinity || this.queued < HIGH_WATER_BYTES) return true;
    this.resumeSocket = resume;
    return false;
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  /** From onError: the transfer broke; a pending or later read throws `err`. */
  fail(err: Error): void {
    if (this.failure || this.ended) return;
    this.failure = err;
    this.drop();
  }

  /** Stops the transfer and frees the connection; a pending or later read throws `err`. */
  destroy(err: Error = new errors.RequestAbortedError()): void {
    if (this.failure) return;
    this.failure = err;
    this.drop();
    if (!this.ended) this.abortRequest(err);
  }

  private drop(): void {
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    this.wake();
  }

  /** The whole body if it has already arrived and is within `limit`, without waiting; else undefined. */
  completeBody(limit: number): Buffer | undefined {
    if (!this.ended || this.failure || this.head !== 0 || this.total > limit) return undefined;
    return this.takeQueued();
  }

  /**
   * The whole body; more than `limit` bytes destroys the transfer and throws ResponseTooLargeError, and
   * bytes `take` has no room for throw ResponseBufferFullError.
   */
  async readAll(limit: number, take?: (n: number) => boolean): Promise<Buffer> {
    this.limit = limit;
    if (this.total > limit) this.destroy(new ResponseTooLargeError(limit));
    else if (take && !take(this.queued)) this.destroy(new ResponseBufferFullError());
    this.take = take;
    this.releaseSocket();
    while (!this.ended) {
      if (this.failure) throw this.failure;
      await this.wait();
    }
    if (this.failure) throw this.failure;
    return this.takeQueued();
  }

  /** Every unread byte, as one buffer. */
  private takeQueued(): Buffer {
    const parts = this.head === 0 ? this.chunks : this.chunks.slice(this.head);
    this.chunks = [];
    this.head = 0;
    this.queued = 0;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.head < this.chunks.length) {
        const chunk = this.chunks[this.head];
        this.chunks[this.head++] = EMPTY;
        this.queued -= chunk.length;
        if (this.head === this.chunks.length) {
          this.chunks = [];
          this.head = 0;
        }
        if (this.queued < HIGH_WATER_BYTES / 2) this.releaseSocket();
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await this.wait();
    }
  }

  private releaseSocket(): void {
    const resume = this.resumeSocket;
    this.resumeSocket = undefined;
    resume?.();
  }

  private wait(): Promise<void> {
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.failure) w.reject(this.failure);
    else w.resolve();
  }
}

const EMPTY = Buffer.alloc(0);

export class ResponseBufferFullError extends Error {
  readonly code = 'PORTICO_RESPONSE_BUFFER_FULL';
}

export class ResponseTooLargeError extends Error {
  readonly code = 'PORTICO_RESPONSE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
  }
}

/** Lower-cased name → value; repeated headers are joined with ", " as one field. */
function headerRecord(raw: Buffer[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = util.headerNameToString(raw[i]);
    if (name === '__proto__') continue;
    const value = raw[i + 1].toString('latin1');
    const prev = out[name];
    out[name] = prev === undefined ? value : `${prev}, ${value}`;
  }
  return out;
}

/**
 * Sends one request through undici's dispatch API and resolves once the response head arrives.
 * `signal` aborts it at any point: before the head the promise rejects, after it the body throws.
 * `done` is called once the exchange is over and its connection free (completed, failed or aborted).
 */
export function exchange(dispatcher: Dispatcher, opts: Dispatcher.DispatchOptions, signal: AbortLike, done?: () => void): Promise<UpstreamHead> {
  return new Promise((resolve, reject) => {
    let abortRequest: ((err: Error) => void) | undefined;
    let pendingAbort: Error | undefined;
    let resumeSocket: (() => void) | undefined;
    let body: UpstreamBody | undefined;
    let settled = false;
    const abort = (err: Error) => {
      if (abortRequest) return abortRequest(err);
      // Not on a socket yet (queued or connecting): fail now, and drop the request once it connects.
      pendingAbort = err;
      reject(err);
    };
    const onSignal = () => abort(new errors.RequestAbortedError());
    const finish = () => {
      if (settled) return;
      settled = true;
      signal.off('abort', onSignal);
      done?.();
    };
    if (signal.aborted) {
      done?.();
      return reject(new errors.RequestAbortedError());
    }
    signal.once('abort', onSignal);

    const handler: Dispatcher.DispatchHandler = {
      onConnect(abortFn: (err?: Error) => void) {
        abortRequest = abortFn as (err: Error) => void;
        if (pendingAbort) abortFn(pendingAbort);
      },
      onHeaders(status: number, raw: Buffer[], resume: () => void) {
        if (status < 200) return true;
        body = new UpstreamBody(abort);
        resumeSocket = resume;
        resolve({ status, headers: headerRecord(raw), body });
        return true;
      },
      onData(chunk: Buffer) {
        return body!.push(chunk, resumeSocket);
      },
      onComplete() {
        finish();
        body?.end();
      },
      onError(err: Error) {
        finish();
        if (body) body.fail(err);
        else reject(err);
      },
    };
    dispatcher.dispatch(opts, handler);
  });
}
