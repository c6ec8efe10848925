import { randomBytes, scrypt } from 'node:crypto';
import type { Database } from '../db/types.js';
import type { SessionStore } from './sessions.js';

const SALT_SETTING = 'console_password_salt';
const MIN_LENGTH = 12;

function derive(password: string, salt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key.toString('hex'))));
  });
}

/**
 * Passwords set from an API key, so people can sign in without pasting the key each time. The one
 * sign-in field takes either, so a password is found by its scrypt hash under a per-installation salt;
 * the row keeps the key sealed with the master key. Revoking the key disables the password with it.
 */
export class PasswordStore {
  private salt: string | undefined;

  constructor(private readonly db: Database, private readonly sessions: SessionStore) {}

  private async installSalt(): Promise<string> {
    if (this.salt) return this.salt;
    const row = await this.db.get<{ value: string }>(`SELECT value FROM settings WHERE name = ?`, [SALT_SETTING]);
    if (row) return (this.salt = row.value);
    const fresh = randomBytes(16).toString('hex');
    await this.db.run(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, [SALT_SETTING, fresh]);
    const stored = await this.db.get<{ value: string }>(`SELECT value FROM settings WHERE name = ?`, [SALT_SETTING]);
    return (this.salt = stored!.value);
  }

  /** Problems with a new password, or undefined when it is acceptable. */
  static weakness(password: string): string | undefined {
    if (password.length < MIN_LENGTH) return `A password needs at least ${MIN_LENGTH} characters`;
    if (password.length > 200) return 'A password may have at most 200 characters';
    if (password.startsWith('pt-')) return 'That looks like an API key; choose a password that is not one';
    return undefined;
  }

  /** Sets (or replaces) the password for a key. Returns false when another key already uses this password. */
  async set(keyId: string, organisationId: string, apiKey: string, password: string): Promise<boolean> {
    const lookup = await derive(password, await this.installSalt());
    const taken = await this.db.get<{ key_id: string }>(`SELECT key_id FROM console_passwords WHERE lookup = ?`, [lookup]);
    if (taken && taken.key_id !== keyId) return false;
    await this.db.run(`DELETE FROM console_passwords WHERE key_id = ?`, [keyId]);
    await this.db.run(`INSERT INTO console_passwords (lookup, key_id, organisation_id, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)`,
      [lookup, keyId, organisationId, this.sessions.seal(apiKey), new Date().toISOString()]);
    return true;
  }

  /** The API key a password was set from, or undefined. */
  async keyFor(password: string): Promise<string | undefined> {
    if (password.length < MIN_LENGTH || password.length > 200) return undefined;
    const lookup = await derive(password, await this.installSalt());
    const row = await this.db.get<{ sealed_key: string }>(`SELECT sealed_key FROM console_passwords WHERE lookup = ?`, [lookup]);
    return row ? this.sessions.unseal(row.sealed_key) : undefined;
  }
}
