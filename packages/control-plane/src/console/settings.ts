/** The console's server settings, from the environment. */
export interface ConsoleSettings {
  /** The gateway the console reads log documents from and runs the playground through. */
  gatewayUrl: string;
  /** A gateway key with the logs scope for /v1/logs reads. Empty: the signed-in session's own API key is used. */
  gatewayLogsKey: string;
  /** Forces the Secure cookie attribute; otherwise it is set when the request came over TLS. */
  cookieSecure: boolean | 'auto';
  sessionHours: number;
  /** Failed sign-ins allowed per client address in the window before 429. */
  signInFailures: number;
  signInWindowMs: number;
  oidc?: { issuer: string; clientId: string; clientSecret: string; publicUrl?: string };
}

export function consoleSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleSettings {
  const issuer = env.CONSOLE_OIDC_ISSUER?.trim();
  const clientId = env.CONSOLE_OIDC_CLIENT_ID?.trim();
  const clientSecret = env.CONSOLE_OIDC_CLIENT_SECRET?.trim();
  if (issuer && (!clientId || !clientSecret)) {
    throw new Error('CONSOLE_OIDC_ISSUER is set, so CONSOLE_OIDC_CLIENT_ID and CONSOLE_OIDC_CLIENT_SECRET are needed too');
  }
  const secure = env.CONSOLE_COOKIE_SECURE?.trim();
  return {
    gatewayUrl: (env.GATEWAY_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, ''),
    gatewayLogsKey: env.CONSOLE_GATEWAY_KEY ?? '',
    cookieSecure: secure === 'true' || secure === '1' ? true : secure === 'false' || secure === '0' ? false : 'auto',
    sessionHours: positive(env.CONSOLE_SESSION_HOURS, 12, 'CONSOLE_SESSION_HOURS'),
    signInFailures: positive(env.CONSOLE_SIGN_IN_FAILURES, 5, 'CONSOLE_SIGN_IN_FAILURES'),
    signInWindowMs: 15 * 60_000,
    oidc: issuer && clientId && clientSecret ? { issuer, clientId, clientSecret, publicUrl: env.CONSOLE_PUBLIC_URL?.replace(/\/+$/, '') || undefined } : undefined,
  };
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number (got "${raw}")`);
  return n;
}
