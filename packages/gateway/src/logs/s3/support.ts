/** Small helpers of the S3 store. */

/** `deadline` of flush/close: an absolute epoch-ms time when it looks like one, else a duration in ms. */
export function deadlineAt(deadline: number, now = Date.now()): number {
  return deadline > 1e12 ? deadline : now + Math.max(0, deadline);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());

/** What may be logged about an S3 failure: never credentials, which S3 errors do not carry anyway. */
export function describe(err: unknown): { error: string; status?: number } {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { error: `${err.name}: ${err.message}`, ...(status ? { status } : {}) };
  }
  return { error: String(err) };
}

/** A counting semaphore: at most `n` holders, the rest wait in order. */
export class Slots {
  private waiters: Array<() => void> = [];
  constructor(private n: number) {}

  get free(): number {
    return this.n;
  }

  acquire(): Promise<void> {
    if (this.n > 0) {
      this.n--;
      return Promise.resolve();
    }
    return new Promise((r) => this.waiters.push(r));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.n++;
  }
}
