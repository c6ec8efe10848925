import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'portico_session';

/** One cookie's value from the Cookie header, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** True when the request reached us over TLS (directly, or through a proxy that says so). */
export function overTls(req: IncomingMessage): boolean {
  const socket = req.socket as { encrypted?: boolean };
  return socket.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
}

/**
 * A Set-Cookie value: HttpOnly always; SameSite=Lax so the identity provider's redirect back carries it
 * (Strict would drop it on that one cross-site navigation); Secure when served over TLS.
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** A short-lived cookie for the OIDC round trip (state, nonce, PKCE verifier), scoped to the callback. */
export function flowCookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [`${name}=${value}`, 'Path=/console/api/oidc', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}
