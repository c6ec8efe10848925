import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/types.js';
import { isUniqueViolation } from '../http/errors.js';
import type { Writer } from '../store/write.js';
import { scimBad, scimError, scimNotFound } from './errors.js';
import { reconcileUsers, revokeMembership } from './reconcile.js';
import { ENTERPRISE_USER_SCHEMA, USER_ATTRIBUTE_NAMES, USER_BODY_LIMIT, USER_SCHEMA } from './schema.js';

/**
 * SCIM Users. Each is an organisation user (the `users` row the Admin API lists) with a
 * `scim_users` row beside it: userName, externalId, active, and the rest of the resource as JSON.
 * A user whose email is already in the organisation (invited, or made by hand) is adopted rather
 * than refused, but its email and names stay as they were; deleting a SCIM user removes the
 * organisation user only if SCIM created it.
 */
type Json = Record<string, unknown>;

export interface ScimUserRow {
  id: string;
  organisation_id: string;
  user_name: string;
  external_id: string | null;
  active: number;
  display_name: string | null;
  email: string;
  resource: string;
  created_user: number;
  created_at: string;
  last_updated_at: string;
}

export interface UserFields {
  resource: Json;
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  email: string;
  givenName: string | null;
  familyName: string | null;
}

const READ_ONLY = new Set(['id', 'meta', 'groups', 'schemas', 'password']);
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}$/;
const str = (v: unknown, what: string, max = 256): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw scimBad(`${what} must be a string`);
  if (v.length > max) throw scimBad(`${what} must be at most ${max} characters`);
  return v;
};
export function bool(v: unknown, what: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  // Entra ID sends booleans as "True" / "False".
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw scimBad(`${what} must be true or false`);
}

/** Validates a User body (POST, PUT, or a resource after PATCH) into what is stored. Unknown attributes are refused by name. */
export function readUser(body: unknown): UserFields {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw scimBad('the body must be a SCIM User object', 'invalidSyntax');
  const b = body as Json;
  const schemasKey = Object.keys(b).find((k) => k.toLowerCase() === 'schemas');
  const schemas = schemasKey ? b[schemasKey] : undefined;
  if (!Array.isArray(schemas) || !schemas.includes(USER_SCHEMA)) throw scimBad(`schemas must include "${USER_SCHEMA}"`, 'invalidSyntax');
  const resource: Json = {};
  for (const [k, v] of Object.entries(b)) {
    if (k.startsWith('urn:')) {
      if (!schemas.includes(k) && k !== ENTERPRISE_USER_SCHEMA) throw scimBad(`the extension "${k.slice(0, 100)}" is not listed in schemas`, 'invalidSyntax');
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw scimBad(`"${k.slice(0, 100)}" must be an object`);
      resource[k] = v;
      continue;
    }
    const name = USER_ATTRIBUTE_NAMES.get(k.toLowerCase());
    if (!name) throw scimBad(`unknown attribute "${k.slice(0, 60)}"; a User takes the attributes of ${USER_SCHEMA} and its extensions`, 'invalidSyntax');
    if (READ_ONLY.has(name) || v === null || v === undefined) continue;
    resource[name] = v;
  }
  const userName = str(resource.userName, 'userName')?.trim();
  if (!userName) throw scimBad('userName is required');
  const externalId = str(resource.externalId, 'externalId');
  const displayName = str(resource.displayName, 'displayName');
  const active = bool(resource.active, 'active') ?? true;
  resource.active = active;
  let givenName: string | null = null;
  let familyName: string | null = null;
  if (resource.name !== undefined) {
    if (typeof resource.name !== 'object' || Array.isArray(resource.name)) throw scimBad('name must be an object');
    for (const [k, v] of Object.entries(resource.name as Json)) {
      str(v, `name.${k}`);
      if (k.toLowerCase() === 'givenname') givenName = v as string;
      if (k.toLowerCase() === 'familyname') familyName = v as string;
    }
  }
  for (const multi of ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates']) {
    const v = resource[multi];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) throw scimBad(`${multi} must be an array of objects`);
    if (v.length > 50) throw scimBad(`${multi} holds at most 50 values`);
  }
  const emails = (resource.emails as Json[] | undefined) ?? [];
  for (const [i, e] of emails.entries()) {
    str(e.value, `emails[${i}].value`, 320);
    const primary = bool(e.primary, `emails[${i}].primary`);
    if (primary !== undefined) e.primary = primary;
  }
  const chosen = emails.find((e) => e.primary === true && e.value) ?? emails.find((e) => e.value);
  const email = ((chosen?.value as string | undefined) ?? (userName.includes('@') ? userName : '')).trim();
  if (!EMAIL.test(email)) throw scimBad('a User needs an email address: give emails[].value, or a userName that is an email address');
  if (JSON.stringify(resource).length > USER_BODY_LIMIT) throw scimBad(`the User is over ${USER_BODY_LIMIT} bytes`);
  return { resource, userName, externalId, active, displayName, email, givenName, familyName };
}

export function userLocation(base: string, id: string): string {
  return `${base}/Users/${id}`;
}

/** The SCIM representation of a stored user. */
export async function presentUser(db: Sql, row: ScimUserRow, base: string): Promise<Json> {
  const resource = JSON.parse(row.resource) as Json;
  const groups = await db.all<{ id: string; display_name: string }>(
    `SELECT g.id, g.display_name FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id WHERE gm.user_id = ? ORDER BY g.display_name`, [row.id]);
  const extensions = Object.keys(resource).filter((k) => k.startsWith('urn:'));
  return {
    schemas: [USER_SCHEMA, ...extensions],
    id: row.id,
    ...resource,
    active: Number(row.active) === 1,
    groups: groups.map((g) => ({ value: g.id, display: g.display_name, $ref: `${base}/Groups/${g.id}` })),
    meta: { resourceType: 'User', created: row.created_at, lastModified: row.last_updated_at, location: userLocation(base, row.id) },
  };
}

export async function loadScimUser(db: Sql, organisation: string, id: string): Promise<ScimUserRow> {
  const row = await db.get<ScimUserRow>(`SELECT * FROM scim_users WHERE organisation_id = ? AND id = ?`, [organisation, id]);
  if (!row) throw scimNotFound('User', id);
  return row;
}

async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isUniqueViolation(e)) throw scimError(409, what, 'uniqueness');
    throw e;
  }
}

export async function createScimUser(tx: Sql, organisation: string, f: UserFields): Promise<string> {
  if (await tx.get(`SELECT 1 AS ok FROM scim_users WHERE organisation_id = ? AND user_name_key = ?`, [organisation, f.userName.toLowerCase()])) {
    throw scimError(409, `a User with userName "${f.userName}" already exists`, 'uniqueness');
  }
  const now = new Date().toISOString();
  const existing = await tx.get<{ id: string }>(`SELECT id FROM users WHERE organisation_id = ? AND lower(email) = lower(?)`, [organisation, f.email]);
  let id = existing?.id;
  if (id) {
    if (await tx.get(`SELECT 1 AS ok FROM scim_users WHERE id = ?`, [id])) throw scimError(409, `the email ${f.email} belongs to another SCIM User`, 'uniqueness');
  } else {
    id = randomUUID();
    await tx.run(`INSERT INTO users (id, organisation_id, email, first_name, last_name, role, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, 'member', ?, ?)`,
      [id, organisation, f.email, f.givenName, f.familyName, now, now]);
  }
  await guarded(`a User with userName "${f.userName}" already exists`, () => tx.run(
    `INSERT INTO scim_users (id, organisation_id, user_name, user_name_key, external_id, active, display_name, email, resource, created_user, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [id!, organisation, f.userName, f.userName.toLowerCase(), f.externalId, f.active ? 1 : 0, f.displayName, f.email, JSON.stringify(f.resource), existing ? 0 : 1, now, now]));
  return id!;
}

export async function replaceScimUser(tx: Sql, organisation: string, row: ScimUserRow, f: UserFields, w: Writer): Promise<void> {
  const now = new Date().toISOString();
  await guarded(`userName "${f.userName}" or email ${f.email} is already another User's`, async () => {
    await tx.run(`UPDATE scim_users SET user_name = ?, user_name_key = ?, external_id = ?, active = ?, display_name = ?, email = ?, resource = ?, last_updated_at = ? WHERE id = ?`,
      [f.userName, f.userName.toLowerCase(), f.externalId, f.active ? 1 : 0, f.displayName, f.email, JSON.stringify(f.resource), now, row.id]);
    // Only a user SCIM created follows the identity provider's email and names: an adopted user's
    // (an owner's, say) sign-in identity is not SCIM's to change.
    if (Number(row.created_user) === 1) {
      await tx.run(`UPDATE users SET email = ?, first_name = COALESCE(?, first_name), last_name = COALESCE(?, last_name), last_updated_at = ? WHERE id = ?`, [f.email, f.givenName, f.familyName, now, row.id]);
    }
  });
  if ((Number(row.active) === 1) !== f.active) await reconcileUsers(tx, organisation, [row.id], w);
}

/** Deprovisioning: SCIM-granted access goes; the organisation user goes too when SCIM created it (never the owner). */
export async function deleteScimUser(tx: Sql, organisation: string, row: ScimUserRow, w: Writer): Promise<void> {
  await tx.run(`DELETE FROM scim_group_members WHERE user_id = ?`, [row.id]);
  await tx.run(`UPDATE scim_users SET active = 0 WHERE id = ?`, [row.id]);
  await reconcileUsers(tx, organisation, [row.id], w);
  await tx.run(`DELETE FROM scim_users WHERE id = ?`, [row.id]);
  const user = await tx.get<{ role: string }>(`SELECT role FROM users WHERE id = ?`, [row.id]);
  if (Number(row.created_user) !== 1 || !user || user.role === 'owner') return;
  for (const m of await tx.all<{ workspace_id: string }>(`SELECT workspace_id FROM workspace_members WHERE user_id = ?`, [row.id])) await revokeMembership(tx, m.workspace_id, row.id, w);
  for (const k of await tx.all<{ key_hash: string }>(`SELECT key_hash FROM api_keys WHERE user_id = ?`, [row.id])) w.changed('key', k.key_hash);
  await tx.run(`DELETE FROM api_keys WHERE user_id = ?`, [row.id]);
  await tx.run(`DELETE FROM users WHERE id = ?`, [row.id]);
}
