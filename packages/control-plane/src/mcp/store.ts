import { catalogued, GatewayError } from '@portico/contract';
import { invalid, notFound } from '../http/errors.js';
import type { Ctx } from '../http/router.js';
import { extractValue, type ReferenceData } from '../secret-references/resolver.js';
import type { SecretMapping } from '../secret-references/mappings.js';
import { mustFind, parse, updateResource, type ResourceRow } from '../store/resources.js';
import { McpError, probeMcpServer, type RawCapability } from './client.js';

/**
 * What MCP integrations and servers keep, and the connection to the MCP server behind them. The
 * integration's custom headers are sealed (they usually carry a token) and shown masked; mapped
 * secret references are read when connecting. Capabilities are synced from the server (tools/list
 * and the other lists) and kept with the integration; each server may switch off what its
 * integration allows.
 */
export interface IntegrationData {
  description?: string | null;
  url: string;
  auth_type: 'headers' | 'none';
  transport: 'http';
  configurations: { passthrough_header?: Record<string, unknown> };
  header_names: string[];
  secret_mappings?: SecretMapping[];
  global_workspace_access: { enabled: boolean } | null;
  workspace_access: Record<string, { enabled: boolean; at: string }>;
  capabilities?: Capability[];
  /** "type:name" switched off at the integration. */
  disabled?: string[];
  metadata?: Metadata;
  owner_id: string;
}

export interface ServerData {
  description?: string | null;
  disabled?: string[];
  user_access?: Record<string, boolean>;
  default_user_access?: 'allow' | 'deny';
  owner_id: string;
}

export interface Capability {
  name: string;
  type: RawCapability['type'];
  title: string | null;
  description: string | null;
  icons: unknown[] | null;
  input_schema: Record<string, unknown> | null;
  output_schema: Record<string, unknown> | null;
  execution: Record<string, unknown> | null;
  annotations: Record<string, unknown> | null;
  arguments: unknown[] | null;
  uri: string | null;
  uri_template: string | null;
  mime_type: string | null;
  size: number | null;
  synced_at: string;
}

export interface Metadata {
  server_name: string | null;
  server_version: string | null;
  protocol_version: string | null;
  capability_flags: Record<string, unknown> | null;
  sync_status: 'pending' | 'synced' | 'failed';
  last_synced_at: string | null;
  sync_error: string | null;
}

export const PENDING: Metadata = { server_name: null, server_version: null, protocol_version: null, capability_flags: null, sync_status: 'pending', last_synced_at: null, sync_error: null };
const SYNC_MAX_AGE_MS = 60_000;

const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);
const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 10_000) : null);

export function toCapability(raw: RawCapability, now: string): Capability {
  const i = raw.item;
  return {
    name: String(i.name).slice(0, 500), type: raw.type, title: str(i.title), description: str(i.description), icons: Array.isArray(i.icons) ? i.icons.slice(0, 10) : null,
    input_schema: obj(i.inputSchema), output_schema: obj(i.outputSchema), execution: obj(i.execution), annotations: obj(i.annotations),
    arguments: Array.isArray(i.arguments) ? i.arguments.slice(0, 100) : null, uri: str(i.uri), uri_template: str(i.uriTemplate), mime_type: str(i.mimeType),
    size: typeof i.size === 'number' ? i.size : null, synced_at: now,
  };
}

export const capKey = (type: string, name: string) => `${type}:${name}`;

/** Whether an organisation-wide integration is enabled for a workspace (a workspace one is for its own). */
export function enabledFor(row: ResourceRow, workspaceId: string): boolean {
  if (row.workspace_id) return row.workspace_id === workspaceId;
  const d = parse<IntegrationData>(row.data);
  const explicit = d.workspace_access?.[workspaceId];
  return explicit ? explicit.enabled : Boolean(d.global_workspace_access?.enabled);
}

const isOrgAdmin = (ctx: Ctx) => ctx.principal.orgRole === 'org_admin' && !ctx.principal.boundWorkspaceId;

/** An integration the caller may see: its workspace's, or an organisation-wide one enabled there (an org admin sees all). */
export async function findIntegration(ctx: Ctx, idOrSlug: string): Promise<ResourceRow> {
  const row = await mustFind(ctx.services.db, ctx.principal.organisationId, 'mcp-integration', idOrSlug, ctx.ws?.filter ?? null, 'mcpIntegrationId');
  if (!row.workspace_id && ctx.ws && !isOrgAdmin(ctx) && !enabledFor(row, ctx.ws.id)) throw notFound('MCP integration', idOrSlug, 'mcpIntegrationId');
  return row;
}

/** Changing an organisation-wide integration takes an org admin. */
export function mayChange(ctx: Ctx, row: ResourceRow): void {
  if (!row.workspace_id && !isOrgAdmin(ctx)) throw new GatewayError({ status: 403, code: 'insufficient_role', message: 'Only an organisation admin changes an organisation-wide MCP integration' });
}

/** The headers sent to the MCP server: the sealed custom headers, with mapped secret references applied. */
export async function headersFor(ctx: Ctx, row: ResourceRow): Promise<Record<string, string>> {
  const d = parse<IntegrationData>(row.data);
  if (d.auth_type === 'none' && !d.secret_mappings?.length) return {};
  const sealed = row.secret ? (JSON.parse(ctx.services.envelope.decrypt(row.secret)) as { custom_headers?: Record<string, string> }) : {};
  const headers: Record<string, string> = { ...(sealed.custom_headers ?? {}) };
  for (const m of d.secret_mappings ?? []) {
    const ref = await mustFind(ctx.services.db, ctx.principal.organisationId, 'secret-reference', m.secret_reference_id, null, 'secret_mappings');
    const value = extractValue(ref, await ctx.services.secretValues.resolve(ref), m.secret_key ?? parse<ReferenceData>(ref.data).secret_key, m.value_format);
    if (m.target_field === 'configurations.custom_headers') {
      const h = obj(typeof value === 'string' ? safeJson(value) : value);
      if (!h || !Object.values(h).every((v) => typeof v === 'string' && !/[\r\n\0]/.test(v))) throw invalid(`Secret reference "${ref.slug}" mapped to configurations.custom_headers must hold a JSON object of header names to string values`, 'secret_mappings', 'invalid_field');
      Object.assign(headers, h);
    }
  }
  return headers;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Connects to the integration's server and stores what it offers; failures are recorded in its metadata and thrown. */
export async function syncCapabilities(ctx: Ctx, row: ResourceRow): Promise<ResourceRow> {
  const d = parse<IntegrationData>(row.data);
  const now = new Date().toISOString();
  try {
    const { info, capabilities } = await probeMcpServer(d.url, await headersFor(ctx, row), ctx.services.egress, true, (ok) => ctx.services.metrics.mcpConnections.inc({ result: ok ? 'ok' : 'error' }));
    const metadata: Metadata = { server_name: info.name, server_version: info.version, protocol_version: info.protocolVersion, capability_flags: info.capabilities, sync_status: 'synced', last_synced_at: now, sync_error: null };
    return await mergeSynced(ctx, row.id, { capabilities: capabilities.map((c) => toCapability(c, now)), metadata });
  } catch (e) {
    if (!(e instanceof McpError)) throw e;
    await mergeSynced(ctx, row.id, { metadata: { ...(d.metadata ?? PENDING), sync_status: 'failed', sync_error: e.message } });
    throw unreachable(row, e);
  }
}

/** Writes what a sync learnt onto the row as it is now, so an admin change made meanwhile is kept. */
function mergeSynced(ctx: Ctx, id: string, fields: Partial<IntegrationData>): Promise<ResourceRow> {
  return ctx.services.db.transaction(async (tx) => {
    const current = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [id]);
    if (!current) throw notFound('MCP integration', id, 'mcpIntegrationId');
    return updateResource(tx, id, { data: JSON.stringify({ ...parse<IntegrationData>(current.data), ...fields }) });
  });
}

export function unreachable(row: ResourceRow, e: McpError): GatewayError {
  return catalogued('mcp_server_unreachable', `MCP integration "${row.slug}": ${e.message}`);
}

/** The stored capabilities, synced first when never synced or older than a minute; a failed refresh keeps the stored list. */
export async function freshCapabilities(ctx: Ctx, row: ResourceRow): Promise<{ row: ResourceRow; capabilities: Capability[] }> {
  const d = parse<IntegrationData>(row.data);
  const last = d.metadata?.last_synced_at ? Date.parse(d.metadata.last_synced_at) : 0;
  if (d.capabilities && Date.now() - last < SYNC_MAX_AGE_MS) return { row, capabilities: d.capabilities };
  try {
    const next = await syncCapabilities(ctx, row);
    return { row: next, capabilities: parse<IntegrationData>(next.data).capabilities ?? [] };
  } catch (e) {
    if (d.capabilities && e instanceof GatewayError && e.code === 'mcp_server_unreachable') return { row, capabilities: d.capabilities };
    throw e;
  }
}

/** Capability list query: page (1-based), page_size (1–500), type. */
export function capabilityPage<T extends { type: string; enabled: boolean }>(ctx: Ctx, items: T[]) {
  const page = Number(ctx.query.get('page') ?? 1);
  const size = Number(ctx.query.get('page_size') ?? 100);
  const type = ctx.query.get('type');
  if (!Number.isInteger(page) || page < 1) throw invalid('page must be an integer of 1 or more', 'page');
  if (!Number.isInteger(size) || size < 1 || size > 500) throw invalid('page_size must be an integer from 1 to 500', 'page_size');
  if (type !== null && !['tool', 'prompt', 'resource', 'resource_template'].includes(type)) throw invalid('type must be tool, prompt, resource or resource_template', 'type');
  const count = (t: string) => ({ total: items.filter((c) => c.type === t).length, enabled: items.filter((c) => c.type === t && c.enabled).length });
  const filtered = type ? items.filter((c) => c.type === type) : items;
  const data = filtered.slice((page - 1) * size, page * size);
  return { data, counts: { tools: count('tool'), prompts: count('prompt'), resources: count('resource'), resource_templates: count('resource_template') }, total: filtered.length, has_more: page * size < filtered.length };
}

export function presentCapability(c: Capability, enabled: boolean, times: { created_at: string }, extra: Record<string, unknown> = {}) {
  const { synced_at, ...rest } = c;
  return { ...rest, enabled, created_at: times.created_at, last_updated_at: synced_at, ...extra };
}

/** custom_headers shown with masked values. */
export function presentConfigurations(d: IntegrationData): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d.configurations };
  if (d.header_names?.length) out.custom_headers = Object.fromEntries(d.header_names.map((h) => [h, '********']));
  return out;
}
