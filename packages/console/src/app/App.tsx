import { useCallback, useEffect, useState } from 'react';
import { api, setCsrfToken, whenSignedOut } from '../api/client.js';
import type { Session } from '../api/types.js';
import { SignIn } from '../screens/sign-in/SignIn.js';
import { Shell } from './Shell.js';
import { Loading } from '../components/States.js';

type Auth = { status: 'checking' } | { status: 'signed-out'; notice?: string } | { status: 'signed-in'; session: Session };

export function App() {
  const [auth, setAuth] = useState<Auth>({ status: 'checking' });

  const signedIn = useCallback((session: Session) => {
    setCsrfToken(session.csrf_token);
    setAuth({ status: 'signed-in', session });
  }, []);

  useEffect(() => {
    whenSignedOut(() => setAuth({ status: 'signed-out', notice: 'Your session ended. Sign in again to go on.' }));
    api.session().then(signedIn, () => setAuth({ status: 'signed-out' }));
  }, [signedIn]);

  const signOut = useCallback(async () => {
    try {
      await api.signOut();
    } finally {
      setCsrfToken('');
      setAuth({ status: 'signed-out' });
    }
  }, []);

  if (auth.status === 'checking') return <main className="center"><Loading what="your session" /></main>;
  if (auth.status === 'signed-out') return <SignIn onSignedIn={signedIn} notice={auth.notice} />;
  return <Shell session={auth.session} onSignOut={signOut} />;
}
