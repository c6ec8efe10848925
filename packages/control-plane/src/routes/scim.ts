import type { Sql, SqlValue } from '../db/types.js';
import { Reply, type Ctx, type Route } from '../http/router.js';
import { write, type Writer } from '../store/write.js';
import { lockScim } from '../scim/reconcile.js';
import { SCIM_BASE, SCIM_CONTENT_TYPE, scimBad, scimNotFound } from '../scim/errors.js';
import { parseFilter, type FilterColumns } from '../scim/filter.js';
import { createScimGroup, deleteScimGroup, loadScimGroup, presentGroup, readGroup, replaceScimGroup, type ScimGroupRow } from '../scim/groups.js';
import { applyPatch, type PatchTarget } from '../scim/patch.js';
import {
  ENTERPRISE_USER_SCHEMA, GROUP_ATTRIBUTE_NAMES, GROUP_BODY_LIMIT, GROUP_SCHEMA, LIST_SCHEMA, MAX_RESULTS, USER_ATTRIBUTE_NAMES, USER_BODY_LIMIT, USER_SCHEMA,
  resourceTypes, schemas, serviceProviderConfig,
} from '../scim/schema.js';
import { createScimUser, deleteScimUser, loadScimUser, presentUser, readUser, replaceScimUser, type ScimUserRow } from '../scim/users.js';

/**
 * SCIM 2.0 (RFC 7643/7644) for identity providers at /scim/v2, authenticated by a SCIM token
 * (POST /v1/admin/scim-tokens). The token's organisation is the tenant: nothing of another
 * organisation is visible or addressable. Writes go through write(), so each lands whole with
 * its audit-log row and the sync changes it causes (revoked keys).
 */
type Json = Record<string, unknown>;
const scim = { kind: 'scim' } as const;
const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => new Reply(status, body, { 'content-type': SCIM_CONTENT_TYPE, ...headers });
const baseOf = (ctx: Ctx) => `${ctx.req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http'}://${ctx.req.headers.host ?? 'localhost'}${SCIM_BASE}`;

const USER_COLUMNS: FilterColumns = {
  username: { sql: 'user_name', type: 'string', caseExact: false },
  externalid: { sql: 'external_id', type: 'string', caseExact: true },
  id: { sql: 'id', type: 'string', caseExact: true },
  displayname: { sql: 'display_name', type: 'string', caseExact: false },
  active: { sql: 'active', type: 'boolean', caseExact: true },
  emails: { sql: 'email', type: 'string', caseExact: false },
  'emails.value': { sql: 'email', type: 'string', caseExact: false },
  'meta.created': { sql: 'created_at', type: 'date', caseExact: true },
  'meta.lastmodified': { sql: 'last_updated_at', type: 'date', caseExact: true },
};
const memberTest = `EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.group_id = scim_groups.id AND gm.user_id = ?)`;
const GROUP_COLUMNS: FilterColumns = {
  displayname: { sql: 'display_name', type: 'string', caseExact: false },
  externalid: { sql: 'external_id', type: 'string', caseExact: true },
  id: { sql: 'id', type: 'string', caseExact: true },
  members: { membership: (v) => ({ sql: memberTest, params: [v] }), present: `EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.group_id = scim_groups.id)` },
  'members.value': { membership: (v) => ({ sql: memberTest, params: [v] }), present: `EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.group_id = scim_groups.id)` },
  'meta.created': { sql: 'created_at', type: 'date', caseExact: true },
  'meta.lastmodified': { sql: 'last_updated_at', type: 'date', caseExact: true },
};

const LIST_PARAMS = new Set(['filter', 'startindex', 'count', 'attributes', 'excludedattributes']);
function listParams(ctx: Ctx, single = false) {
  for (const k of ctx.query.keys()) {
    if (!LIST_PARAMS.has(k.toLowerCase()) || (single && !['attributes', 'excludedattributes'].includes(k.toLowerCase()))) {
      throw scimBad(`the query parameter "${k.slice(0, 40)}" is not supported here${single ? '' : ' (filter, startIndex, count, attributes, excludedAttributes are)'}`, 'invalidValue');
    }
  }
  const get = (name: string) => [...ctx.query].find(([k]) => k.toLowerCase() === name)?.[1];
  const int = (name: string, dflt: number) => {
    const v = get(name);
    if (v === undefined || v === '') return dflt;
    if (!/^-?\d{1,9}$/.test(v)) throw scimBad(`${name} must be an integer`, 'invalidValue');
    return Number(v);
  };
  // RFC 7644 §3.4.2.4: startIndex below 1 means 1, a negative count means 0, and a count above the maximum is capped.
  const startIndex = Math.max(1, int('startindex', 1));
  const count = Math.min(MAX_RESULTS, Math.max(0, int('count', MAX_RESULTS)));
  const names = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim().toLowerCase().replace(/^urn:.*:(user|group):/, '').split('.')[0]).filter(Boolean) : undefined);
  return { startIndex, count, filter: get('filter'), attributes: names(get('attributes')), excluded: names(get('excludedattributes')) };
}

/** attributes / excludedAttributes, on top-level attributes; id and schemas are always returned. */
function project(resource: Json, attributes?: string[], excluded?: string[]): Json {
  if (!attributes && !excluded) return resource;
  const out: Json = {};
  for (const [k, v] of Object.entries(resource)) {
    const key = k.toLowerCase();
    const keep = key === 'id' || key === 'schemas' || (attributes ? attributes.includes(key) || key === 'meta' : !excluded!.includes(key));
    if (keep) out[k] = v;
  }
  return out;
}

async function list<T>(ctx: Ctx, table: 'scim_users' | 'scim_groups', columns: FilterColumns, schema: string, present: (row: T, p: ReturnType<typeof listParams>) => Promise<Json>) {
  const p = listParams(ctx);
  const where = [`organisation_id = ?`];
  const params: SqlValue[] = [ctx.principal.organisationId];
  if (p.filter !== undefined) {
    const cond = parseFilter(p.filter, columns, schema);
    where.push(`(${cond.sql})`);
    params.push(...cond.params);
  }
  const clause = where.join(' AND ');
  const db = ctx.services.db;
  const total = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${clause}`, params))?.n ?? 0);
  const rows = p.count === 0 ? [] : await db.all<T>(`SELECT * FROM ${table} WHERE ${clause} ORDER BY created_at, id LIMIT ? OFFSET ?`, [...params, p.count, p.startIndex - 1]);
  const resources = [];
  for (const row of rows) resources.push(project(await present(row, p), p.attributes, p.excluded));
  return reply(200, { schemas: [LIST_SCHEMA], totalResults: total, startIndex: p.startIndex, itemsPerPage: resources.length, Resources: resources });
}

const USER_PATCH: PatchTarget = {
  names: USER_ATTRIBUTE_NAMES, coreSchema: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA], immutable: ['id'], ignored: ['meta', 'schemas', 'groups'],
  multiValued: new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates']),
};
const GROUP_PATCH: PatchTarget = { names: GROUP_ATTRIBUTE_NAMES, coreSchema: GROUP_SCHEMA, extensions: [], immutable: ['id'], ignored: ['meta', 'schemas'], multiValued: new Set(['members']) };

const storedUser = (row: ScimUserRow): Json => ({ schemas: [USER_SCHEMA, ...Object.keys(JSON.parse(row.resource)).filter((k) => k.startsWith('urn:'))], id: row.id, ...JSON.parse(row.resource) });

async function storedGroup(tx: Sql, row: ScimGroupRow): Promise<Json> {
  const members = await tx.all<{ user_id: string }>(`SELECT user_id FROM scim_group_members WHERE group_id = ?`, [row.id]);
  return { schemas: [GROUP_SCHEMA], id: row.id, displayName: row.display_name, ...(row.external_id ? { externalId: row.external_id } : {}), members: members.map((m) => ({ value: m.user_id })) };
}

async function userReply(ctx: Ctx, id: string, status = 200) {
  const p = listParams(ctx, true);
  const body = project(await presentUser(ctx.services.db, await loadScimUser(ctx.services.db, ctx.principal.organisationId, id), baseOf(ctx)), p.attributes, p.excluded);
  return reply(status, body, status === 201 ? { location: (body.meta as Json).location as string } : {});
}
async function groupReply(ctx: Ctx, id: string, status = 200) {
  const p = listParams(ctx, true);
  const row = await loadScimGroup(ctx.services.db, ctx.principal.organisationId, id);
  const body = project(await presentGroup(ctx.services.db, row, baseOf(ctx), !p.excluded?.includes('members') && (!p.attributes || p.attributes.includes('members'))), p.attributes, p.excluded);
  return reply(status, body, status === 201 ? { location: (body.meta as Json).location as string } : {});
}

const org = (ctx: Ctx) => ctx.principal.organisationId;
/** write(), holding the organisation's SCIM lock for the transaction. */
const scimWrite = <T>(ctx: Ctx, resource: string, fn: (tx: Sql, w: Writer) => Promise<T>) =>
  write(ctx, resource, async (tx, w) => {
    await lockScim(tx, ctx.services.db.dialect, org(ctx));
    return fn(tx, w);
  });

export const scimRoutes: Route[] = [
  { method: 'GET', path: '/scim/v2/ServiceProviderConfig', access: scim, summary: 'SCIM: what this service supports (PATCH, filter, page size)', handler: async (ctx) => reply(200, serviceProviderConfig(baseOf(ctx))) },
  { method: 'GET', path: '/scim/v2/ResourceTypes', access: scim, summary: 'SCIM: the resource types (User, Group)', handler: async (ctx) => {
    const all = resourceTypes(baseOf(ctx));
    return reply(200, { schemas: [LIST_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  } },
  { method: 'GET', path: '/scim/v2/ResourceTypes/:id', access: scim, summary: 'SCIM: one resource type', handler: async (ctx) => {
    const found = resourceTypes(baseOf(ctx)).find((r) => r.id === ctx.params.id);
    if (!found) throw scimNotFound('ResourceType', ctx.params.id);
    return reply(200, found);
  } },
  { method: 'GET', path: '/scim/v2/Schemas', access: scim, summary: 'SCIM: the User, Group and enterprise-User schemas', handler: async (ctx) => {
    const all = schemas(baseOf(ctx));
    return reply(200, { schemas: [LIST_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
  } },
  { method: 'GET', path: '/scim/v2/Schemas/:id', access: scim, summary: 'SCIM: one schema by URN', handler: async (ctx) => {
    const found = schemas(baseOf(ctx)).find((s) => s.id === ctx.params.id);
    if (!found) throw scimNotFound('Schema', ctx.params.id);
    return reply(200, found);
  } },

  { method: 'POST', path: '/scim/v2/Users', access: scim, bodyLimit: USER_BODY_LIMIT, summary: 'SCIM: provision a user (adopts an organisation user with the same email)', handler: async (ctx) => {
    const fields = readUser(ctx.body);
    const id = await scimWrite(ctx, 'scim_user', async (tx, w) => {
      const id = await createScimUser(tx, org(ctx), fields);
      w.subject(id, null);
      return id;
    });
    return userReply(ctx, id, 201);
  } },
  { method: 'GET', path: '/scim/v2/Users', access: scim, summary: 'SCIM: list users (filter: userName, externalId, displayName, emails, active, id; startIndex, count ≤ 200)', handler: async (ctx) =>
    list<ScimUserRow>(ctx, 'scim_users', USER_COLUMNS, USER_SCHEMA, (row) => presentUser(ctx.services.db, row, baseOf(ctx))) },
  { method: 'GET', path: '/scim/v2/Users/:id', access: scim, summary: 'SCIM: get a user', handler: async (ctx) => userReply(ctx, ctx.params.id) },
  { method: 'PUT', path: '/scim/v2/Users/:id', access: scim, bodyLimit: USER_BODY_LIMIT, summary: 'SCIM: replace a user (active: false removes its SCIM-granted access)', handler: async (ctx) => {
    const fields = readUser(ctx.body);
    await scimWrite(ctx, 'scim_user', async (tx, w) => replaceScimUser(tx, org(ctx), await loadScimUser(tx, org(ctx), ctx.params.id), fields, w));
    return userReply(ctx, ctx.params.id);
  } },
  { method: 'PATCH', path: '/scim/v2/Users/:id', access: scim, bodyLimit: USER_BODY_LIMIT, summary: 'SCIM: add, replace or remove user attributes (active, name, emails, externalId, …)', handler: async (ctx) => {
    await scimWrite(ctx, 'scim_user', async (tx, w) => {
      const row = await loadScimUser(tx, org(ctx), ctx.params.id);
      const fields = readUser(applyPatch(storedUser(row), ctx.body, USER_PATCH));
      await replaceScimUser(tx, org(ctx), row, fields, w);
    });
    return userReply(ctx, ctx.params.id);
  } },
  { method: 'DELETE', path: '/scim/v2/Users/:id', access: scim, summary: 'SCIM: deprovision a user (its SCIM-granted access, and the user if SCIM created it)', handler: async (ctx) => {
    await scimWrite(ctx, 'scim_user', async (tx, w) => deleteScimUser(tx, org(ctx), await loadScimUser(tx, org(ctx), ctx.params.id), w));
    return reply(204, undefined);
  } },

  { method: 'POST', path: '/scim/v2/Groups', access: scim, bodyLimit: GROUP_BODY_LIMIT, summary: 'SCIM: provision a group with members (takes over a group a mapping pre-created)', handler: async (ctx) => {
    const fields = readGroup(ctx.body);
    const id = await scimWrite(ctx, 'scim_group', async (tx, w) => {
      const id = await createScimGroup(tx, org(ctx), fields, w);
      w.subject(id, null);
      return id;
    });
    return groupReply(ctx, id, 201);
  } },
  { method: 'GET', path: '/scim/v2/Groups', access: scim, summary: 'SCIM: list groups (filter: displayName, externalId, id, members; excludedAttributes=members)', handler: async (ctx) =>
    list<ScimGroupRow>(ctx, 'scim_groups', GROUP_COLUMNS, GROUP_SCHEMA, (row, p) => presentGroup(ctx.services.db, row, baseOf(ctx), !p.excluded?.includes('members') && (!p.attributes || p.attributes.includes('members')))) },
  { method: 'GET', path: '/scim/v2/Groups/:id', access: scim, summary: 'SCIM: get a group with its members', handler: async (ctx) => groupReply(ctx, ctx.params.id) },
  { method: 'PUT', path: '/scim/v2/Groups/:id', access: scim, bodyLimit: GROUP_BODY_LIMIT, summary: 'SCIM: replace a group\'s name and members', handler: async (ctx) => {
    const fields = readGroup(ctx.body);
    await scimWrite(ctx, 'scim_group', async (tx, w) => replaceScimGroup(tx, org(ctx), await loadScimGroup(tx, org(ctx), ctx.params.id), fields, w));
    return groupReply(ctx, ctx.params.id);
  } },
  { method: 'PATCH', path: '/scim/v2/Groups/:id', access: scim, bodyLimit: GROUP_BODY_LIMIT, summary: 'SCIM: add or remove members, rename', handler: async (ctx) => {
    await scimWrite(ctx, 'scim_group', async (tx, w) => {
      const row = await loadScimGroup(tx, org(ctx), ctx.params.id);
      const fields = readGroup(applyPatch(await storedGroup(tx, row), ctx.body, GROUP_PATCH));
      await replaceScimGroup(tx, org(ctx), row, fields, w);
    });
    // Okta and Entra ID accept 204 after a PATCH; the full group could be large.
    return reply(204, undefined);
  } },
  { method: 'DELETE', path: '/scim/v2/Groups/:id', access: scim, summary: 'SCIM: delete a group (its members lose what its mappings granted)', handler: async (ctx) => {
    await scimWrite(ctx, 'scim_group', async (tx, w) => deleteScimGroup(tx, org(ctx), await loadScimGroup(tx, org(ctx), ctx.params.id), w));
    return reply(204, undefined);
  } },
];
