import { useState, type FormEvent } from 'react';
import { api } from '../../api/client.js';
import type { ScreenProps } from '../../app/Screen.js';

/** Who is signed in, and a password for the key this session signed in with. */
export function Account({ session }: ScreenProps) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) return setMessage({ kind: 'error', text: 'The two passwords differ; type the same password twice.' });
    try {
      await api.setPassword(password);
      setPassword('');
      setAgain('');
      setMessage({ kind: 'ok', text: 'Password set. Next time, type it in the sign-in form\'s API key field.' });
    } catch (err) {
      setMessage({ kind: 'error', text: (err as Error).message });
    }
  };

  return (
    <section>
      <div className="screen-head"><h1 tabIndex={-1}>Account</h1></div>
      <div className="card">
        <dl className="facts">
          <div><dt>Signed in as</dt><dd>{session.name}</dd></div>
          <div><dt>Role</dt><dd>{session.role.replace('_', ' ')}</dd></div>
          <div><dt>How</dt><dd>{session.method === 'api_key' ? 'API key' : session.method === 'password' ? 'password' : 'identity provider'}</dd></div>
        </dl>
      </div>
      {session.can_set_password ? (
        <form className="card form-grid" onSubmit={save} aria-labelledby="password-title">
          <h2 id="password-title">Set a password for this API key</h2>
          <p className="help">At least 12 characters. It signs in as this key, with its role and scopes; revoking the key disables it.</p>
          <label>New password<input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} /></label>
          <label>New password again<input type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} /></label>
          {message && <p className={message.kind === 'error' ? 'field-error' : 'notice'} role={message.kind === 'error' ? 'alert' : 'status'}>{message.text}</p>}
          <button type="submit">Set password</button>
        </form>
      ) : (
        <p className="help">A password can be set only from a session signed in with the API key itself.</p>
      )}
    </section>
  );
}
