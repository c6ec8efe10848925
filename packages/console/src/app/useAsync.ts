import { useCallback, useEffect, useRef, useState } from 'react';

export type AsyncState<T> =
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | { status: 'ready'; data: T };

const sameDeps = (a: unknown[], b: unknown[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/**
 * Runs a load when its deps change, aborting the previous one; reload() runs it again. A reload keeps
 * the current data on screen until the new data arrives; a change of deps shows loading instead, so a
 * screen never shows one item's data under another's heading.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): AsyncState<T> & { reload: () => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const lastDeps = useRef<unknown[] | null>(null);
  const changed = lastDeps.current !== null && !sameDeps(lastDeps.current, deps);
  useEffect(() => {
    const ctl = new AbortController();
    const depsChanged = lastDeps.current === null || !sameDeps(lastDeps.current, deps);
    lastDeps.current = deps;
    setState((s) => (s.status === 'ready' && !depsChanged ? s : { status: 'loading' }));
    loadRef.current(ctl.signal).then(
      (data) => { if (!ctl.signal.aborted) setState({ status: 'ready', data }); },
      (error: Error) => { if (!ctl.signal.aborted) setState({ status: 'error', error }); },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // On the render where deps changed, the effect has not run yet: don't hand out the old data.
  return changed ? { status: 'loading', reload } : { ...state, reload };
}
