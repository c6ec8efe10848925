/**
 * AWS credentials for Bedrock, in this order:
 *   1. the request's own keys: target.settings aws_access_key_id / aws_secret_access_key / aws_session_token
 *      (from x-portkey-aws-* headers or a virtual key);
 *   2. assume-role when settings.aws_role_arn is set (with aws_external_id), using the keys from 1 when
 *      given, else the default chain, as the caller;
 *   3. the gateway's own identity, in the default AWS chain's order (environment, shared files, web
 *      identity, the ECS container credentials endpoint, EC2 instance metadata) — on ECS the task role;
 *      the metadata endpoints through upstream/aws-identity.ts's pinned client, not the SDK's.
 * The gateway's own identity (3, and 2 without keys) serves only targets resolution allows
 * (target.gatewayIdentity, from GATEWAY_CLOUD_IDENTITY): by default, saved credentials only.
 * Assumed and chain credentials are cached until 5 minutes before they expire. Cache keys are SHA-256
 * digests, so no secret is kept as a map key. Set AWS_ENDPOINT_URL_STS to reach a private STS endpoint.
 */
import { createHash } from 'node:crypto';
// The AWS SDK modules load on first use: most gateways never call Bedrock, and they cost ~20 MB.
const sts = () => import('@aws-sdk/client-sts');
import { badRequest, GatewayError } from '../../errors.js';
import type { ProviderTarget } from '../types.js';
import { awsRegion } from './endpoint.js';
import { gatewayAwsCredentialProvider, gatewayAwsCredentials } from '../../upstream/aws-identity.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialSource = 'request' | 'assume-role' | 'default-chain';

export interface ResolvedAwsCredentials {
  credentials: AwsCredentials;
  source: AwsCredentialSource;
}

/** Refresh this long before expiry, so a signed request never reaches AWS with expired keys. */
export const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** Credentials without an expiry (static keys found by the chain) are looked up again after this long. */
const NO_EXPIRY_TTL_MS = 15 * 60 * 1000;
const MAX_CACHE_ENTRIES = 256;
const ROLE_SESSION_NAME = 'portico-bedrock';

interface CacheEntry { promise: Promise<AwsCredentials>; freshUntil: number }
const cache = new Map<string, CacheEntry>();

/** Empties the credential cache (tests, and after a credentials rotation). */
export function clearBedrockCredentialCache(): void {
  cache.clear();
}

/** Cache keys, for tests and diagnostics: SHA-256 digests, never raw key material. */
export function bedrockCredentialCacheKeys(): string[] {
  return [...cache.keys()];
}

const digest = (parts: Array<string | undefined>): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

function requestKeys(target: ProviderTarget, provider: string): AwsCredentials | undefined {
  const s = target.settings;
  const id = s.aws_access_key_id?.trim();
  const secret = s.aws_secret_access_key?.trim();
  const token = s.aws_session_token?.trim();
  if (!id && !secret) {
    if (token) throw badRequest(`${provider}: x-portkey-aws-session-token was sent without x-portkey-aws-access-key-id and x-portkey-aws-secret-access-key; send all three or none`, 'aws_session_token');
    return undefined;
  }
  if (!id || !secret) {
    const missing = id ? 'x-portkey-aws-secret-access-key' : 'x-portkey-aws-access-key-id';
    throw badRequest(`${provider}: ${missing} is missing; AWS keys need both the access key id and the secret access key`, id ? 'aws_secret_access_key' : 'aws_access_key_id');
  }
  return token ? { accessKeyId: id, secretAccessKey: secret, sessionToken: token } : { accessKeyId: id, secretAccessKey: secret };
}

function cached(key: string, load: () => Promise<AwsCredentials>): Promise<AwsCredentials> {
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.freshUntil > now) {
    cache.delete(key); // re-insert: the Map's order is the LRU order
    cache.set(key, hit);
    return hit.promise;
  }
  const entry: CacheEntry = { promise: load(), freshUntil: Number.POSITIVE_INFINITY };
  cache.delete(key);
  cache.set(key, entry);
  while (cache.size > MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  entry.promise.then(
    (c) => {
      entry.freshUntil = c.expiration ? c.expiration.getTime() - CREDENTIAL_REFRESH_MARGIN_MS : Date.now() + NO_EXPIRY_TTL_MS;
    },
    () => {
      if (cache.get(key) === entry) cache.delete(key); // never cache a failure
    },
  );
  return entry.promise;
}

async function fromDefaultChain(provider: string): Promise<AwsCredentials> {
  try {
    const c = await gatewayAwsCredentials();
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
  } catch (e) {
    throw new GatewayError({
      status: 401,
      type: 'authentication_error',
      provider,
      cause: e,
      message: `${provider}: no AWS credentials: the request sent none and the default AWS chain found none (${(e as Error).message}). Send x-portkey-aws-access-key-id and x-portkey-aws-secret-access-key, or run the gateway with an IAM role (on ECS, the task role).`,
    });
  }
}

async function assumeRole(base: AwsCredentials | undefined, roleArn: string, externalId: string | undefined, region: string, provider: string): Promise<AwsCredentials> {
  // Bounded: a hung STS must not hold every request for this role behind one pending promise.
  const { AssumeRoleCommand, STSClient } = await sts();
  const client = new STSClient({ region, credentials: base ?? gatewayAwsCredentialProvider(), maxAttempts: 2, requestHandler: { connectionTimeout: 3000, requestTimeout: 5000, throwOnRequestTimeout: true } });
  try {
    const out = await client.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME, ExternalId: externalId, DurationSeconds: 3600 }));
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('STS returned no credentials');
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    throw new GatewayError({
      status: status === 403 || status === 400 ? 403 : 502,
      type: status === 403 || status === 400 ? 'permission_error' : 'upstream_error',
      provider,
      cause: e,
      message: `${provider}: could not assume role ${roleArn}: ${err.name}: ${err.message}. Check the role's trust policy allows the caller${externalId ? ' with this external id' : ''}, and x-portkey-aws-role-arn.`,
    });
  } finally {
    client.destroy();
  }
}

/** `provider` names the caller in error messages (bedrock, sagemaker); the chain and the cache are shared. */
export async function resolveBedrockCredentials(target: ProviderTarget, provider = 'bedrock'): Promise<ResolvedAwsCredentials> {
  const keys = requestKeys(target, provider);
  const roleArn = target.settings.aws_role_arn?.trim();
  if (!keys && target.gatewayIdentity === false) {
    throw new GatewayError({
      status: 403, type: 'permission_error', code: 'gateway_identity_refused', provider: target.provider, param: roleArn ? 'aws_role_arn' : 'aws_access_key_id',
      message: `${target.provider}: this request carries no AWS keys, and this gateway signs with its own AWS identity${roleArn ? ' (to assume aws_role_arn)' : ''} only for saved provider credentials. Send x-portkey-aws-access-key-id and x-portkey-aws-secret-access-key, or use a virtual key or saved config your operator made.`,
    });
  }
  if (roleArn) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(roleArn)) {
      throw badRequest(`${provider}: aws_role_arn "${roleArn}" is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`, 'aws_role_arn');
    }
    const externalId = target.settings.aws_external_id?.trim() || undefined;
    const region = awsRegion(provider, target);
    const key = digest(['assume', roleArn, externalId, region, keys?.accessKeyId, keys?.secretAccessKey, keys?.sessionToken]);
    return { credentials: await cached(key, () => assumeRole(keys, roleArn, externalId, region, provider)), source: 'assume-role' };
  }
  if (keys) return { credentials: keys, source: 'request' };
  return { credentials: await cached(digest(['default-chain']), () => fromDefaultChain(provider)), source: 'default-chain' };
}
