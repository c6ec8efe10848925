import { z } from 'zod';
import { invalid } from '../http/errors.js';
import { parseHttpUrl } from '../egress/policy.js';
import { secretMappings } from '../secret-references/mappings.js';

/**
 * MCP integrations (an MCP server's URL and how to authenticate to it, organisation- or
 * workspace-wide) and MCP servers (an integration made available in a workspace), as Portkey's
 * document defines them. Portico speaks MCP's Streamable HTTP transport with no auth or with
 * headers; the OAuth flows and the older SSE transport are refused by name.
 */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
const FORBIDDEN_HEADERS = ['host', 'content-length', 'connection', 'transfer-encoding', 'upgrade', 'keep-alive', 'te', 'trailer', 'mcp-session-id', 'mcp-protocol-version', 'content-type', 'accept'];

const customHeaders = z.record(z.string(), z.unknown()).superRefine((h, ctx) => {
  const names = Object.keys(h);
  if (names.length > 50) ctx.addIssue({ code: 'custom', message: 'at most 50 headers' });
  for (const [k, v] of Object.entries(h)) {
    if (!HEADER_NAME.test(k)) ctx.addIssue({ code: 'custom', path: [k], message: 'is not a valid header name' });
    else if (FORBIDDEN_HEADERS.includes(k.toLowerCase())) ctx.addIssue({ code: 'custom', path: [k], message: 'is set by the MCP transport and cannot be configured' });
    else if (typeof v !== 'string' || v.length > 8192 || /[\r\n\0]/.test(v)) ctx.addIssue({ code: 'custom', path: [k], message: 'must be a string of at most 8192 characters without line breaks' });
  }
});
const configurations = z.strictObject({
  custom_headers: customHeaders.optional(),
  passthrough_header: z.record(z.string().max(100), z.unknown()).refine((h) => Object.keys(h).length <= 50, 'at most 50 headers').optional(),
});
export type McpConfigurations = z.infer<typeof configurations>;

const url = () => z.string().max(2048).superRefine((u, ctx) => {
  const parsed = parseHttpUrl(u);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});
const authType = z.enum(['oauth_auto', 'headers', 'none']);
const transport = z.enum(['http', 'sse']);
const slugField = () => z.string().min(1).max(100).regex(/^[a-zA-Z0-9_-]+$/, 'use letters, digits, "-" and "_" only');

export const createMcpIntegration = z.strictObject({
  organisation_id: z.string().max(64).optional(), workspace_id: z.string().max(128).optional(), slug: slugField().optional(),
  name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'), description: z.string().max(1000).nullable().optional(),
  configurations: configurations.optional(), url: url(), auth_type: authType, transport, secret_mappings: secretMappings.optional(),
});
export const updateMcpIntegration = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional(), description: z.string().max(1000).nullable().optional(),
  configurations: configurations.optional(), url: url().optional(), auth_type: authType.optional(), transport: transport.optional(), secret_mappings: secretMappings.optional(),
});
export const bulkWorkspaces = z.strictObject({
  workspaces: z.array(z.strictObject({ id: z.string().min(1).max(128), enabled: z.boolean() })).max(1000),
  global_workspace_access: z.strictObject({ enabled: z.boolean() }).nullable().optional(),
  override_existing_workspace_access: z.boolean().optional(),
});
export const bulkCapabilities = z.strictObject({
  capabilities: z.array(z.strictObject({ name: z.string().min(1).max(500), type: z.enum(['tool', 'prompt', 'resource']), enabled: z.boolean() })).min(1).max(1000),
});
export const createMcpServer = z.strictObject({
  workspace_id: z.string().max(128).optional(), name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  description: z.string().max(500).nullable().optional(), mcp_integration_id: z.string().min(1).max(255),
  slug: z.string().min(3).max(50).regex(/^[a-zA-Z0-9_-]+$/, 'use letters, digits, "-" and "_" only').optional(),
});
export const updateMcpServer = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional(), description: z.string().max(500).nullable().optional(),
});
export const bulkUserAccess = z.strictObject({
  user_access: z.array(z.strictObject({ user_id: z.string().min(1).max(128), enabled: z.boolean() })).max(1000).optional(),
  default_user_access: z.enum(['allow', 'deny']).optional(),
});

/** What Portico can connect with; the rest of the document's enums are refused, saying why. */
export function checkSupported(body: { auth_type?: string; transport?: string }): void {
  if (body.transport === 'sse') throw invalid('transport "sse" (MCP\'s older HTTP+SSE transport) is not supported by Portico; use "http" (Streamable HTTP)', 'transport', 'unsupported_mcp_transport');
  if (body.auth_type === 'oauth_auto') throw invalid('auth_type "oauth_auto" is not supported by Portico (it runs no OAuth flows); use "headers" with configurations.custom_headers, such as {"Authorization": "Bearer …"}', 'auth_type', 'unsupported_mcp_transport');
}
