/** The control plane's environment, read once at start. */
export interface ControlPlaneEnv {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  adminApiKey?: string;
  organisationId?: string;
  clientAuth?: string;
  encryptionKey?: string;
  encryptionKeyPrevious?: string;
  consoleDir?: string;
  logLevel: string;
  /** Change-log entries older than this are pruned; gateways that far behind take a new snapshot. */
  changeLogRetentionDays: number;
  shutdownGraceMs: number;
}

export const ENV_DOCS: Array<[string, string, string]> = [
  ['HOST', '127.0.0.1', 'Address to listen on (0.0.0.0 in the image)'],
  ['CONTROL_PLANE_PORT', '8788', 'Port to listen on'],
  ['DATA_DIR', './data', 'Embedded state: control-plane.sqlite, admin-api-key, encryption-key'],
  ['DATABASE_URL', '(unset)', 'postgres://… to use PostgreSQL instead of SQLite'],
  ['ADMIN_API_KEY', '(generated)', 'At first start, the bootstrap organisation\'s first admin key; else one is generated, printed once and written to DATA_DIR/admin-api-key (0600)'],
  ['ORGANISATION_ID', '(generated UUID)', 'The bootstrap organisation\'s id, fixed at first start'],
  ['PORTKEY_CLIENT_AUTH', '(unset)', 'Client-auth key gateways of the bootstrap organisation sync with'],
  ['ENCRYPTION_KEY', '(DATA_DIR/encryption-key)', 'Master key: base64 of 32 bytes, or an AWS Secrets Manager secret ARN holding that'],
  ['ENCRYPTION_KEY_PREVIOUS', '(unset)', 'Comma-separated old master keys (same forms); secrets sealed with them are rewrapped at start'],
  ['CONSOLE_DIR', '(@portico/console dist)', 'Folder of the console\'s built single-page app, served at /'],
  ['LOG_LEVEL', 'info', 'pino log level'],
  ['CHANGE_LOG_RETENTION_DAYS', '7', 'How long sync changes are kept for gateways catching up'],
];

/** Reads the environment; an empty value counts as unset (deployments pass "" for optional settings). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneEnv {
  const blank = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
  const portText = blank(env.CONTROL_PLANE_PORT) ?? '8788';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`CONTROL_PLANE_PORT must be a port number, not "${env.CONTROL_PLANE_PORT}"`);
  const retention = Number(blank(env.CHANGE_LOG_RETENTION_DAYS) ?? 7);
  if (!(retention > 0)) throw new Error('CHANGE_LOG_RETENTION_DAYS must be a positive number of days');
  return {
    host: blank(env.HOST) ?? '127.0.0.1',
    port,
    dataDir: blank(env.DATA_DIR) ?? './data',
    databaseUrl: blank(env.DATABASE_URL),
    adminApiKey: blank(env.ADMIN_API_KEY),
    organisationId: blank(env.ORGANISATION_ID),
    clientAuth: blank(env.PORTKEY_CLIENT_AUTH),
    encryptionKey: blank(env.ENCRYPTION_KEY),
    encryptionKeyPrevious: blank(env.ENCRYPTION_KEY_PREVIOUS),
    consoleDir: blank(env.CONSOLE_DIR),
    logLevel: blank(env.LOG_LEVEL) ?? 'info',
    changeLogRetentionDays: retention,
    shutdownGraceMs: 10_000,
  };
}
