import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashKey, maskKey, newKeySecret } from './auth/api-key.js';
import { KNOWN_SCOPES } from './auth/scopes.js';
import type { Database, Sql } from './db/types.js';

/**
 * First start: the organisation (ORGANISATION_ID or a new UUID, remembered in settings), its default
 * workspace, and its first admin key (ADMIN_API_KEY, or a generated one printed once and written to
 * DATA_DIR/admin-api-key, mode 0600). Every start: PORTKEY_CLIENT_AUTH becomes a client-auth key of
 * that organisation.
 */
export interface BootstrapOptions {
  dataDir: string;
  organisationId?: string;
  adminApiKey?: string;
  clientAuth?: string;
  /** Where the generated key is announced (stdout by default); never the JSON log. */
  announce?: (text: string) => void;
}

export interface BootstrapResult {
  organisationId: string;
  /** Set when this start generated the first admin key. */
  generatedAdminKeyFile?: string;
  created: boolean;
}

export async function bootstrap(db: Database, opts: BootstrapOptions): Promise<BootstrapResult> {
  const existing = await db.get<{ value: string }>(`SELECT value FROM settings WHERE name = 'bootstrap_organisation_id'`);
  let result: BootstrapResult;
  if (existing) {
    if (opts.organisationId && opts.organisationId !== existing.value) {
      throw new Error(`ORGANISATION_ID is ${opts.organisationId}, but this database was set up for organisation ${existing.value}; unset ORGANISATION_ID or point DATA_DIR / DATABASE_URL at that organisation's database`);
    }
    result = { organisationId: existing.value, created: false };
  } else {
    const organisationId = opts.organisationId ?? randomUUID();
    const key = opts.adminApiKey ?? newKeySecret();
    const generated = !opts.adminApiKey;
    await db.transaction(async (tx) => {
      const now = new Date().toISOString();
      await tx.run(`INSERT INTO organisations (id, name, sync_version, created_at) VALUES (?, ?, 0, ?)`, [organisationId, 'Default organisation', now]);
      await createWorkspaceRow(tx, organisationId, { id: randomUUID(), slug: 'default', name: 'Default', isDefault: true });
      await tx.run(
        `INSERT INTO api_keys (id, organisation_id, workspace_id, user_id, type, name, description, key_hash, key_mask, scopes, rate_limits, usage_limits, defaults, alert_emails, expires_at, status, creation_mode, created_at, last_updated_at)
         VALUES (?, ?, NULL, NULL, 'organisation-service', ?, ?, ?, ?, ?, '[]', NULL, '{}', '[]', NULL, 'active', 'auto', ?, ?)`,
        [randomUUID(), organisationId, 'Bootstrap admin key', generated ? 'Generated at first start' : 'From ADMIN_API_KEY at first start', hashKey(key), maskKey(key), JSON.stringify(KNOWN_SCOPES), now, now],
      );
      await tx.run(`INSERT INTO settings (name, value) VALUES ('bootstrap_organisation_id', ?)`, [organisationId]);
    });
    result = { organisationId, created: true };
    if (generated) {
      const file = join(opts.dataDir, 'admin-api-key');
      if (existsSync(file)) writeFileSync(file, '', { mode: 0o600 });
      writeFileSync(file, key + '\n', { mode: 0o600 });
      result.generatedAdminKeyFile = file;
      (opts.announce ?? ((t) => process.stdout.write(t)))(
        `\nPortico control plane: the first admin API key (shown once) is\n\n  ${key}\n\nIt is also in ${file} (readable only by you). Send it as x-portkey-api-key.\n\n`,
      );
    }
  }
  if (opts.clientAuth) await ensureClientAuth(db, result.organisationId, opts.clientAuth, 'PORTKEY_CLIENT_AUTH');
  return result;
}

/** The env-given client-auth key replaces the previous env-given one; keys made through the API stay. */
async function ensureClientAuth(db: Database, organisation: string, secret: string, name: string): Promise<void> {
  await db.transaction(async (tx) => {
    const hash = hashKey(secret);
    const owner = await tx.get<{ organisation_id: string }>(`SELECT organisation_id FROM client_auth_keys WHERE key_hash = ?`, [hash]);
    if (owner && owner.organisation_id !== organisation) throw new Error('PORTKEY_CLIENT_AUTH is already the client-auth key of another organisation; give each organisation its own');
    await tx.run(`DELETE FROM client_auth_keys WHERE organisation_id = ? AND name = ? AND key_hash <> ?`, [organisation, name, hash]);
    if (!owner) await tx.run(`INSERT INTO client_auth_keys (id, organisation_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)`, [randomUUID(), organisation, name, hash, new Date().toISOString()]);
  });
}

export async function createWorkspaceRow(tx: Sql, organisation: string, w: { id: string; slug: string; name: string; description?: string | null; isDefault?: boolean; defaults?: unknown; usageLimits?: unknown; rateLimits?: unknown }): Promise<void> {
  const now = new Date().toISOString();
  await tx.run(
    `INSERT INTO workspaces (id, organisation_id, slug, name, description, is_default, defaults, usage_limits, rate_limits, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [w.id, organisation, w.slug, w.name, w.description ?? null, w.isDefault ? 1 : 0, JSON.stringify(w.defaults ?? {}), JSON.stringify(w.usageLimits ?? []), JSON.stringify(w.rateLimits ?? []), now, now],
  );
  // Prompts belong to a collection; each workspace starts with its default one.
  await tx.run(
    `INSERT INTO resources (id, organisation_id, workspace_id, kind, namespace, slug, name, status, parent_id, data, secret, version, default_version, created_at, last_updated_at)
     VALUES (?, ?, ?, 'collection', 'collection', ?, 'Default', 'active', NULL, ?, NULL, 1, 1, ?, ?)`,
    [randomUUID(), organisation, w.id, `default-${w.slug}`, JSON.stringify({ is_default: true }), now, now],
  );
}

/** Compares a presented client-auth key with the organisation's, in constant time per candidate. */
export async function checkClientAuth(db: Database, organisation: string, presented: string): Promise<boolean> {
  const rows = await db.all<{ key_hash: string }>(`SELECT key_hash FROM client_auth_keys WHERE organisation_id = ?`, [organisation]);
  const hash = Buffer.from(hashKey(presented), 'hex');
  let ok = false;
  for (const r of rows) if (timingSafeEqual(hash, Buffer.from(r.key_hash, 'hex'))) ok = true;
  return ok;
}

/** Another organisation on the same control plane (its own default workspace and, optionally, client-auth key). */
export async function createOrganisation(db: Database, o: { id?: string; name: string; clientAuth?: string }): Promise<string> {
  const id = o.id ?? randomUUID();
  await db.transaction(async (tx) => {
    await tx.run(`INSERT INTO organisations (id, name, sync_version, created_at) VALUES (?, ?, 0, ?)`, [id, o.name, new Date().toISOString()]);
    await createWorkspaceRow(tx, id, { id: randomUUID(), slug: `default-${id.slice(0, 8)}`, name: 'Default', isDefault: true });
  });
  if (o.clientAuth) await ensureClientAuth(db, id, o.clientAuth, 'client-auth');
  return id;
}

/** An organisation-service admin key for an organisation (returns the secret). */
export async function createAdminKey(db: Database, organisation: string, name: string): Promise<string> {
  const key = newKeySecret();
  const now = new Date().toISOString();
  await db.run(
    `INSERT INTO api_keys (id, organisation_id, workspace_id, user_id, type, name, description, key_hash, key_mask, scopes, rate_limits, usage_limits, defaults, alert_emails, expires_at, status, creation_mode, created_at, last_updated_at)
     VALUES (?, ?, NULL, NULL, 'organisation-service', ?, NULL, ?, ?, ?, '[]', NULL, '{}', '[]', NULL, 'active', 'auto', ?, ?)`,
    [randomUUID(), organisation, name, hashKey(key), maskKey(key), JSON.stringify(KNOWN_SCOPES), now, now],
  );
  return key;
}
