/**
 * SigV4 for the batch APIs: S3 (service `s3`, the path signed as sent, the payload hash in
 * x-amz-content-sha256) and Bedrock's control plane (service `bedrock`), with the credentials Bedrock
 * chat uses (request keys, an assumed role, or the default chain: on ECS the task role).
 */
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../providers/bedrock/auth.js';
import type { AwsCredentials } from '../providers/bedrock/credentials.js';
import type { CloudRequest } from './http.js';

export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export async function signAws(req: CloudRequest, service: 's3' | 'bedrock', region: string, credentials: AwsCredentials): Promise<CloudRequest> {
  const url = new URL(req.url);
  const headers: Record<string, string> = { ...req.headers, host: url.host };
  if (service === 's3') headers['x-amz-content-sha256'] = req.body === undefined ? EMPTY_SHA256 : createHash('sha256').update(req.body).digest('hex');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({ service, region, credentials, sha256: NodeSha256, uriEscapePath: service !== 's3', applyChecksum: false });
  const signed = await signer.sign({
    method: req.method, protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined,
    path: url.pathname, query, headers, body: req.body,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
  return { ...req, headers: out };
}
