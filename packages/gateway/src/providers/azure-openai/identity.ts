/**
 * Which Entra ID identity an Azure target (azure-openai, azure-ai) authenticates with, from Portkey's
 * settings. Pure apart from reading the Azure workload identity variables the platform injects.
 *
 *   azure_auth_mode "entra" + azure_entra_tenant_id / _client_id / _client_secret: client credentials;
 *   "entra" alone: the request's key (or azure_ad_token) is already an Entra bearer token;
 *   "workload": AKS workload identity: the federated token in AZURE_FEDERATED_TOKEN_FILE is exchanged
 *     at the tenant's token endpoint (AZURE_TENANT_ID; client id from azure_workload_client_id or AZURE_CLIENT_ID);
 *   "managed": the instance's managed identity from the metadata service (azure_managed_client_id
 *     picks a user-assigned one);
 *   "default" / "api-key" / unset: the key as the api-key header.
 *
 * Workload and managed identities are the gateway's own, not the caller's: lent as GATEWAY_CLOUD_IDENTITY
 * says (by default to saved credentials only), their tokens go only to Azure's hosts, never to a
 * custom_host, and only for the Azure AI scopes.
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ProviderTarget } from '../types.js';

/** For docs/providers.md: the Entra identities both Azure providers take. */
export const AZURE_ENTRA_AUTH_MODES = [
  'entra client credentials (x-portkey-azure-entra-*)',
  'workload identity (x-portkey-azure-auth-mode: workload, AZURE_FEDERATED_TOKEN_FILE)',
  'managed identity (x-portkey-azure-auth-mode: managed, x-portkey-azure-managed-client-id)',
];

export const DEFAULT_ENTRA_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** Scopes the gateway's own identities may be asked for: Azure OpenAI / AI services, and Azure ML endpoints. */
const AMBIENT_SCOPES = new Set([DEFAULT_ENTRA_SCOPE, 'https://ml.azure.com/.default', 'https://ai.azure.com/.default']);
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9.-]{0,127}$/;
const CLIENT_ID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MODES = new Set(['', 'default', 'api-key', 'apikey', 'entra', 'managed', 'workload']);

export type EntraIdentity =
  | { kind: 'client-secret'; tenant: string; clientId: string; secret: string; scope: string }
  | { kind: 'workload'; tenant: string; clientId: string; tokenFile: string; scope: string }
  | { kind: 'managed'; clientId?: string; scope: string };

/** The identity whose token the target needs, or undefined when its key is sent as it is. */
export function entraIdentity(provider: string, target: ProviderTarget, env: NodeJS.ProcessEnv = process.env): EntraIdentity | undefined {
  const s = target.settings;
  const mode = (s.azure_auth_mode ?? '').trim().toLowerCase();
  if (!MODES.has(mode)) {
    throw badRequest(`${provider}: x-portkey-azure-auth-mode must be entra, managed, workload or default, not "${s.azure_auth_mode}"`, 'x-portkey-azure-auth-mode', 'invalid_value');
  }
  if (mode === 'entra') return clientCredentials(provider, target);
  if (mode !== 'managed' && mode !== 'workload') return undefined;
  if (target.gatewayIdentity === false) {
    // GATEWAY_CLOUD_IDENTITY: the gateway's own identity is lent only to what the operator saved (by default).
    throw new GatewayError({
      status: 403, type: 'permission_error', code: 'gateway_identity_refused', provider, param: 'x-portkey-azure-auth-mode',
      message: `${provider}: azure_auth_mode ${mode} uses the gateway's own Azure identity, which this gateway lends only to saved provider credentials. Send an api-key or Entra client credentials, or use a virtual key or saved config your operator made.`,
    });
  }
  if (target.customHost) {
    throw badRequest(`${provider}: the gateway's ${mode} identity is sent only to Azure's own hosts, not to a custom_host; use x-portkey-azure-resource-name${provider === 'azure-ai' ? ' or x-portkey-azure-foundry-url' : ''}`, 'custom_host', 'invalid_value');
  }
  const scope = s.azure_entra_scope || DEFAULT_ENTRA_SCOPE;
  if (!AMBIENT_SCOPES.has(scope)) {
    throw badRequest(`${provider}: the gateway's ${mode} identity issues tokens only for ${[...AMBIENT_SCOPES].join(', ')}; x-portkey-azure-entra-scope is "${scope.slice(0, 100)}"`, 'x-portkey-azure-entra-scope', 'invalid_value');
  }
  if (mode === 'managed') {
    const clientId = s.azure_managed_client_id?.trim() || undefined;
    if (clientId !== undefined && !CLIENT_ID_RE.test(clientId)) throw badRequest(`${provider}: x-portkey-azure-managed-client-id must be the managed identity's client id (a GUID)`, 'x-portkey-azure-managed-client-id', 'invalid_value');
    return { kind: 'managed', clientId, scope };
  }
  const clientId = s.azure_workload_client_id?.trim() || env.AZURE_CLIENT_ID;
  const tenant = env.AZURE_TENANT_ID;
  const tokenFile = env.AZURE_FEDERATED_TOKEN_FILE;
  if (!tenant || !tokenFile || !clientId) {
    const missing = [!tenant && 'AZURE_TENANT_ID', !tokenFile && 'AZURE_FEDERATED_TOKEN_FILE', !clientId && 'AZURE_CLIENT_ID (or x-portkey-azure-workload-client-id)'].filter(Boolean).join(', ');
    throw badRequest(`${provider}: workload identity needs ${missing}; the AKS workload identity webhook sets them on a pod whose service account is federated`, 'x-portkey-azure-auth-mode', 'missing_parameter');
  }
  if (!CLIENT_ID_RE.test(clientId)) throw badRequest(`${provider}: the workload identity client id must be a GUID`, 'x-portkey-azure-workload-client-id', 'invalid_value');
  if (!TENANT_RE.test(tenant)) throw badRequest(`${provider}: AZURE_TENANT_ID must be a tenant id (GUID) or domain`, 'x-portkey-azure-auth-mode', 'invalid_value');
  return { kind: 'workload', tenant, clientId, tokenFile, scope };
}

function clientCredentials(provider: string, target: ProviderTarget): EntraIdentity | undefined {
  const s = target.settings;
  const tenant = s.azure_entra_tenant_id;
  const clientId = s.azure_entra_client_id;
  const secret = s.azure_entra_client_secret;
  if (!tenant && !clientId && !secret) return undefined; // entra with a ready token (azure_ad_token or the request key)
  if (!tenant || !clientId || !secret) {
    throw badRequest(`${provider}: Entra client credentials need x-portkey-azure-entra-tenant-id, -client-id and -client-secret together`, !tenant ? 'x-portkey-azure-entra-tenant-id' : !clientId ? 'x-portkey-azure-entra-client-id' : 'x-portkey-azure-entra-client-secret');
  }
  if (!TENANT_RE.test(tenant)) throw badRequest(`${provider}: x-portkey-azure-entra-tenant-id must be a tenant id (GUID) or domain`, 'x-portkey-azure-entra-tenant-id');
  return { kind: 'client-secret', tenant, clientId, secret, scope: s.azure_entra_scope || DEFAULT_ENTRA_SCOPE };
}
