import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../../api/client.js';
import type { Session } from '../../api/types.js';

/**
 * One field, "API key": an admin API key (the bootstrap ADMIN_API_KEY on a fresh install), or the
 * password set from one. Identity providers sign in through OIDC when the control plane has one.
 */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice?: string }) {
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(oidcErrorFromUrl);
  const [oidc, setOidc] = useState(false);

  useEffect(() => {
    api.signInOptions().then((o) => setOidc(o.oidc), () => setOidc(false));
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!secret.trim()) {
      setError('Enter an admin API key, or the password set from one.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await api.signIn(secret.trim()));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429
        ? err.message
        : err instanceof ApiError && err.status === 401
          ? 'That API key or password is not valid. Check it and try again.'
          : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="center">
      <form className="card sign-in" onSubmit={submit} noValidate>
        <h1>Sign in to Portico</h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="current-password" value={secret}
          onChange={(e) => setSecret(e.target.value)} aria-describedby="api-key-help" aria-invalid={error ? true : undefined} autoFocus />
        <p id="api-key-help" className="help">An admin API key (such as the bootstrap ADMIN_API_KEY), or the password you set from one.</p>
        {error && <p className="field-error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {oidc && <a className="button-link" href={api.oidcStartUrl()}>Sign in with your identity provider</a>}
      </form>
    </main>
  );
}

function oidcErrorFromUrl(): string | undefined {
  const q = new URLSearchParams(location.search);
  const e = q.get('sign_in_error');
  if (!e) return undefined;
  // Shown once: a reload or a later sign-in should not repeat it.
  history.replaceState(null, '', `/${location.hash}`);
  return `Single sign-on failed: ${e.slice(0, 300)}`;
}
