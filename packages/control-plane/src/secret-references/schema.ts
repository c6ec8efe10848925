import { z } from 'zod';
import { invalid } from '../http/errors.js';

/**
 * Secret references as Portkey's document defines them: a saved pointer (manager, how to
 * authenticate, path, optional key within a JSON secret) to a secret held in an external manager.
 * AWS Secrets Manager (access-key auth, or the control plane's own role when the operator allows it)
 * HashiCorp Vault (token or AppRole) and Azure Key Vault (Entra client credentials) are resolved; the other managers and auth types the
 * document lists are refused by name rather than stored and never resolvable.
 */
export const MANAGER_TYPES = ['aws_sm', 'azure_kv', 'hashicorp_vault'] as const;
export type ManagerType = (typeof MANAGER_TYPES)[number];

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const region = () => z.string().regex(AWS_REGION, 'must be an AWS region such as us-east-1');

export const awsAccessKey = z.strictObject({
  aws_auth_type: z.literal('accessKey'), aws_access_key_id: z.string().min(16).max(128).regex(/^[A-Z0-9]+$/, 'must be an AWS access key id (upper-case letters and digits)'),
  aws_secret_access_key: z.string().min(1).max(256), aws_region: region(),
});
export const awsServiceRole = z.strictObject({ aws_auth_type: z.literal('serviceRole'), aws_region: region() });
export type AwsAuthConfig = z.infer<typeof awsAccessKey> | z.infer<typeof awsServiceRole>;

const vaultAddr = () => z.string().max(2048).refine((u) => /^https?:\/\/[^/@\s]+(\/[^\s]*)?$/.test(u), 'must be an http(s) URL such as https://vault.example.com:8200, without credentials');
export const vaultToken = z.strictObject({ vault_auth_type: z.literal('token'), vault_addr: vaultAddr(), vault_token: z.string().min(1).max(4096), vault_namespace: z.string().max(255).optional() });
export const vaultAppRole = z.strictObject({
  vault_auth_type: z.literal('approle'), vault_addr: vaultAddr(), vault_role_id: z.string().min(1).max(255), vault_secret_id: z.string().min(1).max(4096), vault_namespace: z.string().max(255).optional(),
});
export type VaultAuthConfig = z.infer<typeof vaultToken> | z.infer<typeof vaultAppRole>;
export const azureEntra = z.strictObject({
  azure_auth_mode: z.literal('entra'), azure_entra_tenant_id: z.string().min(1).max(100).regex(/^[A-Za-z0-9.-]+$/, 'must be a tenant id or domain'),
  azure_entra_client_id: z.string().min(1).max(100), azure_entra_client_secret: z.string().min(1).max(1024), azure_vault_url: vaultAddr(),
});
export type AzureAuthConfig = z.infer<typeof azureEntra>;
export type AuthConfig = AwsAuthConfig | VaultAuthConfig | AzureAuthConfig;

/** Fields of an auth_config that are secret: encrypted at rest, masked in answers. */
export const SECRET_AUTH_FIELDS = ['aws_secret_access_key', 'azure_entra_client_secret', 'vault_token', 'vault_secret_id'];

const tags = z.record(z.string().max(128), z.string().max(1024)).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags').nullable();

export const createSecretReference = z.strictObject({
  organisation_id: z.string().max(64).optional(),
  name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
  slug: z.string().max(255).regex(/^[a-zA-Z0-9_-]+$/, 'use letters, digits, "-" and "_" only').optional(),
  description: z.string().max(1024).nullable().optional(),
  manager_type: z.enum(MANAGER_TYPES),
  auth_config: z.record(z.string(), z.unknown()),
  secret_path: z.string().min(1, 'must not be empty').max(1024),
  secret_key: z.string().max(255).nullable().optional(),
  allow_all_workspaces: z.boolean().optional(),
  allowed_workspaces: z.array(z.string().max(128)).min(1).max(500).optional(),
  tags: tags.optional(),
});

export const updateSecretReference = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters').optional(),
  description: z.string().max(1024).nullable().optional(),
  auth_config: z.record(z.string(), z.unknown()).optional(),
  secret_path: z.string().min(1, 'must not be empty').max(1024).optional(),
  secret_key: z.string().max(255).nullable().optional(),
  allow_all_workspaces: z.boolean().optional(),
  allowed_workspaces: z.array(z.string().max(128)).min(1).max(500).optional(),
  tags: tags.optional(),
});

/** Checks an auth_config for its manager; unsupported managers and auth types are refused by name. */
export function parseAuthConfig(manager: ManagerType, raw: Record<string, unknown>, allowServiceRole: boolean): AuthConfig {
  if (manager === 'azure_kv') {
    const mode = raw.azure_auth_mode;
    if (mode !== 'entra') {
      throw invalid(`auth_config.azure_auth_mode must be "entra" (a service principal's client credentials)${mode === 'managed' || mode === 'default' ? `; "${mode}" would use the control plane's own Azure identity, which Portico does not lend` : ''}`, 'auth_config.azure_auth_mode', mode === 'managed' || mode === 'default' ? 'unsupported_secret_manager' : 'invalid_field');
    }
    return checked(azureEntra, raw);
  }
  if (manager === 'hashicorp_vault') {
    const vtype = raw.vault_auth_type;
    if (vtype !== 'token' && vtype !== 'approle') {
      throw invalid(`auth_config.vault_auth_type must be "token" or "approle"${vtype === 'kubernetes' ? ' ("kubernetes" is not supported by Portico yet)' : ''}`, 'auth_config.vault_auth_type', vtype === 'kubernetes' ? 'unsupported_secret_manager' : 'invalid_field');
    }
    return checked(vtype === 'token' ? vaultToken : vaultAppRole, raw);
  }
  const type = raw.aws_auth_type;
  if (type === 'serviceRole' && !allowServiceRole) {
    throw invalid('aws_auth_type "serviceRole" would read secrets with the control plane\'s own AWS role; the operator has not allowed that (SECRET_REFERENCE_ALLOW_SERVICE_ROLE). Use "accessKey" with credentials of your own', 'auth_config.aws_auth_type', 'unsupported_secret_manager');
  }
  if (type !== 'accessKey' && type !== 'serviceRole') {
    throw invalid(`auth_config.aws_auth_type must be "accessKey"${allowServiceRole ? ' or "serviceRole"' : ''}${type === 'assumedRole' ? ' ("assumedRole" is not supported by Portico yet)' : ''}`, 'auth_config.aws_auth_type', type === 'assumedRole' ? 'unsupported_secret_manager' : 'invalid_field');
  }
  return checked(type === 'accessKey' ? awsAccessKey : awsServiceRole, raw);
}

function checked<S extends z.ZodType>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = ['auth_config', ...issue.path.map(String)].join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    throw invalid(`Unknown field ${keys.map((k) => `"auth_config.${k}"`).join(', ')} in the body; remove it`, `auth_config.${keys[0]}`, 'unknown_field');
  }
  throw invalid(`${path}: ${issue.message}`, path, 'invalid_field');
}

/** Splits an auth_config into what may be shown and what is sealed. */
export function splitAuthConfig(config: Record<string, unknown>): { open: Record<string, unknown>; secret: Record<string, unknown> } {
  const open: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (SECRET_AUTH_FIELDS.includes(k) ? secret : open)[k] = v;
  return { open, secret };
}
