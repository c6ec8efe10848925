/**
 * Runs `run` when the page has nothing more urgent to do (requestIdleCallback, at most `timeoutMs`
 * later; a plain task where the browser has no idle callbacks). Returns a cancel function.
 */
export function whenIdle(run: () => void, timeoutMs = 300): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(run, { timeout: timeoutMs });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(run, 0);
  return () => clearTimeout(id);
}
