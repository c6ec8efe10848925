/** Waits until `check` passes (returns without throwing) or the time is up, rethrowing its last failure. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      return await check();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
  throw last ?? new Error(`eventually: no attempt finished within ${timeoutMs} ms`);
}
