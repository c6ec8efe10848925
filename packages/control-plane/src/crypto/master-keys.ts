import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Envelope, masterKey, type MasterKey } from './envelope.js';

/**
 * Where the master key comes from, in order: ENCRYPTION_KEY (base64 of 32 bytes, or the ARN of an AWS
 * Secrets Manager secret holding that), else DATA_DIR/encryption-key, generated 0600 on first start.
 * ENCRYPTION_KEY_PREVIOUS (comma-separated, same forms) lists keys being rotated away from.
 */
export type SecretFetcher = (arn: string) => Promise<string>;

function decodeKey(text: string, what: string): MasterKey {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${what} must be base64 of exactly 32 bytes (openssl rand -base64 32); it decodes to ${key.length} bytes`);
  return masterKey(key);
}

async function resolveKey(value: string, what: string, fetchSecret: SecretFetcher): Promise<MasterKey> {
  if (value.startsWith('arn:aws:secretsmanager:')) return decodeKey(await fetchSecret(value), `${what} (from Secrets Manager)`);
  return decodeKey(value, what);
}

export async function loadEnvelope(opts: { encryptionKey?: string; previousKeys?: string; dataDir: string; fetchSecret: SecretFetcher }): Promise<{ envelope: Envelope; source: string }> {
  let current: MasterKey;
  let source: string;
  if (opts.encryptionKey) {
    current = await resolveKey(opts.encryptionKey, 'ENCRYPTION_KEY', opts.fetchSecret);
    source = opts.encryptionKey.startsWith('arn:') ? 'secrets-manager' : 'environment';
  } else {
    const file = join(opts.dataDir, 'encryption-key');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    current = decodeKey(readFileSync(file, 'utf8'), file);
    source = 'file';
  }
  const previous: MasterKey[] = [];
  for (const part of (opts.previousKeys ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    previous.push(await resolveKey(part, 'ENCRYPTION_KEY_PREVIOUS', opts.fetchSecret));
  }
  return { envelope: new Envelope(current, previous), source };
}

/** Reads a Secrets Manager secret's string with the AWS SDK (loaded only when an ARN is configured). */
export async function fetchFromSecretsManager(arn: string): Promise<string> {
  const region = arn.split(':')[3];
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (!out.SecretString) throw new Error(`secret ${arn} has no SecretString`);
    return out.SecretString;
  } finally {
    client.destroy();
  }
}
