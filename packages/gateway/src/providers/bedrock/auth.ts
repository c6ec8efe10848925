/**
 * SigV4 signing of Bedrock requests with @smithy/signature-v4 (the AWS SDK's own signer), service
 * `bedrock`. The host signed is the URL's host, so a customHost (VPC endpoint, test fake) is signed as
 * it is reached, while region and service stay Bedrock's.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { resolveBedrockCredentials } from './credentials.js';
import { BEDROCK_SIGNING_SERVICE, bedrockRegion } from './endpoint.js';

type SignableRequest = Parameters<SignatureV4['presign']>[0];

/** Headers the signer owns; stale copies from a retried request must not survive. */
const SIGNING_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'host']);

export async function authorizeBedrock(req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> {
  const { credentials } = await resolveBedrockCredentials(target);
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!SIGNING_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  headers.host = url.host;
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const toSign: SignableRequest = {
    method: req.method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query,
    headers,
    body: req.body,
  };
  const signer = new SignatureV4({ service: BEDROCK_SIGNING_SERVICE, region: bedrockRegion(target), credentials, sha256: Sha256, uriEscapePath: true });
  const signed = await signer.sign(toSign);
  const out: Record<string, string> = {};
  // The HTTP client sets Host from the URL; the signed value is the same.
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
  return { ...req, headers: out };
}
