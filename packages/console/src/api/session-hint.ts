/**
 * Whether this browser was signed in when last seen: a hint only (the session cookie is HttpOnly and
 * the server decides), so a visitor who is not signed in does not send the dashboard's queries ahead
 * of the sign-in form just to be refused. Holds no secret.
 */
const KEY = 'portico.signed-in';

export function signedInBefore(): boolean {
  try {
    return localStorage.getItem(KEY) === '1';
  } catch {
    return false;
  }
}

export function rememberSignedIn(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(KEY, '1');
    else localStorage.removeItem(KEY);
  } catch {
    // Storage blocked: the hint is only an optimisation.
  }
}
