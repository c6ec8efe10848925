/**
 * The gateway's own AWS identity (operator-owned: on ECS the task role), found in the AWS SDK's
 * default order, with one difference: the container credentials endpoint and EC2 instance metadata
 * are read through aws-metadata-client.ts (a private, route-pinned dispatcher) instead of the SDK's
 * own node:http requests, which no policy of the gateway's governs. Used wherever the gateway would
 * otherwise take the SDK's default chain: Bedrock / SageMaker / cloud batches without request keys,
 * STS AssumeRole without keys, the S3 log store.
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (, AWS_SESSION_TOKEN);
 *   2. shared config and credentials files (AWS_PROFILE; SSO and credential_process profiles included);
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (EKS IRSA), through STS;
 *   4. the container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS) or _FULL_URI;
 *   5. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true.
 */
import { awsMetadataEndpoints, containerCredentials, instanceCredentials, type MetadataCredentials } from './aws-metadata-client.js';

export type GatewayAwsCredentials = MetadataCredentials;

/** The SDK's providers load on first use: most gateways never need an AWS identity. */
const providers = () => import('@aws-sdk/credential-providers');

type Source = { name: string; load: () => Promise<MetadataCredentials> };

async function sources(env: NodeJS.ProcessEnv): Promise<Source[]> {
  const out: Source[] = [];
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    out.push({ name: 'environment', load: async () => ({ accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY!, sessionToken: env.AWS_SESSION_TOKEN || undefined, expiration: env.AWS_CREDENTIAL_EXPIRATION ? new Date(env.AWS_CREDENTIAL_EXPIRATION) : undefined }) });
  }
  const sdk = await providers();
  out.push({ name: 'shared config files', load: () => sdk.fromIni()() });
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) out.push({ name: 'web identity', load: () => sdk.fromTokenFile()() });
  // Read at each lookup (they are cached until near expiry): the operator's environment, never a request's.
  const endpoints = awsMetadataEndpoints(env);
  if (endpoints.container) out.push({ name: 'container credentials endpoint', load: () => containerCredentials(endpoints) });
  if (endpoints.imds) out.push({ name: 'instance metadata', load: () => instanceCredentials(endpoints) });
  return out;
}

/** The first identity found; throws naming every source tried and why each gave none. */
export async function gatewayAwsCredentials(env: NodeJS.ProcessEnv = process.env): Promise<GatewayAwsCredentials> {
  const reasons: string[] = [];
  for (const s of await sources(env)) {
    try {
      const c = await s.load();
      if (c.accessKeyId && c.secretAccessKey) return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
      reasons.push(`${s.name}: no keys`);
    } catch (e) {
      reasons.push(`${s.name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no AWS identity found (${reasons.join('; ') || 'no source configured'})`);
}

/** The same, as an AWS SDK credentials provider (SDK clients cache what it returns until near expiry). */
export const gatewayAwsCredentialProvider = (env: NodeJS.ProcessEnv = process.env) => (): Promise<GatewayAwsCredentials> => gatewayAwsCredentials(env);
