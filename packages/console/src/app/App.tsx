import { useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, whenSignedOut } from '../api/client.js';
import type { Session } from '../api/types.js';
import { SignIn } from '../screens/sign-in/SignIn.js';
import { Shell } from './Shell.js';
import { rememberSignedIn } from '../api/session-hint.js';
import { Loading } from '../components/States.js';

type Auth = { status: 'checking' } | { status: 'signed-out'; notice?: string } | { status: 'signed-in'; session: Session };

export function App() {
  const [auth, setAuth] = useState<Auth>({ status: 'checking' });

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    rememberSignedIn(true);
    setAuth({ status: 'signed-in', session });
  }, []);

  useEffect(() => {
    const signedOut = (notice?: string) => {
      rememberSignedIn(false);
      setAuth({ status: 'signed-out', notice });
    };
    whenSignedOut(() => signedOut('Your session ended. Sign in again to go on.'));
    api.session().then(signedIn, () => signedOut());
  }, [signedIn]);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } finally {
      setCsrfToken('');
      rememberSignedIn(false);
      setAuth({ status: 'signed-out' });
    }
  }, []);

  if (auth.status === 'checking') return <main className="center"><Loading what="your session" /></main>;
  if (auth.status === 'signed-out') return <SignIn onSignedIn={signedIn} notice={auth.notice} />;
  return <Shell session={auth.session} onSignOut={signOut} />;
}
