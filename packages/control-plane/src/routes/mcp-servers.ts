import { GatewayError } from '@portico/contract';
import { invalid } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { parseBody } from '../http/validate.js';
import { McpError, probeMcpServer } from '../mcp/client.js';
import { bulkCapabilities, bulkUserAccess, createMcpServer, updateMcpServer } from '../mcp/schema.js';
import { capabilityPage, capKey, enabledFor, findIntegration, freshCapabilities, headersFor, presentCapability, presentConfigurations, type IntegrationData, type ServerData } from '../mcp/store.js';
import { insertResource, mustFind, parse, slugFrom, updateResource, type ResourceRow } from '../store/resources.js';
import { write } from '../store/write.js';

/**
 * /v1/mcp-servers: an MCP integration made available in one workspace. /test and /capabilities
 * really connect to the MCP server (Streamable HTTP, under the egress policy, bounded). Portico runs
 * no per-user OAuth, so servers have no user connections; user access is an allow/deny list.
 */
async function findServer(ctx: Ctx): Promise<{ server: ResourceRow; integration: ResourceRow }> {
  const server = await mustFind(ctx.services.db, ctx.principal.organisationId, 'mcp-server', ctx.params.id, ctx.ws.filter, 'mcpServerId');
  const integration = await ctx.services.db.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [server.parent_id]);
  if (!integration) throw new GatewayError({ status: 409, code: 'conflict', type: 'invalid_request_error', message: `MCP server "${server.slug}" has lost its MCP integration; delete it` });
  return { server, integration };
}

function presentServer(server: ResourceRow, integration: ResourceRow) {
  const d = parse<ServerData>(server.data);
  const i = parse<IntegrationData>(integration.data);
  return {
    id: server.id, slug: server.slug, name: server.name, status: server.status, description: d.description ?? null, created_at: server.created_at,
    mcp_integration_id: integration.id, workspace_id: server.workspace_id,
    mcp_integration_details: { id: integration.id, slug: integration.slug, status: integration.status, configurations: presentConfigurations(i), url: i.url, transport: i.transport, auth_type: i.auth_type },
  };
}

async function create(ctx: Ctx) {
  const body = parseBody(createMcpServer, ctx.body);
  const integration = await mustFind(ctx.services.db, ctx.principal.organisationId, 'mcp-integration', body.mcp_integration_id, ctx.ws.id, 'mcp_integration_id');
  if (!enabledFor(integration, ctx.ws.id)) throw invalid(`MCP integration "${integration.slug}" is not enabled for this workspace; an org admin enables it with PUT /v1/mcp-integrations/${integration.slug}/workspaces`, 'mcp_integration_id', 'invalid_field');
  return write(ctx, 'mcp_server', async (tx, w) => {
    const data: ServerData = { description: body.description ?? null, disabled: [], user_access: {}, default_user_access: 'allow', owner_id: ctx.principal.actorId };
    const row = await insertResource(tx, { organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind: 'mcp-server', slug: body.slug ?? slugFrom(body.name), name: body.name, parentId: integration.id, data });
    w.subject(row.id, ctx.ws.id);
    return { id: row.id, slug: row.slug };
  });
}

async function list(ctx: Ctx) {
  const size = Number(ctx.query.get('page_size') ?? 100);
  const page = Number(ctx.query.get('current_page') ?? 0);
  if (!Number.isInteger(size) || size < 1 || size > 100) throw invalid('page_size must be an integer from 1 to 100', 'page_size');
  if (!Number.isInteger(page) || page < 0) throw invalid('current_page must be an integer of 0 or more', 'current_page');
  const search = ctx.query.get('search');
  if (search !== null && search.length > 255) throw invalid('search must be at most 255 characters', 'search');
  const ids = ctx.query.get('id')?.split(',').map((s) => s.trim()).filter(Boolean);
  const rows = await ctx.services.db.all<ResourceRow & { i_slug: string | null; i_data: string | null; ws_name: string; ws_slug: string }>(
    `SELECT r.*, i.slug AS i_slug, i.data AS i_data, w.name AS ws_name, w.slug AS ws_slug FROM resources r LEFT JOIN resources i ON i.id = r.parent_id JOIN workspaces w ON w.id = r.workspace_id
     WHERE r.organisation_id = ? AND r.kind = 'mcp-server' AND r.workspace_id = ? ORDER BY r.created_at DESC, r.id`, [ctx.principal.organisationId, ctx.ws.id]);
  const matching = rows.filter((r) => (!ids || ids.includes(r.id) || ids.includes(r.slug)) && (!search || r.name.toLowerCase().includes(search.toLowerCase()) || r.slug.includes(search)));
  const data = matching.slice(page * size, (page + 1) * size).map((r) => {
    const d = parse<ServerData>(r.data);
    const i = parse<IntegrationData>(r.i_data);
    return {
      id: r.id, organisation_id: r.organisation_id, name: r.name, description: d.description ?? null, status: r.status, created_at: r.created_at, owner_id: d.owner_id, slug: r.slug,
      workspace_id: r.workspace_id, mcp_integration_id: r.parent_id ?? '', mcp_integration_slug: r.i_slug, mcp_integration_url: i.url ?? null, auth_type: i.auth_type ?? 'none',
      workspace_name: r.ws_name, workspace_slug: r.ws_slug,
    };
  });
  return { data, total: matching.length };
}

async function update(ctx: Ctx) {
  const body = parseBody(updateMcpServer, ctx.body);
  if (Object.keys(body).length === 0) throw invalid('Send at least one field to update (name, description)', null, 'invalid_field');
  await write(ctx, 'mcp_server', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'mcp-server', ctx.params.id, ctx.ws.filter, 'mcpServerId');
    const d = parse<ServerData>(row.data);
    await updateResource(tx, row.id, { name: body.name, data: JSON.stringify({ ...d, description: body.description !== undefined ? body.description : d.description }) });
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function remove(ctx: Ctx) {
  await write(ctx, 'mcp_server', async (tx, w) => {
    const row = await mustFind(tx, ctx.principal.organisationId, 'mcp-server', ctx.params.id, ctx.ws.filter, 'mcpServerId');
    await tx.run(`DELETE FROM resources WHERE id = ?`, [row.id]);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

/** Connects and initializes: success and timing, or what went wrong (the answer is 200 either way, as in Portkey's document). */
async function test(ctx: Ctx) {
  const { server, integration } = await findServer(ctx);
  const i = parse<IntegrationData>(integration.data);
  const started = Date.now();
  try {
    if (!enabledFor(integration, server.workspace_id!)) throw new McpError(`MCP integration "${integration.slug}" is no longer enabled for this workspace`);
    const { info, ms } = await probeMcpServer(i.url, await headersFor(ctx, integration), ctx.services.egress, false, (ok) => ctx.services.metrics.mcpConnections.inc({ result: ok ? 'ok' : 'error' }));
    return { success: true, status_code: info.statusCode, response_time_ms: ms, url: i.url, server_name: info.name ?? server.name, error: null };
  } catch (e) {
    const message = e instanceof McpError ? e.message : e instanceof GatewayError ? e.message : undefined;
    if (message === undefined) throw e;
    return { success: false, status_code: e instanceof McpError ? e.statusCode ?? null : null, response_time_ms: Date.now() - started, url: i.url, server_name: server.name, error: message };
  }
}

async function listCapabilities(ctx: Ctx) {
  const { server, integration } = await findServer(ctx);
  const { capabilities } = await freshCapabilities(ctx, integration);
  const offByIntegration = new Set(parse<IntegrationData>(integration.data).disabled ?? []);
  const offByServer = new Set(parse<ServerData>(server.data).disabled ?? []);
  return capabilityPage(ctx, capabilities.map((c) => {
    const integrationEnabled = !offByIntegration.has(capKey(c.type, c.name));
    return presentCapability(c, integrationEnabled && !offByServer.has(capKey(c.type, c.name)), { created_at: server.created_at }, { integration_enabled: integrationEnabled }); 
  }));
}

async function updateCapabilities(ctx: Ctx) {
  const body = parseBody(bulkCapabilities, ctx.body);
  const found = await findServer(ctx);
  const { capabilities } = await freshCapabilities(ctx, found.integration);
  const known = new Set(capabilities.map((c) => capKey(c.type, c.name)));
  const offByIntegration = new Set(parse<IntegrationData>(found.integration.data).disabled ?? []);
  for (const [i, c] of body.capabilities.entries()) {
    const key = capKey(c.type, c.name);
    if (!known.has(key)) throw invalid(`capabilities.${i}: the MCP server offers no ${c.type} named "${c.name.slice(0, 100)}"`, `capabilities.${i}.name`, 'invalid_field');
    if (c.enabled && offByIntegration.has(key)) throw invalid(`capabilities.${i}: ${c.type} "${c.name.slice(0, 100)}" is disabled on the MCP integration; enable it there first`, `capabilities.${i}.enabled`, 'invalid_field');
  }
  await write(ctx, 'mcp_server', async (tx, w) => {
    const row = (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [found.server.id]))!;
    const d = parse<ServerData>(row.data);
    const off = new Set(d.disabled ?? []);
    for (const c of body.capabilities) c.enabled ? off.delete(capKey(c.type, c.name)) : off.add(capKey(c.type, c.name));
    await updateResource(tx, row.id, { data: JSON.stringify({ ...d, disabled: [...off] }) });
    w.subject(row.id, row.workspace_id);
  });
  return { success: true };
}

interface MemberRow { id: string; first_name: string | null; last_name: string | null; email: string }

const members = (ctx: Ctx, workspaceId: string) =>
  ctx.services.db.all<MemberRow>(`SELECT u.id, u.first_name, u.last_name, u.email FROM users u JOIN workspace_members m ON m.user_id = u.id WHERE m.workspace_id = ? ORDER BY u.email`, [workspaceId]);

async function listUserAccess(ctx: Ctx) {
  const { server } = await findServer(ctx);
  const d = parse<ServerData>(server.data);
  const page = Number(ctx.query.get('page') ?? 1);
  const size = Number(ctx.query.get('page_size') ?? 100);
  if (!Number.isInteger(page) || page < 1) throw invalid('page must be an integer of 1 or more', 'page');
  if (!Number.isInteger(size) || size < 1 || size > 500) throw invalid('page_size must be an integer from 1 to 500', 'page_size');
  const search = ctx.query.get('search')?.toLowerCase();
  const all = (await members(ctx, server.workspace_id!)).filter((u) => !search || `${u.first_name ?? ''} ${u.last_name ?? ''} ${u.email}`.toLowerCase().includes(search));
  const fallback = (d.default_user_access ?? 'allow') === 'allow';
  const data = all.slice((page - 1) * size, page * size).map((u) => {
    const override = d.user_access?.[u.id];
    return { user_id: u.id, first_name: u.first_name, last_name: u.last_name, enabled: override ?? fallback, has_override: override !== undefined, connection_status: 'not_connected' };
  });
  return { data, default_user_access: d.default_user_access ?? 'allow', total: all.length, has_more: page * size < all.length };
}

async function updateUserAccess(ctx: Ctx) {
  const body = parseBody(bulkUserAccess, ctx.body ?? {});
  if (!body.user_access && !body.default_user_access) throw invalid('Send user_access, default_user_access or both', 'user_access', 'invalid_field');
  const { server } = await findServer(ctx);
  const ids = new Set((await members(ctx, server.workspace_id!)).map((u) => u.id));
  for (const [i, u] of (body.user_access ?? []).entries()) {
    if (!ids.has(u.user_id)) throw invalid(`user_access.${i}.user_id: "${u.user_id.slice(0, 100)}" is not a member of this MCP server's workspace`, `user_access.${i}.user_id`, 'invalid_field');
  }
  await write(ctx, 'mcp_server', async (tx, w) => {
    const row = (await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [server.id]))!;
    const d = parse<ServerData>(row.data);
    const access = { ...(d.user_access ?? {}) };
    for (const u of body.user_access ?? []) access[u.user_id] = u.enabled;
    await updateResource(tx, row.id, { data: JSON.stringify({ ...d, user_access: access, default_user_access: body.default_user_access ?? d.default_user_access ?? 'allow' }) });
    w.subject(row.id, row.workspace_id);
  });
  return { success: true };
}

async function listConnections(ctx: Ctx) {
  await findServer(ctx);
  const size = Number(ctx.query.get('page_size') ?? 100);
  if (!Number.isInteger(size) || size < 1 || size > 500) throw invalid('page_size must be an integer from 1 to 500', 'page_size');
  // No OAuth flows run here, so no user ever holds a connection (tokens) to an MCP server.
  return { data: [], total: 0, has_more: false };
}

async function deleteConnection(ctx: Ctx) {
  const { server } = await findServer(ctx);
  const user = ctx.query.get('user_id') ?? ctx.principal.userId;
  if (!user) throw invalid('user_id is required with a service API key: the user whose connection to remove', 'user_id', 'missing_parameter');
  throw new GatewayError({ status: 404, code: 'not_found', message: `MCP server "${server.slug}" has no connection for user "${user.slice(0, 100)}": Portico runs no per-user OAuth, so MCP servers hold no user connections` });
}

const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

export const mcpServerRoutes: Route[] = [
  { method: 'POST', path: '/v1/mcp-servers', access: access('workspace_admin', 'mcp_servers.create'), summary: 'Create an MCP server: an MCP integration made available in a workspace', handler: create },
  { method: 'GET', path: '/v1/mcp-servers', access: access('member', 'mcp_servers.list'), summary: 'List a workspace\'s MCP servers (id, search, paging)', handler: list },
  { method: 'GET', path: '/v1/mcp-servers/:id', access: access('member', 'mcp_servers.read'), summary: 'Get an MCP server with its integration\'s details', handler: async (ctx) => {
    const { server, integration } = await findServer(ctx);
    return presentServer(server, integration);
  } },
  { method: 'PUT', path: '/v1/mcp-servers/:id', access: access('workspace_admin', 'mcp_servers.update'), summary: 'Update an MCP server\'s name or description', handler: update },
  { method: 'DELETE', path: '/v1/mcp-servers/:id', access: access('workspace_admin', 'mcp_servers.delete'), summary: 'Delete an MCP server', handler: remove },
  { method: 'POST', path: '/v1/mcp-servers/:id/test', access: access('workspace_admin', 'mcp_servers.read'), summary: 'Connect to the MCP server and initialize a session: success, status and time, or the error', handler: test },
  { method: 'GET', path: '/v1/mcp-servers/:id/capabilities', access: access('member', 'mcp_servers.read'), summary: 'List the MCP server\'s tools, prompts and resources with what this server and its integration enable', handler: listCapabilities },
  { method: 'PUT', path: '/v1/mcp-servers/:id/capabilities', access: access('workspace_admin', 'mcp_servers.update'), summary: 'Enable or disable capabilities on this MCP server (within what its integration enables)', handler: updateCapabilities },
  { method: 'GET', path: '/v1/mcp-servers/:id/user-access', access: access('workspace_admin', 'mcp_servers.read'), summary: 'List the workspace\'s users with whether each may use the MCP server', handler: listUserAccess },
  { method: 'PUT', path: '/v1/mcp-servers/:id/user-access', access: access('workspace_admin', 'mcp_servers.update'), summary: 'Allow or deny users, and set the default for users without an override', handler: updateUserAccess },
  { method: 'GET', path: '/v1/mcp-servers/:id/connections', access: access('member', 'mcp_servers.read'), summary: 'List users\' connections to the MCP server (always none: Portico runs no per-user OAuth)', handler: listConnections },
  { method: 'DELETE', path: '/v1/mcp-servers/:id/connections', access: access('workspace_admin', 'mcp_servers.update'), summary: 'Remove a user\'s connection (404: Portico keeps none)', handler: deleteConnection },
];
