import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/types.js';
import { isUniqueViolation } from '../http/errors.js';
import type { Writer } from '../store/write.js';
import { scimBad, scimError, scimNotFound } from './errors.js';
import { groupMemberIds, groupPattern, patternWorkspace, reconcileUsers } from './reconcile.js';
import { GROUP_ATTRIBUTE_NAMES, GROUP_SCHEMA, MAX_GROUP_MEMBERS } from './schema.js';

/**
 * SCIM Groups and their members. A group may exist before the identity provider pushes it: a
 * mapping created with scim_group_name makes it (provisioned = 0), and the provider's POST of the
 * same displayName then takes it over instead of failing on uniqueness. Every change to a group's
 * members, name or existence reconciles the workspace memberships of the users it touches.
 */
type Json = Record<string, unknown>;

export interface ScimGroupRow {
  id: string;
  organisation_id: string;
  display_name: string;
  external_id: string | null;
  provisioned: number;
  pattern_workspace_id: string | null;
  pattern_role: string | null;
  created_at: string;
  last_updated_at: string;
}

export interface GroupFields {
  displayName: string;
  externalId: string | null;
  members: string[];
}

export function readGroup(body: unknown): GroupFields {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw scimBad('the body must be a SCIM Group object', 'invalidSyntax');
  const b = body as Json;
  const schemasKey = Object.keys(b).find((k) => k.toLowerCase() === 'schemas');
  const schemas = schemasKey ? b[schemasKey] : undefined;
  if (!Array.isArray(schemas) || !schemas.includes(GROUP_SCHEMA)) throw scimBad(`schemas must include "${GROUP_SCHEMA}"`, 'invalidSyntax');
  const fields: Json = {};
  for (const [k, v] of Object.entries(b)) {
    const name = GROUP_ATTRIBUTE_NAMES.get(k.toLowerCase());
    if (!name) throw scimBad(`unknown attribute "${k.slice(0, 60)}"; a Group takes displayName, externalId and members`, 'invalidSyntax');
    fields[name] = v;
  }
  const displayName = typeof fields.displayName === 'string' ? fields.displayName.trim() : '';
  if (!displayName) throw scimBad('displayName is required');
  if (displayName.length > 256) throw scimBad('displayName must be at most 256 characters');
  const externalId = fields.externalId === undefined || fields.externalId === null ? null : fields.externalId;
  if (externalId !== null && (typeof externalId !== 'string' || externalId.length > 256)) throw scimBad('externalId must be a string of at most 256 characters');
  const raw = fields.members ?? [];
  if (!Array.isArray(raw)) throw scimBad('members must be an array');
  if (raw.length > MAX_GROUP_MEMBERS) throw scimBad(`a Group holds at most ${MAX_GROUP_MEMBERS} members`);
  const members = new Set<string>();
  for (const [i, m] of raw.entries()) {
    const value = m && typeof m === 'object' && !Array.isArray(m) ? (m as Json)[Object.keys(m).find((k) => k.toLowerCase() === 'value') ?? 'value'] : undefined;
    if (typeof value !== 'string' || !value || value.length > 100) throw scimBad(`members[${i}].value must be a User's id`);
    members.add(value);
  }
  return { displayName, externalId: externalId as string | null, members: [...members] };
}

export async function presentGroup(db: Sql, row: ScimGroupRow, base: string, withMembers = true): Promise<Json> {
  const members = withMembers
    ? await db.all<{ id: string; user_name: string; display_name: string | null }>(
      `SELECT u.id, u.user_name, u.display_name FROM scim_group_members gm JOIN scim_users u ON u.id = gm.user_id WHERE gm.group_id = ? ORDER BY u.user_name`, [row.id])
    : [];
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    displayName: row.display_name,
    ...(withMembers ? { members: members.map((m) => ({ value: m.id, display: m.display_name ?? m.user_name, $ref: `${base}/Users/${m.id}`, type: 'User' })) } : {}),
    meta: { resourceType: 'Group', created: row.created_at, lastModified: row.last_updated_at, location: `${base}/Groups/${row.id}` },
  };
}

export async function loadScimGroup(db: Sql, organisation: string, id: string): Promise<ScimGroupRow> {
  const row = await db.get<ScimGroupRow>(`SELECT * FROM scim_groups WHERE organisation_id = ? AND id = ?`, [organisation, id]);
  if (!row) throw scimNotFound('Group', id);
  return row;
}

/** Refuses member ids that are not this organisation's SCIM users (another organisation's ids included). */
async function checkMembers(tx: Sql, organisation: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const found = new Set((await tx.all<{ id: string }>(`SELECT id FROM scim_users WHERE organisation_id = ? AND id IN (${chunk.map(() => '?').join(', ')})`, [organisation, ...chunk])).map((r) => r.id));
    const missing = chunk.find((id) => !found.has(id));
    if (missing) throw scimBad(`member "${missing.slice(0, 100)}" is not a User here`);
  }
}

async function setMembers(tx: Sql, groupId: string, wanted: string[]): Promise<string[]> {
  const current = new Set(await groupMemberIds(tx, groupId));
  const want = new Set(wanted);
  const touched: string[] = [];
  for (const id of current) if (!want.has(id)) (await tx.run(`DELETE FROM scim_group_members WHERE group_id = ? AND user_id = ?`, [groupId, id]), touched.push(id));
  for (const id of want) if (!current.has(id)) (await tx.run(`INSERT INTO scim_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT (group_id, user_id) DO NOTHING`, [groupId, id]), touched.push(id));
  return touched;
}

async function patternOf(tx: Sql, organisation: string, displayName: string, w: Writer): Promise<{ workspace: string | null; role: string | null }> {
  const p = groupPattern(displayName);
  return p ? { workspace: await patternWorkspace(tx, organisation, p.workspace, w), role: p.role } : { workspace: null, role: null };
}

const nameTaken = (name: string) => scimError(409, `a Group with displayName "${name}" already exists`, 'uniqueness');

/** POST /Groups: a new group, or the one a mapping pre-created under this name. Returns the id and whether it was new. */
export async function createScimGroup(tx: Sql, organisation: string, f: GroupFields, w: Writer): Promise<string> {
  await checkMembers(tx, organisation, f.members);
  const now = new Date().toISOString();
  const pattern = await patternOf(tx, organisation, f.displayName, w);
  const pre = await tx.get<ScimGroupRow>(`SELECT * FROM scim_groups WHERE organisation_id = ? AND display_name_key = ?`, [organisation, f.displayName.toLowerCase()]);
  let id: string;
  if (pre) {
    if (Number(pre.provisioned) === 1) throw nameTaken(f.displayName);
    id = pre.id;
    await tx.run(`UPDATE scim_groups SET display_name = ?, external_id = ?, provisioned = 1, pattern_workspace_id = ?, pattern_role = ?, last_updated_at = ? WHERE id = ?`,
      [f.displayName, f.externalId, pattern.workspace, pattern.role, now, id]);
  } else {
    id = randomUUID();
    await tx.run(`INSERT INTO scim_groups (id, organisation_id, display_name, display_name_key, external_id, provisioned, pattern_workspace_id, pattern_role, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
      [id, organisation, f.displayName, f.displayName.toLowerCase(), f.externalId, pattern.workspace, pattern.role, now, now]);
  }
  const touched = await setMembers(tx, id, f.members);
  await reconcileUsers(tx, organisation, touched, w);
  return id;
}

/** A group made by a mapping before the identity provider pushes it. */
export async function precreateGroup(tx: Sql, organisation: string, displayName: string): Promise<ScimGroupRow> {
  const existing = await tx.get<ScimGroupRow>(`SELECT * FROM scim_groups WHERE organisation_id = ? AND display_name_key = ?`, [organisation, displayName.toLowerCase()]);
  if (existing) return existing;
  const now = new Date().toISOString();
  const id = randomUUID();
  await tx.run(`INSERT INTO scim_groups (id, organisation_id, display_name, display_name_key, external_id, provisioned, created_at, last_updated_at) VALUES (?, ?, ?, ?, NULL, 0, ?, ?)`,
    [id, organisation, displayName, displayName.toLowerCase(), now, now]);
  return (await tx.get<ScimGroupRow>(`SELECT * FROM scim_groups WHERE id = ?`, [id]))!;
}

/** PUT, or the result of a PATCH: name, externalId and the full member list. */
export async function replaceScimGroup(tx: Sql, organisation: string, row: ScimGroupRow, f: GroupFields, w: Writer): Promise<void> {
  await checkMembers(tx, organisation, f.members);
  const renamed = f.displayName !== row.display_name;
  const pattern = renamed ? await patternOf(tx, organisation, f.displayName, w) : { workspace: row.pattern_workspace_id, role: row.pattern_role };
  try {
    await tx.run(`UPDATE scim_groups SET display_name = ?, display_name_key = ?, external_id = ?, provisioned = 1, pattern_workspace_id = ?, pattern_role = ?, last_updated_at = ? WHERE id = ?`,
      [f.displayName, f.displayName.toLowerCase(), f.externalId, pattern.workspace, pattern.role, new Date().toISOString(), row.id]);
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(f.displayName);
    throw e;
  }
  const before = renamed ? await groupMemberIds(tx, row.id) : [];
  const touched = await setMembers(tx, row.id, f.members);
  await reconcileUsers(tx, organisation, [...before, ...touched], w);
}

export async function deleteScimGroup(tx: Sql, organisation: string, row: ScimGroupRow, w: Writer): Promise<void> {
  const members = await groupMemberIds(tx, row.id);
  await tx.run(`DELETE FROM scim_groups WHERE id = ?`, [row.id]);
  await reconcileUsers(tx, organisation, members, w);
}
