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
  /** Egress policy for the control plane's own outbound connections (secret managers, MCP servers). */
  egressAllowLoopback: boolean;
  egressAllowedCidrs: string[];
  /** How long a resolved secret-reference value is fresh. */
  secretReferenceTtlSeconds: number;
  /** How often usage-limit policies' alert thresholds are checked (0: never). */
  usageAlertIntervalSeconds: number;
  secretReferenceAwsEndpoint?: string;
  secretReferenceAzureAuthority?: string;
  secretReferenceAllowServiceRole: boolean;
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
  ['EGRESS_ALLOWED_CIDRS', '(none)', 'Comma-separated private CIDRs that MCP server URLs, Vault addresses and SECRET_REFERENCE_AWS_ENDPOINT may reach; cloud metadata (169.254.0.0/16, fd00:ec2::254) never is'],
  ['EGRESS_ALLOW_LOOPBACK', 'false', 'Whether MCP server URLs, Vault addresses and SECRET_REFERENCE_AWS_ENDPOINT may reach loopback (an MCP server on the same machine)'],
  ['SECRET_REFERENCE_TTL_SECONDS', '300', 'How long a value read from a secret manager is used before it is read again (1 to 86400); a rotated secret reaches gateways within this and a refresh pass'],
  ['SECRET_REFERENCE_AWS_ENDPOINT', '(AWS regional endpoint)', 'Secrets Manager endpoint in place of https://secretsmanager.{region}.amazonaws.com (a local stand-in); held to the egress policy'],
  ['SECRET_REFERENCE_AZURE_AUTHORITY', '(https://login.microsoftonline.com)', 'Entra ID authority Azure Key Vault references get tokens from (a sovereign cloud, or a local stand-in); held to the egress policy'],
  ['USAGE_ALERT_INTERVAL_SECONDS', '60', 'How often usage limits with an alert_threshold (policies, API keys, workspaces) are checked against the analytics rows; an alert (audit-log entry, JSON log line, portico_cp_usage_alerts_total) is recorded once per entity and period. 0 turns the checks off'],
  ['SECRET_REFERENCE_ALLOW_SERVICE_ROLE', 'false', 'Whether secret references may use aws_auth_type serviceRole: read secrets with the control plane\'s own AWS credentials'],
];

/** Reads the environment; an empty value counts as unset (deployments pass "" for optional settings). */
export function readEnv(env: NodeJS.ProcessEnv = process.env): ControlPlaneEnv {
  const blank = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
  const portText = blank(env.CONTROL_PLANE_PORT) ?? '8788';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`CONTROL_PLANE_PORT must be a port number, not "${env.CONTROL_PLANE_PORT}"`);
  const retention = Number(blank(env.CHANGE_LOG_RETENTION_DAYS) ?? 7);
  if (!(retention > 0)) throw new Error('CHANGE_LOG_RETENTION_DAYS must be a positive number of days');
  const flag = (v: string | undefined, what: string) => {
    const b = blank(v)?.toLowerCase();
    if (b === undefined || b === 'false' || b === '0') return false;
    if (b === 'true' || b === '1') return true;
    throw new Error(`${what} must be true or false, not "${v}"`);
  };
  const ttl = Number(blank(env.SECRET_REFERENCE_TTL_SECONDS) ?? 300);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('SECRET_REFERENCE_TTL_SECONDS must be a whole number of seconds from 1 to 86400');
  const alertEvery = Number(blank(env.USAGE_ALERT_INTERVAL_SECONDS) ?? 60);
  if (!Number.isInteger(alertEvery) || alertEvery < 0 || alertEvery > 86_400) throw new Error('USAGE_ALERT_INTERVAL_SECONDS must be a whole number of seconds from 0 (off) to 86400');
  const awsEndpoint = blank(env.SECRET_REFERENCE_AWS_ENDPOINT);
  const azureAuthority = blank(env.SECRET_REFERENCE_AZURE_AUTHORITY);
  if (azureAuthority && !/^https?:\/\/[^/@]+\/?$/.test(azureAuthority)) throw new Error('SECRET_REFERENCE_AZURE_AUTHORITY must be an http(s) origin such as https://login.microsoftonline.us');
  if (awsEndpoint && !/^https?:\/\/[^/@]+\/?$/.test(awsEndpoint)) throw new Error('SECRET_REFERENCE_AWS_ENDPOINT must be an http(s) origin such as https://secretsmanager.example.internal');
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
    egressAllowLoopback: flag(env.EGRESS_ALLOW_LOOPBACK, 'EGRESS_ALLOW_LOOPBACK'),
    egressAllowedCidrs: (blank(env.EGRESS_ALLOWED_CIDRS) ?? '').split(',').map((c) => c.trim()).filter(Boolean),
    secretReferenceTtlSeconds: ttl,
    usageAlertIntervalSeconds: alertEvery,
    secretReferenceAwsEndpoint: blank(env.SECRET_REFERENCE_AWS_ENDPOINT),
    secretReferenceAzureAuthority: azureAuthority,
    secretReferenceAllowServiceRole: flag(env.SECRET_REFERENCE_ALLOW_SERVICE_ROLE, 'SECRET_REFERENCE_ALLOW_SERVICE_ROLE'),
  };
}
