import { z } from 'zod';
import type { Sql } from '../db/types.js';
import { invalid, notFound } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { name, paging, parseBody } from '../http/validate.js';
import { findResource, insertResource, insertVersion, listResources, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { write, type Writer } from '../store/write.js';
import { checkPartials } from './templates.js';

/**
 * Prompts: a template (Mustache, partials checked), its hyperparameters, model and provider slug, in
 * numbered versions. Creating a prompt makes version 1 its default; an update with version fields
 * adds a version, which serves once made default (makeDefault) or through a label or id@version.
 */
const versionFields = {
  string: z.string().max(200_000),
  parameters: z.record(z.string(), z.unknown()),
  functions: z.array(z.record(z.string(), z.unknown())).max(128).optional(),
  tools: z.array(z.record(z.string(), z.unknown())).max(128).optional(),
  tool_choice: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  model: z.string().max(200).optional(),
  virtual_key: z.string().max(200),
  version_description: z.string().max(1000).optional(),
};
const createBody = z.strictObject({ name: name(), collection_id: z.string().optional(), template_metadata: z.record(z.string(), z.unknown()).optional(), workspace_id: z.string().optional(), ...versionFields });
const updateBody = z.strictObject({
  patch: z.boolean().optional(), name: name().optional(), collection_id: z.string().optional(), string: versionFields.string.optional(), parameters: versionFields.parameters.optional(),
  model: versionFields.model, virtual_key: versionFields.virtual_key.optional(), version_description: versionFields.version_description, functions: versionFields.functions,
  tools: versionFields.tools, tool_choice: versionFields.tool_choice, is_raw_template: z.union([z.literal(0), z.literal(1)]).optional(), prompt_metadata: z.record(z.string(), z.unknown()).optional(),
});

interface VersionData {
  string: string;
  parameters: Record<string, unknown>;
  model?: string;
  virtual_key?: string;
  functions?: unknown[];
  tools?: unknown[];
  tool_choice?: unknown;
  is_raw_template?: number;
  prompt_metadata?: Record<string, unknown>;
}
interface VersionRow {
  id: string;
  version: number;
  data: string;
  description: string | null;
  label_id: string | null;
  created_at: string;
}

async function checkVersion(tx: Sql, ctx: Ctx, workspaceId: string, v: Partial<VersionData>) {
  if (v.string !== undefined) await checkPartials(tx, ctx.principal.organisationId, workspaceId, v.string);
  if (v.virtual_key) {
    const slug = v.virtual_key.replace(/^@/, '');
    const cred = await tx.get<{ workspace_id: string | null }>(`SELECT workspace_id FROM resources WHERE organisation_id = ? AND namespace = 'credential' AND slug = ?`, [ctx.principal.organisationId, slug]);
    if (!cred || (cred.workspace_id && cred.workspace_id !== workspaceId)) throw invalid(`virtual_key "${v.virtual_key}" is no virtual key or provider of this workspace`, 'virtual_key');
  }
}

async function collectionFor(tx: Sql, ctx: Ctx, requested: string | undefined, workspaceId: string): Promise<ResourceRow> {
  if (requested) return mustFind(tx, ctx.principal.organisationId, 'collection', requested, workspaceId, 'collection_id');
  const row = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND kind = 'collection' AND workspace_id = ? AND slug LIKE 'default-%' ORDER BY created_at LIMIT 1`, [ctx.principal.organisationId, workspaceId]);
  if (!row) throw notFound('Default collection of workspace', workspaceId, 'collection_id');
  return row;
}

async function versionOf(db: Sql, row: ResourceRow, version: number): Promise<VersionRow | undefined> {
  return db.get<VersionRow>(`SELECT id, version, data, description, label_id, created_at FROM resource_versions WHERE resource_id = ? AND version = ?`, [row.id, version]);
}

function presentPrompt(row: ResourceRow, v: VersionRow | undefined) {
  const d = parse<{ collection_id: string; template_metadata?: Record<string, unknown> }>(row.data);
  const vd = parse<VersionData>(v?.data);
  return {
    id: row.id, slug: row.slug, name: row.name, collection_id: d.collection_id, string: vd.string ?? '', parameters: vd.parameters ?? {},
    prompt_version: v?.version ?? row.default_version, prompt_version_id: v?.id ?? '', prompt_version_status: 'active', prompt_version_description: v?.description ?? '',
    ...(v?.label_id ? { prompt_version_label_id: v.label_id } : {}), virtual_key: vd.virtual_key ?? '', model: vd.model ?? '', functions: vd.functions ?? [], tools: vd.tools ?? [],
    tool_choice: vd.tool_choice && typeof vd.tool_choice === 'object' ? vd.tool_choice : {}, template_metadata: d.template_metadata ?? {}, is_raw_template: vd.is_raw_template === 1,
    status: row.status, created_at: row.created_at, last_updated_at: row.last_updated_at, workspace_id: row.workspace_id, object: 'prompt',
  };
}

function versionData(b: Partial<VersionData>): VersionData {
  const out: VersionData = { string: b.string ?? '', parameters: b.parameters ?? {} };
  for (const k of ['model', 'virtual_key', 'functions', 'tools', 'tool_choice', 'is_raw_template', 'prompt_metadata'] as const) if (b[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = b[k];
  if (out.virtual_key) out.virtual_key = out.virtual_key.replace(/^@/, '');
  return out;
}

async function create(ctx: Ctx) {
  const body = parseBody(createBody, ctx.body);
  return write(ctx, 'prompt', async (tx, w) => {
    const collection = await collectionFor(tx, ctx, body.collection_id, ctx.ws.id);
    const workspaceId = collection.workspace_id ?? ctx.ws.id;
    const v = versionData(body);
    await checkVersion(tx, ctx, workspaceId, v);
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId, kind: 'prompt', slug: `pp-${slugFrom(body.name)}`, name: body.name, parentId: collection.id,
      data: { collection_id: collection.id, template_metadata: body.template_metadata ?? {} },
    });
    const versionId = await insertVersion(tx, row.id, 1, v, body.version_description ?? null);
    w.changed('prompt', row.id);
    w.subject(row.id, workspaceId);
    return { id: row.id, slug: row.slug, version_id: versionId, object: 'prompt' };
  });
}

async function update(ctx: Ctx) {
  const body = parseBody(updateBody, ctx.body);
  return write(ctx, 'prompt', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'prompt', ctx.params.promptId, ctx.ws.filter, 'promptId');
    const workspaceId = row.workspace_id ?? ctx.ws.id;
    const d = parse<Record<string, unknown>>(row.data);
    let collectionId = d.collection_id as string;
    if (body.collection_id) collectionId = (await collectionFor(tx, ctx, body.collection_id, workspaceId)).id;
    const versionKeys = ['string', 'parameters', 'model', 'functions', 'tools', 'tool_choice', 'is_raw_template', 'prompt_metadata'] as const;
    const touchesVersion = versionKeys.some((k) => body[k] !== undefined);
    let versionId: string | undefined;
    if (touchesVersion || body.virtual_key !== undefined) {
      const latest = (await tx.get<VersionRow>(`SELECT id, version, data, description, label_id, created_at FROM resource_versions WHERE resource_id = ? ORDER BY version DESC LIMIT 1`, [row.id]))!;
      const base = parse<VersionData>(latest.data);
      if (touchesVersion && !body.patch && (body.string === undefined || body.parameters === undefined)) {
        throw invalid('A new version needs string and parameters; send both, or "patch": true to keep the latest version\'s values for what you leave out', body.string === undefined ? 'string' : 'parameters');
      }
      const next = versionData({ ...base, ...Object.fromEntries(Object.entries(body).filter(([k, v]) => v !== undefined && (versionKeys as readonly string[]).concat('virtual_key').includes(k))) });
      await checkVersion(tx, ctx, workspaceId, next);
      const version = row.version + 1;
      versionId = await insertVersion(tx, row.id, version, next, body.version_description ?? null);
      await updateResource(tx, row.id, { version });
    }
    await updateResource(tx, row.id, { name: body.name, data: JSON.stringify({ ...d, collection_id: collectionId }) });
    w.changed('prompt', row.id);
    w.subject(row.id, row.workspace_id);
    const current = versionId ?? (await versionOf(tx, row, row.default_version))?.id ?? '';
    return { id: row.id, slug: row.slug, prompt_version_id: current };
  });
}

async function loadVersion(db: Sql, ctx: Ctx): Promise<{ row: ResourceRow; v: VersionRow }> {
  const row = await mustFind(db, ctx.principal.organisationId, 'prompt', ctx.params.promptId, ctx.ws.filter, 'promptId');
  const id = ctx.params.versionId;
  const v = await db.get<VersionRow>(`SELECT id, version, data, description, label_id, created_at FROM resource_versions WHERE resource_id = ? AND (id = ? OR CAST(version AS TEXT) = ?)`, [row.id, id, id]);
  if (!v) throw notFound('Prompt version', id, 'versionId');
  return { row, v };
}

async function retrieve(ctx: Ctx) {
  const db = ctx.services.db;
  // id, slug, or slug@version / slug@label as the gateway accepts.
  const [ref, pin] = ctx.params.promptId.split('@');
  const row = await findResource(db, ctx.principal.organisationId, 'prompt', ref, ctx.ws.filter);
  if (!row) throw notFound('Prompt', ctx.params.promptId, 'promptId');
  let version = row.default_version;
  if (pin && /^\d+$/.test(pin)) version = Number(pin);
  else if (pin) {
    const label = await db.get<{ version: number }>(`SELECT v.version FROM resource_versions v JOIN resources l ON l.id = v.label_id WHERE v.resource_id = ? AND l.name = ?`, [row.id, pin]);
    if (!label) throw notFound('Prompt label', pin, 'promptId');
    version = label.version;
  }
  const v = await versionOf(db, row, version);
  if (!v) throw notFound('Prompt version', String(version), 'promptId');
  return presentPrompt(row, v);
}

const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

async function remove(ctx: Ctx) {
  await write(ctx, 'prompt', async (tx, w: Writer) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'prompt', ctx.params.promptId, ctx.ws.filter, 'promptId');
    await tx.run(`DELETE FROM resource_versions WHERE resource_id = ?`, [row.id]);
    await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
    w.changed('prompt', row.id);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

export const promptRoutes: Route[] = [
  { method: 'POST', path: '/v1/prompts', access: access('member', 'prompts.create'), summary: 'Create a prompt (version 1, its default); without collection_id it goes to the workspace\'s default collection', handler: create },
  { method: 'GET', path: '/v1/prompts', access: access('member', 'prompts.list'), summary: 'List prompts', handler: async (ctx) => {
    const collection = ctx.query.get('collection_id');
    const search = ctx.query.get('search');
    const extra: { where: string; params: string[] }[] = [];
    if (collection) extra.push({ where: 'parent_id = ?', params: [(await mustFind(ctx.services.db, ctx.principal.organisationId, 'collection', collection, ctx.ws.filter, 'collection_id')).id] });
    if (search) extra.push({ where: 'lower(name) LIKE ?', params: [`%${search.toLowerCase().replace(/[%_]/g, '')}%`] });
    const where = extra.length ? { where: extra.map((e) => e.where).join(' AND '), params: extra.flatMap((e) => e.params) } : undefined;
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'prompt', ctx.ws.filter, paging(ctx.query), where);
    const data = [];
    for (const r of rows) {
      const v = await versionOf(ctx.services.db, r, r.default_version);
      const p = presentPrompt(r, v);
      data.push({ id: p.id, slug: p.slug, name: p.name, collection_id: p.collection_id, model: p.model, status: p.status, created_at: p.created_at, last_updated_at: p.last_updated_at, object: 'prompt' });
    }
    return { data, total };
  } },
  { method: 'GET', path: '/v1/prompts/:promptId', access: access('member', 'prompts.read'), summary: 'Get a prompt (by id or slug, optionally @version or @label)', handler: retrieve },
  { method: 'PUT', path: '/v1/prompts/:promptId', access: access('member', 'prompts.update'), summary: 'Update a prompt; version fields add a new version (patch: true keeps unsent fields)', handler: update },
  { method: 'DELETE', path: '/v1/prompts/:promptId', access: access('member', 'prompts.delete'), summary: 'Delete a prompt and its versions', handler: remove },
  { method: 'GET', path: '/v1/prompts/:promptId/versions', access: access('member', 'prompts.read'), summary: 'List a prompt\'s versions', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'prompt', ctx.params.promptId, ctx.ws.filter, 'promptId');
    const versions = await ctx.services.db.all<VersionRow>(`SELECT id, version, data, description, label_id, created_at FROM resource_versions WHERE resource_id = ? ORDER BY version DESC`, [row.id]);
    return versions.map((v) => {
      const vd = parse<VersionData>(v.data);
      const out: Record<string, unknown> = { id: v.id, prompt_id: row.id, prompt_template: { string: vd.string, parameters: vd.parameters, model: vd.model ?? '', virtual_key: vd.virtual_key ?? '' }, prompt_version: v.version, prompt_description: v.description ?? '', created_at: v.created_at, status: 'active', object: 'prompt' };
      if (v.label_id) out.label_id = v.label_id;
      return out;
    });
  } },
  { method: 'GET', path: '/v1/prompts/:promptId/versions/:versionId', access: access('member', 'prompts.read'), summary: 'Get one version of a prompt (by version id or number)', handler: async (ctx) => {
    const { row, v } = await loadVersion(ctx.services.db, ctx);
    return presentPrompt(row, v);
  } },
  { method: 'PUT', path: '/v1/prompts/:promptId/versions/:versionId', access: access('member', 'prompts.update'), summary: 'Put a label on a prompt version (moving it off the prompt\'s other versions)', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ label_id: z.string().nullable() }), ctx.body);
    await write(ctx, 'prompt', async (tx, w) => {
      const { row, v } = await loadVersion(tx, ctx);
      if (body.label_id) {
        const label = await mustFind(tx, ctx.principal.organisationId, 'label', body.label_id, row.workspace_id, 'label_id');
        await tx.run(`UPDATE resource_versions SET label_id = NULL WHERE resource_id = ? AND label_id = ?`, [row.id, label.id]);
        await tx.run(`UPDATE resource_versions SET label_id = ? WHERE id = ?`, [label.id, v.id]);
      } else await tx.run(`UPDATE resource_versions SET label_id = NULL WHERE id = ?`, [v.id]);
      w.changed('prompt', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
  { method: 'PUT', path: '/v1/prompts/:promptId/makeDefault', access: access('member', 'prompts.update'), summary: 'Make a version the prompt\'s default: what gateways serve for the bare id', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ version: z.number().int().min(1) }), ctx.body);
    await write(ctx, 'prompt', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'prompt', ctx.params.promptId, ctx.ws.filter, 'promptId');
      if (!(await versionOf(tx, row, body.version))) throw invalid(`Prompt ${row.slug} has no version ${body.version}`, 'version');
      await updateResource(tx, row.id, { default_version: body.version });
      w.changed('prompt', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
];
