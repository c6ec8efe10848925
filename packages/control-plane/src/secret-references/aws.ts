import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkLiteral, EgressRefused, guardedLookup, type Egress } from '../egress/connect.js';
import type { AwsAuthConfig } from './schema.js';

/**
 * Reads one secret from AWS Secrets Manager with the AWS SDK (its JSON protocol, SigV4-signed).
 * The connection goes through agents whose DNS lookups pass the egress policy: the regional endpoint
 * AWS names may be private (a VPC endpoint) but never metadata; an operator-set endpoint
 * (SECRET_REFERENCE_AWS_ENDPOINT, for a local stand-in) is held to the stricter caller-chosen rules.
 * Bounded: 5 s to connect, 10 s for the answer, one retry, 25 s in all.
 */
export interface AwsFetchOptions {
  egress: Egress;
  /** Operator-set endpoint in place of https://secretsmanager.{region}.amazonaws.com. */
  endpoint?: string;
}

export class SecretFetchError extends Error {}

/** The SecretString (or a binary secret as UTF-8). Errors say what AWS answered, never a secret. */
export async function fetchAwsSecret(auth: AwsAuthConfig, secretId: string, opts: AwsFetchOptions): Promise<string> {
  const endpoint = opts.endpoint;
  const check = endpoint ? opts.egress.chosen : opts.egress.trusted;
  const host = endpoint ? new URL(endpoint).hostname : `secretsmanager.${auth.aws_region}.amazonaws.com`;
  checkLiteral(host, check);
  // Agents per fetch: the client's destroy() ends them (fetches are rare: once per reference per TTL).
  const httpAgent = new HttpAgent({ lookup: guardedLookup(check) });
  const httpsAgent = new HttpsAgent({ lookup: guardedLookup(check) });
  const client = new SecretsManagerClient({
    region: auth.aws_region,
    endpoint,
    maxAttempts: 2,
    credentials: auth.aws_auth_type === 'accessKey' ? { accessKeyId: auth.aws_access_key_id, secretAccessKey: auth.aws_secret_access_key } : undefined,
    requestHandler: { httpAgent, httpsAgent, connectionTimeout: 5_000, requestTimeout: 10_000 },
  });
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }), { abortSignal: AbortSignal.timeout(25_000) });
    if (typeof out.SecretString === 'string') return out.SecretString;
    if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('utf8');
    throw new SecretFetchError('AWS Secrets Manager returned neither SecretString nor SecretBinary');
  } catch (e) {
    if (e instanceof SecretFetchError) throw e;
    const refused = findRefusal(e);
    if (refused) throw new SecretFetchError(refused.message);
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
    throw new SecretFetchError(`AWS Secrets Manager answered ${err.name ?? 'an error'}${status}: ${String(err.message ?? '').slice(0, 300)}`);
  } finally {
    client.destroy();
  }
}

function findRefusal(e: unknown): EgressRefused | undefined {
  for (let cur = e as { cause?: unknown } | undefined, depth = 0; cur && depth < 5; cur = cur.cause as { cause?: unknown }, depth++) {
    if (cur instanceof EgressRefused) return cur;
  }
  return undefined;
}
