import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../db/types.js';
import { invalid, notFound } from '../http/errors.js';
import type { Access, Route } from '../http/router.js';
import { name, paging, parseBody } from '../http/validate.js';
import { insertResource, insertVersion, listResources, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { write } from '../store/write.js';
import { checkPartials } from './templates.js';

/** Collections, labels, prompt partials, guardrails and feedback. */
const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

// ---- collections
function presentCollection(row: ResourceRow, prompts: number) {
  const d = parse<{ is_default?: boolean; parent_collection_id?: string | null }>(row.data);
  const out: Record<string, unknown> = {
    id: row.id, name: row.name, workspace_id: row.workspace_id, slug: row.slug, is_default: Boolean(d.is_default), status: row.status, created_at: row.created_at,
    last_updated_at: row.last_updated_at, collection_details: { child_collections_count: 0, prompts_count: prompts, child_collections_last_updated_at: row.last_updated_at, prompts_last_updated_at: row.last_updated_at },
  };
  if (d.parent_collection_id) out.parent_collection_id = d.parent_collection_id;
  return out;
}
const promptCount = async (db: Sql, id: string) => Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM resources WHERE kind = 'prompt' AND parent_id = ?`, [id]))?.n ?? 0);

const collectionRoutes: Route[] = [
  { method: 'POST', path: '/v1/collections', access: access('member', 'collections.create'), summary: 'Create a prompt collection', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ workspace_id: z.string().optional(), name: name(), parent_collection_id: z.string().optional() }), ctx.body);
    return write(ctx, 'collection', async (tx, w) => {
      const parent = body.parent_collection_id ? await mustFind(tx, ctx.principal.organisationId, 'collection', body.parent_collection_id, ctx.ws.id, 'parent_collection_id') : undefined;
      const row = await insertResource(tx, { organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'collection', slug: slugFrom(body.name), name: body.name, parentId: parent?.id, data: { is_default: false, parent_collection_id: parent?.id ?? null } });
      w.subject(row.id, row.workspace_id);
      return { id: row.id, slug: row.slug };
    });
  } },
  { method: 'GET', path: '/v1/collections', access: access('member', 'collections.list'), summary: 'List prompt collections', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'collection', ctx.ws.filter, paging(ctx.query));
    const data = [];
    for (const r of rows) data.push(presentCollection(r, await promptCount(ctx.services.db, r.id)));
    return { total, data };
  } },
  { method: 'GET', path: '/v1/collections/:collectionId', access: access('member', 'collections.read'), summary: 'Get a collection', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'collection', ctx.params.collectionId, ctx.ws.filter, 'collectionId');
    const children = await ctx.services.db.all<ResourceRow>(`SELECT * FROM resources WHERE kind = 'collection' AND parent_id = ?`, [row.id]);
    return { ...presentCollection(row, await promptCount(ctx.services.db, row.id)), child_collections: children.map((c) => ({ id: c.id, name: c.name, last_updated_at: c.last_updated_at })) };
  } },
  { method: 'PUT', path: '/v1/collections/:collectionId', access: access('member', 'collections.update'), summary: 'Rename a collection', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name() }), ctx.body);
    await write(ctx, 'collection', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'collection', ctx.params.collectionId, ctx.ws.filter, 'collectionId');
      await updateResource(tx, row.id, { name: body.name });
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
  { method: 'DELETE', path: '/v1/collections/:collectionId', access: access('member', 'collections.delete'), summary: 'Delete an empty collection (not a workspace\'s default)', handler: async (ctx) => {
    await write(ctx, 'collection', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'collection', ctx.params.collectionId, ctx.ws.filter, 'collectionId');
      if (parse<{ is_default?: boolean }>(row.data).is_default) throw invalid('A workspace\'s default collection cannot be deleted', 'collectionId');
      if (await tx.get(`SELECT 1 AS ok FROM resources WHERE parent_id = ? AND kind IN ('prompt', 'collection')`, [row.id])) throw invalid('The collection still holds prompts or collections; move or delete them first', 'collectionId');
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
];

// ---- labels
const labelBody = { description: z.string().max(1000).optional(), color_code: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #3366ff').optional() };
function presentLabel(row: ResourceRow) {
  const d = parse<{ description?: string; color_code?: string }>(row.data);
  return { id: row.id, name: row.name, description: d.description ?? '', color_code: d.color_code ?? '', organisation_id: row.organisation_id, workspace_id: row.workspace_id ?? '', is_universal: !row.workspace_id, created_at: row.created_at, last_updated_at: row.last_updated_at, status: row.status };
}
const labelRoutes: Route[] = [
  { method: 'POST', path: '/v1/labels', access: access('member', 'labels.create'), summary: 'Create a label for prompt versions (e.g. production); unique by name', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ organisation_id: z.string().optional(), workspace_id: z.string().optional(), name: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "-" and "_"'), ...labelBody }), ctx.body);
    if (body.organisation_id && body.organisation_id !== ctx.principal.organisationId) throw invalid('organisation_id is not this key\'s organisation', 'organisation_id');
    return write(ctx, 'label', async (tx, w) => {
      const row = await insertResource(tx, { organisationId: ctx.principal.organisationId, workspaceId: body.workspace_id ? ctx.ws.id : null, kind: 'label', slug: body.name, name: body.name, data: { description: body.description, color_code: body.color_code } });
      w.subject(row.id, row.workspace_id);
      return { id: row.id };
    });
  } },
  { method: 'GET', path: '/v1/labels', access: access('member', 'labels.list'), summary: 'List labels', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'label', ctx.ws.filter, paging(ctx.query));
    return { total, data: rows.map(presentLabel) };
  } },
  { method: 'GET', path: '/v1/labels/:labelId', access: access('member', 'labels.read'), summary: 'Get a label', handler: async (ctx) => presentLabel(await mustFind(ctx.services.db, ctx.principal.organisationId, 'label', ctx.params.labelId, ctx.ws.filter, 'labelId')) },
  { method: 'PUT', path: '/v1/labels/:labelId', access: access('member', 'labels.update'), summary: 'Update a label', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/).optional(), ...labelBody }), ctx.body);
    await write(ctx, 'label', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'label', ctx.params.labelId, ctx.ws.filter, 'labelId');
      const d = parse<Record<string, unknown>>(row.data);
      await updateResource(tx, row.id, { name: body.name, data: JSON.stringify({ ...d, description: body.description ?? d.description, color_code: body.color_code ?? d.color_code }) });
      if (body.name) await tx.run(`UPDATE resources SET slug = ? WHERE id = ?`, [body.name, row.id]);
      for (const p of await tx.all<{ resource_id: string }>(`SELECT DISTINCT resource_id FROM resource_versions WHERE label_id = ?`, [row.id])) w.changed('prompt', p.resource_id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
  { method: 'DELETE', path: '/v1/labels/:labelId', access: access('member', 'labels.delete'), summary: 'Delete a label (taken off every prompt version)', handler: async (ctx) => {
    await write(ctx, 'label', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'label', ctx.params.labelId, ctx.ws.filter, 'labelId');
      for (const p of await tx.all<{ resource_id: string }>(`SELECT DISTINCT resource_id FROM resource_versions WHERE label_id = ?`, [row.id])) w.changed('prompt', p.resource_id);
      await tx.run(`UPDATE resource_versions SET label_id = NULL WHERE label_id = ?`, [row.id]);
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
];

// ---- partials
interface PartialVersion {
  id: string;
  version: number;
  data: string;
  description: string | null;
  created_at: string;
}
async function partialVersion(db: Sql, row: ResourceRow, version: number) {
  return db.get<PartialVersion>(`SELECT id, version, data, description, created_at FROM resource_versions WHERE resource_id = ? AND version = ?`, [row.id, version]);
}
const partialRoutes: Route[] = [
  { method: 'POST', path: '/v1/prompts/partials', access: access('member', 'prompt_partials.create'), summary: 'Create a prompt partial, included in templates as {{>slug}}', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ workspace_id: z.string().optional(), name: name(), string: z.string().max(200_000), version_description: z.string().max(1000).optional() }), ctx.body);
    return write(ctx, 'prompt_partial', async (tx, w) => {
      await checkPartials(tx, ctx.principal.organisationId, ctx.ws.id, body.string);
      const row = await insertResource(tx, { organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'partial', slug: slugFrom(body.name), name: body.name, data: {} });
      const versionId = await insertVersion(tx, row.id, 1, { string: body.string }, body.version_description ?? null);
      w.changed('partial', row.id);
      w.subject(row.id, row.workspace_id);
      return { id: row.id, slug: row.slug, version_id: versionId };
    });
  } },
  { method: 'GET', path: '/v1/prompts/partials', access: access('member', 'prompt_partials.list'), summary: 'List prompt partials', handler: async (ctx) => {
    const { rows } = await listResources(ctx.services.db, ctx.principal.organisationId, 'partial', ctx.ws.filter, { limit: 1000, offset: 0 });
    return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, created_at: r.created_at, last_updated_at: r.last_updated_at, status: r.status, object: 'partial' }));
  } },
  { method: 'GET', path: '/v1/prompts/partials/:partialId', access: access('member', 'prompt_partials.read'), summary: 'Get a prompt partial\'s default version', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'partial', ctx.params.partialId, ctx.ws.filter, 'partialId');
    const v = (await partialVersion(ctx.services.db, row, row.default_version))!;
    return { id: row.id, slug: row.slug, name: row.name, string: parse<{ string: string }>(v.data).string, version: v.version, version_description: v.description ?? '', prompt_partial_version_id: v.id, created_at: row.created_at, last_updated_at: row.last_updated_at, status: 'active' };
  } },
  { method: 'PUT', path: '/v1/prompts/partials/:partialId', access: access('member', 'prompt_partials.update'), summary: 'Update a partial; a new string adds a version, served once made default', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name().optional(), string: z.string().max(200_000).optional(), description: z.string().max(1000).optional(), status: z.enum(['active']).optional() }), ctx.body);
    return write(ctx, 'prompt_partial', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'partial', ctx.params.partialId, ctx.ws.filter, 'partialId');
      let versionId = (await partialVersion(tx, row, row.default_version))!.id;
      if (body.string !== undefined) {
        await checkPartials(tx, ctx.principal.organisationId, row.workspace_id ?? ctx.ws.id, body.string);
        if (body.string.includes(`{{>${row.slug}}}`)) throw invalid('A partial cannot include itself', 'string');
        versionId = await insertVersion(tx, row.id, row.version + 1, { string: body.string }, body.description ?? null);
        await updateResource(tx, row.id, { version: row.version + 1 });
      }
      await updateResource(tx, row.id, { name: body.name });
      w.changed('partial', row.id);
      w.subject(row.id, row.workspace_id);
      return { prompt_partial_version_id: versionId };
    });
  } },
  { method: 'DELETE', path: '/v1/prompts/partials/:partialId', access: access('member', 'prompt_partials.delete'), summary: 'Delete a partial no prompt includes', handler: async (ctx) => {
    await write(ctx, 'prompt_partial', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'partial', ctx.params.partialId, ctx.ws.filter, 'partialId');
      const users = await tx.get<{ slug: string }>(
        `SELECT r.slug FROM resource_versions v JOIN resources r ON r.id = v.resource_id WHERE r.organisation_id = ? AND r.kind IN ('prompt', 'partial') AND r.default_version = v.version AND (v.data LIKE ? OR v.data LIKE ?)`,
        [ctx.principal.organisationId, `%{{>${row.slug}}}%`, `%{{> ${row.slug}}}%`],
      );
      if (users) throw invalid(`Partial ${row.slug} is included by ${users.slug}; change that first`, 'partialId');
      await tx.run(`DELETE FROM resource_versions WHERE resource_id = ?`, [row.id]);
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.changed('partial', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
  { method: 'GET', path: '/v1/prompts/partials/:partialId/versions', access: access('member', 'prompt_partials.read'), summary: 'List a partial\'s versions', handler: async (ctx) => {
    const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'partial', ctx.params.partialId, ctx.ws.filter, 'partialId');
    const versions = await ctx.services.db.all<PartialVersion>(`SELECT id, version, data, description, created_at FROM resource_versions WHERE resource_id = ? ORDER BY version DESC`, [row.id]);
    return versions.map((v) => ({ prompt_partial_id: row.id, prompt_partial_version_id: v.id, slug: row.slug, version: String(v.version), string: parse<{ string: string }>(v.data).string, description: v.description ?? '', created_at: v.created_at, prompt_version_status: 'active', object: 'partial' }));
  } },
  { method: 'PUT', path: '/v1/prompts/partials/:partialId/makeDefault', access: access('member', 'prompt_partials.update'), summary: 'Make a partial version the one templates include', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ version: z.number().int().min(1) }), ctx.body);
    await write(ctx, 'prompt_partial', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'partial', ctx.params.partialId, ctx.ws.filter, 'partialId');
      if (!(await partialVersion(tx, row, body.version))) throw invalid(`Partial ${row.slug} has no version ${body.version}`, 'version');
      await updateResource(tx, row.id, { default_version: body.version });
      w.changed('partial', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
];

// ---- guardrails
const check = z.strictObject({ id: z.string().regex(/^[a-z0-9-]+\.[A-Za-z0-9_-]+$/, 'must be a check id such as default.regexMatch'), parameters: z.record(z.string(), z.unknown()).optional(), name: z.string().max(200).optional(), is_enabled: z.boolean().optional() });
const actions = z.record(z.string(), z.unknown());
function presentGuardrail(row: ResourceRow, detail: boolean) {
  const d = parse<{ checks: unknown[]; actions: Record<string, unknown>; owner_id: string }>(row.data);
  const out: Record<string, unknown> = { id: row.id, name: row.name, slug: row.slug, organisation_id: row.organisation_id, workspace_id: row.workspace_id ?? '', status: row.status, created_at: row.created_at, last_updated_at: row.last_updated_at, owner_id: d.owner_id ?? '', updated_by: d.owner_id ?? '' };
  if (detail) Object.assign(out, { checks: d.checks, actions: d.actions });
  return out;
}
const guardrailRoutes: Route[] = [
  { method: 'POST', path: '/v1/guardrails', access: access('workspace_admin', 'guardrails.create'), summary: 'Create a guardrail: checks and actions a config refers to by id', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name(), workspace_id: z.string().optional(), organisation_id: z.string().optional(), checks: z.array(check).min(1).max(50), actions }), ctx.body);
    return write(ctx, 'guardrail', async (tx, w) => {
      const row = await insertResource(tx, { organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'guardrail', slug: `pg-${slugFrom(body.name)}`, name: body.name, data: { checks: body.checks.filter((c) => c.is_enabled !== false), actions: body.actions, owner_id: ctx.principal.actorId } });
      const versionId = await insertVersion(tx, row.id, 1, { checks: body.checks, actions: body.actions });
      w.changed('guardrail', row.id);
      w.subject(row.id, row.workspace_id);
      return { id: row.id, slug: row.slug, version_id: versionId };
    });
  } },
  { method: 'GET', path: '/v1/guardrails', access: access('member', 'guardrails.list'), summary: 'List guardrails', handler: async (ctx) => {
    const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, 'guardrail', ctx.ws.filter, paging(ctx.query));
    return { data: rows.map((r) => presentGuardrail(r, false)), total };
  } },
  { method: 'GET', path: '/v1/guardrails/:guardrailId', access: access('member', 'guardrails.read'), summary: 'Get a guardrail with its checks', handler: async (ctx) => presentGuardrail(await mustFind(ctx.services.db, ctx.principal.organisationId, 'guardrail', ctx.params.guardrailId, ctx.ws.filter, 'guardrailId'), true) },
  { method: 'PUT', path: '/v1/guardrails/:guardrailId', access: access('workspace_admin', 'guardrails.update'), summary: 'Update a guardrail (a new version, served at once)', handler: async (ctx) => {
    const body = parseBody(z.strictObject({ name: name().optional(), checks: z.array(check).min(1).max(50).optional(), actions: actions.optional() }), ctx.body);
    return write(ctx, 'guardrail', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'guardrail', ctx.params.guardrailId, ctx.ws.filter, 'guardrailId');
      const d = parse<Record<string, unknown>>(row.data);
      const next = { ...d, checks: body.checks ? body.checks.filter((c) => c.is_enabled !== false) : d.checks, actions: body.actions ?? d.actions };
      const version = row.version + 1;
      await updateResource(tx, row.id, { name: body.name, version, default_version: version, data: JSON.stringify(next) });
      const versionId = await insertVersion(tx, row.id, version, { checks: next.checks, actions: next.actions });
      w.changed('guardrail', row.id);
      w.subject(row.id, row.workspace_id);
      return { id: row.id, slug: row.slug, version_id: versionId };
    });
  } },
  { method: 'DELETE', path: '/v1/guardrails/:guardrailId', access: access('workspace_admin', 'guardrails.delete'), summary: 'Delete a guardrail', handler: async (ctx) => {
    await write(ctx, 'guardrail', async (tx, w) => {
      const row = await mustFind(tx, ctx.principal.organisationId, 'guardrail', ctx.params.guardrailId, ctx.ws.filter, 'guardrailId');
      await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
      w.changed('guardrail', row.id);
      w.subject(row.id, row.workspace_id);
    });
    return {};
  } },
];

// ---- feedback
const feedbackMetadata = z.record(z.string().max(128), z.unknown()).refine((m) => Object.keys(m).length <= 64 && JSON.stringify(m).length <= 16_384, 'at most 64 keys and 16 KiB');
const feedbackFields = { value: z.number().int().min(-10).max(10), weight: z.number().min(0).max(1).optional(), metadata: feedbackMetadata.optional() };
const feedbackRoutes: Route[] = [
  { method: 'POST', path: '/v1/feedback', access: access('member', 'feedback.create'), summary: 'Record feedback on a trace: value (-10..10), weight (0..1), metadata; one object or an array', handler: async (ctx) => {
    const one = z.strictObject({ trace_id: z.string().min(1).max(256), ...feedbackFields });
    const items = Array.isArray(ctx.body) ? parseBody(z.array(one).min(1).max(100), ctx.body) : [parseBody(one, ctx.body)];
    const ids = items.map(() => randomUUID());
    await write(ctx, 'feedback', async (tx, w) => {
      const now = new Date().toISOString();
      for (const [i, f] of items.entries()) {
        await tx.run(`INSERT INTO feedback (id, organisation_id, workspace_id, trace_id, value, weight, metadata, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [ids[i], ctx.principal.organisationId, ctx.ws.id, f.trace_id, f.value, f.weight ?? 1, JSON.stringify(f.metadata ?? {}), now, now]);
      }
      w.subject(ids[0], ctx.ws.id);
    });
    return { status: 'success', message: 'Feedback successfully saved', feedback_ids: ids };
  } },
  { method: 'PUT', path: '/v1/feedback/:id', access: access('member', 'feedback.update'), summary: 'Change a feedback\'s value, weight or metadata', handler: async (ctx) => {
    // The SDK repeats the id in the body (as feedback_id).
    const body = parseBody(z.strictObject({ ...feedbackFields, feedback_id: z.string().optional() }), ctx.body);
    if (body.feedback_id !== undefined && body.feedback_id !== ctx.params.id) throw invalid(`feedback_id ${body.feedback_id} differs from the path's ${ctx.params.id}`, 'feedback_id');
    await write(ctx, 'feedback', async (tx, w) => {
      const where = ctx.ws.filter ? ` AND workspace_id = ?` : '';
      const n = await tx.run(`UPDATE feedback SET value = ?, weight = COALESCE(?, weight), metadata = COALESCE(?, metadata), last_updated_at = ? WHERE id = ? AND organisation_id = ?${where}`, [
        body.value, body.weight ?? null, body.metadata ? JSON.stringify(body.metadata) : null, new Date().toISOString(), ctx.params.id, ctx.principal.organisationId, ...(ctx.ws.filter ? [ctx.ws.filter] : []),
      ]);
      if (n === 0) throw notFound('Feedback', ctx.params.id, 'id');
      w.subject(ctx.params.id, ctx.ws.id);
    });
    return { status: 'success', message: 'Feedback successfully updated', feedback_ids: [ctx.params.id] };
  } },
];

export const catalogRoutes: Route[] = [...collectionRoutes, ...labelRoutes, ...partialRoutes, ...guardrailRoutes, ...feedbackRoutes];
