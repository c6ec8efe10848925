import type { ReactNode } from 'react';
import type { AsyncState } from '../app/useAsync.js';

export function Loading({ what }: { what: string }) {
  return <p className="state state-loading" role="status" aria-live="polite">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty" role="status">{children}</div>;
}

export function ErrorState({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>{error.message}</p>
      {retry && <button type="button" onClick={retry}>Try again</button>}
    </div>
  );
}

/** Renders the three states of a load: loading, error (with a retry), or the content. */
export function Loaded<T>({ state, what, children }: { state: AsyncState<T> & { reload: () => void }; what: string; children: (data: T) => ReactNode }) {
  if (state.status === 'loading') return <Loading what={what} />;
  if (state.status === 'error') return <ErrorState error={state.error} retry={state.reload} />;
  return <>{children(state.data)}</>;
}
