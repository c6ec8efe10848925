/**
 * Long work done beside the request path (applying a sync snapshot, sealing it for disk) is cut into
 * slices, and the event loop gets a turn whenever a slice ran past the budget, so requests wait at most
 * about one slice.
 */
export const SLICE_BUDGET_MS = 1;

export class Yielder {
  private since = performance.now();

  /** Resolves at once while within the budget, else after letting pending I/O run. */
  maybeYield(): Promise<void> | undefined {
    if (performance.now() - this.since < SLICE_BUDGET_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(() => {
      this.since = performance.now();
      resolve();
    }));
  }
}

/** Pieces of at most `size` characters of a string. */
export function* slices(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
