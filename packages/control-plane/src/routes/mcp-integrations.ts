import { forbidden, invalid } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { parseBody } from '../http/validate.js';
import { bulkCapabilities, bulkWorkspaces, checkSupported, createMcpIntegration, updateMcpIntegration } from '../mcp/schema.js';
import { capabilityPage, capKey, enabledFor, findIntegration, freshCapabilities, mayChange, PENDING, presentCapability, presentConfigurations, type IntegrationData } from '../mcp/store.js';
import { checkMappings } from '../secret-references/mappings.js';
import { insertResource, listResources, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { findWorkspace } from '../store/workspaces.js';
import { write } from '../store/write.js';

/** /v1/mcp-integrations: an MCP server's URL and credentials, for one workspace or (org admins) the organisation. */
function present(row: ResourceRow, detail: boolean, workspacesCount?: number) {
  const d = parse<IntegrationData>(row.data);
  const out: Record<string, unknown> = {
    id: row.id, name: row.name, description: d.description ?? null, owner_id: d.owner_id, status: row.status, created_at: row.created_at, last_updated_at: row.last_updated_at,
    configurations: presentConfigurations(d), workspace_id: row.workspace_id, slug: row.slug, url: d.url, auth_type: d.auth_type, transport: d.transport,
    type: row.workspace_id ? 'workspace' : 'organisation',
  };
  if (d.secret_mappings?.length) out.secret_mappings = d.secret_mappings;
  if (detail) out.global_workspace_access = d.global_workspace_access;
  else out.workspaces_count = workspacesCount ?? null;
  return out;
}

async function create(ctx: Ctx) {
  const body = parseBody(createMcpIntegration, ctx.body);
  checkSupported(body);
  if (body.organisation_id && body.organisation_id !== ctx.principal.organisationId) throw invalid('organisation_id is not this key\'s organisation; leave it out', 'organisation_id', 'invalid_field');
  const workspaceId = body.workspace_id ? ctx.ws.id : null;
  if (!workspaceId && (ctx.principal.orgRole !== 'org_admin' || ctx.principal.boundWorkspaceId)) throw forbidden('An organisation-wide MCP integration needs an organisation admin; send workspace_id to make one for your workspace', 'insufficient_role');
  const headers = body.configurations?.custom_headers as Record<string, string> | undefined;
  if (body.auth_type === 'headers' && !headers && !body.secret_mappings?.length) throw invalid('auth_type "headers" needs configurations.custom_headers (or a secret_mappings entry for configurations.custom_headers)', 'configurations.custom_headers', 'invalid_field');
  const mappings = body.secret_mappings ? await checkMappings(ctx, 'mcp-integration', body.secret_mappings, workspaceId) : undefined;
  return write(ctx, 'mcp_integration', async (tx, w) => {
    const data: IntegrationData = {
      description: body.description ?? null, url: body.url, auth_type: body.auth_type as IntegrationData['auth_type'], transport: 'http',
      configurations: body.configurations?.passthrough_header ? { passthrough_header: body.configurations.passthrough_header } : {}, header_names: Object.keys(headers ?? {}),
      ...(mappings?.length ? { secret_mappings: mappings } : {}), global_workspace_access: null, workspace_access: {}, metadata: PENDING, owner_id: ctx.principal.actorId,
    };
    const row = await insertResource(tx, {
      organisationId: ctx.principal.organisationId, workspaceId, kind: 'mcp-integration', slug: body.slug ?? slugFrom(body.name), name: body.name, data,
      secret: ctx.services.envelope.encrypt(JSON.stringify({ custom_headers: headers ?? {} })),
    });
    w.subject(row.id, workspaceId);
    return { id: row.id, slug: row.slug };
  });
}

async function list(ctx: Ctx) {
  const type = ctx.query.get('type') ?? 'all';
  if (!['workspace', 'organisation', 'all'].includes(type)) throw invalid('type must be workspace, organisation or all', 'type');
  const size = Number(ctx.query.get('page_size') ?? 100);
  const page = Number(ctx.query.get('current_page') ?? 0);
  if (!Number.isInteger(size) || size < 1 || size > 1000) throw invalid('page_size must be an integer from 1 to 1000', 'page_size');
  if (!Number.isInteger(page) || page < 0) throw invalid('current_page must be an integer of 0 or more', 'current_page');
  const search = ctx.query.get('search')?.toLowerCase();
  const orgAdmin = ctx.principal.orgRole === 'org_admin' && !ctx.principal.boundWorkspaceId && !ctx.ws.named;
  const rows = (await listResources(ctx.services.db, ctx.principal.organisationId, 'mcp-integration', orgAdmin ? null : ctx.ws.id, { limit: 100_000, offset: 0 })).rows.filter((r) =>
    (type === 'all' || (type === 'workspace') === Boolean(r.workspace_id)) && (orgAdmin || Boolean(r.workspace_id) || enabledFor(r, ctx.ws.id)) && (!search || r.name.toLowerCase().includes(search) || r.slug.toLowerCase().includes(search)));
  const workspaces = await ctx.services.db.all<{ id: string }>(`SELECT id FROM workspaces WHERE organisation_id = ?`, [ctx.principal.organisationId]);
  const slice = rows.slice(page * size, (page + 1) * size);
  return { data: slice.map((r) => present(r, false, r.workspace_id ? 1 : workspaces.filter((ws) => enabledFor(r, ws.id)).length)), total: rows.length, has_more: (page + 1) * size < rows.length };
}

async function update(ctx: Ctx) {
  const body = parseBody(updateMcpIntegration, ctx.body);
  if (Object.keys(body).length === 0) throw invalid('Send at least one field to update (name, description, configurations, url, auth_type, transport, secret_mappings)', null, 'invalid_field');
  checkSupported(body);
  const before = await findIntegration(ctx, ctx.params.id);
  mayChange(ctx, before);
  const mappings = body.secret_mappings ? await checkMappings(ctx, 'mcp-integration', body.secret_mappings, before.workspace_id) : undefined;
  await write(ctx, 'mcp_integration', async (tx, w) => {
    const row = (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [before.id]))!;
    const d = parse<IntegrationData>(row.data);
    const headers = body.configurations?.custom_headers as Record<string, string> | undefined;
    const next: IntegrationData = {
      ...d, description: body.description !== undefined ? body.description : d.description, url: body.url ?? d.url, auth_type: (body.auth_type ?? d.auth_type) as IntegrationData['auth_type'],
      configurations: body.configurations ? (body.configurations.passthrough_header ? { passthrough_header: body.configurations.passthrough_header } : {}) : d.configurations,
      header_names: body.configurations ? Object.keys(headers ?? {}) : d.header_names, secret_mappings: mappings ?? d.secret_mappings,
      // A new URL or credentials may reach a different server: what was synced no longer holds.
      ...(body.url || body.configurations || body.secret_mappings ? { capabilities: undefined, metadata: PENDING } : {}),
    };
    await updateResource(tx, row.id, {
      name: body.name, data: JSON.stringify(next),
      secret: body.configurations ? ctx.services.envelope.encrypt(JSON.stringify({ custom_headers: headers ?? {} })) : undefined,
    });
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function remove(ctx: Ctx) {
  const row = await findIntegration(ctx, ctx.params.id);
  mayChange(ctx, row);
  await write(ctx, 'mcp_integration', async (tx, w) => {
    // Its MCP servers go with it, as providers go with their integration.
    await tx.run(`DELETE FROM resources WHERE kind = 'mcp-server' AND parent_id = ?`, [row.id]);
    await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function listWorkspaces(ctx: Ctx) {
  const row = await findIntegration(ctx, ctx.params.id);
  const d = parse<IntegrationData>(row.data);
  const all = await ctx.services.db.all<{ id: string; created_at: string; last_updated_at: string }>(`SELECT id, created_at, last_updated_at FROM workspaces WHERE organisation_id = ? ORDER BY created_at`, [ctx.principal.organisationId]);
  const visible = all.filter((ws) => (row.workspace_id ? ws.id === row.workspace_id : true) && (ctx.principal.orgRole === 'org_admin' && !ctx.principal.boundWorkspaceId ? true : ws.id === ctx.ws.id));
  const items = visible.map((ws) => ({ id: ws.id, enabled: enabledFor(row, ws.id), status: 'active', created_at: d.workspace_access[ws.id]?.at ?? row.created_at, last_updated_at: d.workspace_access[ws.id]?.at ?? row.last_updated_at }));
  if (ctx.query.get('version') !== null) return { data: items, global_workspace_access: d.global_workspace_access, total: items.length };
  return { workspaces: items, global_workspace_access: d.global_workspace_access };
}

async function updateWorkspaces(ctx: Ctx) {
  const body = parseBody(bulkWorkspaces, ctx.body);
  const found = await findIntegration(ctx, ctx.params.id);
  await write(ctx, 'mcp_integration', async (tx, w) => {
    // Read again inside the transaction (never through ctx.services.db there: SQLite serialises on one connection).
    const row = (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [found.id]))!;
    if (row.workspace_id) throw invalid('This MCP integration belongs to one workspace; only organisation-wide integrations are shared with workspaces', 'mcpIntegrationId', 'invalid_field');
    const d = parse<IntegrationData>(row.data);
    const now = new Date().toISOString();
    const access: IntegrationData['workspace_access'] = body.override_existing_workspace_access ? {} : { ...d.workspace_access };
    for (const [i, item] of body.workspaces.entries()) {
      const ws = await findWorkspace(tx, ctx.principal.organisationId, item.id);
      if (!ws) throw invalid(`workspaces.${i}.id: workspace "${item.id}" is not in this organisation`, `workspaces.${i}.id`, 'invalid_field');
      access[ws.id] = { enabled: item.enabled, at: now };
    }
    const global = body.global_workspace_access !== undefined ? body.global_workspace_access : d.global_workspace_access;
    await updateResource(tx, row.id, { data: JSON.stringify({ ...d, workspace_access: access, global_workspace_access: global }) });
    w.subject(row.id, null);
  });
  return {};
}

async function listCapabilities(ctx: Ctx) {
  const { row, capabilities } = await freshCapabilities(ctx, await findIntegration(ctx, ctx.params.id));
  const disabled = new Set(parse<IntegrationData>(row.data).disabled ?? []);
  return capabilityPage(ctx, capabilities.map((c) => presentCapability(c, !disabled.has(capKey(c.type, c.name)), { created_at: row.created_at }) ));
}

async function updateCapabilities(ctx: Ctx) {
  const body = parseBody(bulkCapabilities, ctx.body);
  const before = await findIntegration(ctx, ctx.params.id);
  mayChange(ctx, before);
  const { capabilities } = await freshCapabilities(ctx, before);
  const known = new Set(capabilities.map((c) => capKey(c.type, c.name)));
  for (const [i, c] of body.capabilities.entries()) {
    if (!known.has(capKey(c.type, c.name))) throw invalid(`capabilities.${i}: the MCP server offers no ${c.type} named "${c.name.slice(0, 100)}"`, `capabilities.${i}.name`, 'invalid_field');
  }
  await write(ctx, 'mcp_integration', async (tx, w) => {
    const row = (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [before.id]))!;
    const d = parse<IntegrationData>(row.data);
    const disabled = new Set(d.disabled ?? []);
    for (const c of body.capabilities) c.enabled ? disabled.delete(capKey(c.type, c.name)) : disabled.add(capKey(c.type, c.name));
    await updateResource(tx, row.id, { data: JSON.stringify({ ...d, disabled: [...disabled] }) });
    w.subject(row.id, row.workspace_id);
  });
  return { success: true };
}

async function metadata(ctx: Ctx) {
  const d = parse<IntegrationData>((await findIntegration(ctx, ctx.params.id)).data);
  return d.metadata ?? PENDING;
}

const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

export const mcpIntegrationRoutes: Route[] = [
  { method: 'POST', path: '/v1/mcp-integrations', access: access('workspace_admin', 'mcp_integrations.create'), summary: 'Create an MCP integration: an MCP server\'s URL (Streamable HTTP) and auth headers, for a workspace or (org admin) the organisation', handler: create },
  { method: 'GET', path: '/v1/mcp-integrations', access: access('member', 'mcp_integrations.list'), summary: 'List MCP integrations (type, search, paging)', handler: list },
  { method: 'GET', path: '/v1/mcp-integrations/:id', access: access('member', 'mcp_integrations.read'), summary: 'Get an MCP integration (header values masked)', handler: async (ctx) => present(await findIntegration(ctx, ctx.params.id), true) },
  { method: 'PUT', path: '/v1/mcp-integrations/:id', access: access('workspace_admin', 'mcp_integrations.update'), summary: 'Update an MCP integration; a new URL or credentials clears the synced capabilities', handler: update },
  { method: 'DELETE', path: '/v1/mcp-integrations/:id', access: access('workspace_admin', 'mcp_integrations.delete'), summary: 'Delete an MCP integration and the MCP servers made from it', handler: remove },
  { method: 'GET', path: '/v1/mcp-integrations/:id/workspaces', access: access('workspace_admin', 'mcp_integrations.read'), summary: 'List the workspaces an MCP integration is enabled for', handler: listWorkspaces },
  { method: 'PUT', path: '/v1/mcp-integrations/:id/workspaces', access: { kind: 'admin', level: 'org', role: 'org_admin', scope: 'mcp_integrations.update' }, summary: 'Enable or disable an organisation-wide MCP integration for workspaces', handler: updateWorkspaces },
  { method: 'GET', path: '/v1/mcp-integrations/:id/capabilities', access: access('member', 'mcp_integrations.read'), summary: 'List the tools, prompts and resources the MCP server offers (synced from it when over a minute old)', handler: listCapabilities },
  { method: 'PUT', path: '/v1/mcp-integrations/:id/capabilities', access: access('workspace_admin', 'mcp_integrations.update'), summary: 'Enable or disable an MCP integration\'s capabilities', handler: updateCapabilities },
  { method: 'GET', path: '/v1/mcp-integrations/:id/metadata', access: access('member', 'mcp_integrations.read'), summary: 'The MCP server\'s name, version, protocol and last sync', handler: metadata },
];
