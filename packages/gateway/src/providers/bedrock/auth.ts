/**
 * SigV4 signing of Bedrock requests with @smithy/signature-v4 (the AWS SDK's own signer), service
 * `bedrock`. The host signed is the URL's host, so a customHost (VPC endpoint, test fake) is signed as
 * it is reached, while region and service stay Bedrock's.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { badRequest } from '../../errors.js';
import type { ProviderTarget, UpstreamRequest } from '../types.js';
import { resolveBedrockCredentials, type AwsCredentials } from './credentials.js';
import { BEDROCK_SIGNING_SERVICE, bedrockRegion } from './endpoint.js';

type SignableRequest = Parameters<SignatureV4['presign']>[0];
type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (d: SourceData): Buffer | string =>
  typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

/**
 * SHA-256 / HMAC-SHA-256 for the signer on node:crypto. @aws-crypto/sha256-js is pure JavaScript and
 * takes ~80 ms per MiB of body on the event loop (image and document payloads); this takes ~2 ms.
 * Tests check it against @aws-crypto/sha256-js.
 */
export class NodeSha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: SourceData): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
  reset(): void {
    this.h = this.fresh();
  }
}

/** Headers the signer owns; stale copies from a retried request must not survive. */
const SIGNING_HEADERS = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'host']);

export async function authorizeBedrock(req: UpstreamRequest, target: ProviderTarget): Promise<UpstreamRequest> {
  if (bedrockUsesApiKey(target)) return withBedrockApiKey(req, target);
  const { credentials } = await resolveBedrockCredentials(target);
  return signAwsRequest(req, { service: BEDROCK_SIGNING_SERVICE, region: bedrockRegion(target), credentials });
}

/**
 * SigV4-signs an upstream request for any AWS service (bedrock, sagemaker): every header the request
 * carries is signed, and stale signing headers from a retried request are dropped first.
 */
export async function signAwsRequest(req: UpstreamRequest, how: { service: string; region: string; credentials: AwsCredentials }): Promise<UpstreamRequest> {
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
  const signer = new SignatureV4({ service: how.service, region: how.region, credentials: how.credentials, sha256: NodeSha256, uriEscapePath: true });
  const signed = await signer.sign(toSign);
  const out: Record<string, string> = {};
  // The HTTP client sets Host from the URL; the signed value is the same.
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
  return { ...req, headers: out };
}

/**
 * Bedrock API keys (x-portkey-aws-auth-type: apiKey): the key goes as `Authorization: Bearer`, and
 * nothing is signed. Without a key that is a 400 saying where to put it.
 */
export function bedrockUsesApiKey(target: ProviderTarget): boolean {
  const type = target.settings.aws_auth_type?.trim();
  if (type === undefined || type === '' || type === 'accessKey' || type === 'assumedRole') return false;
  if (type === 'apiKey') return true;
  throw badRequest(`bedrock: x-portkey-aws-auth-type must be apiKey, accessKey or assumedRole, not "${type}"`, 'x-portkey-aws-auth-type');
}

function withBedrockApiKey(req: UpstreamRequest, target: ProviderTarget): UpstreamRequest {
  if (!target.apiKey) throw badRequest('bedrock: x-portkey-aws-auth-type is apiKey but no key was given; send the Bedrock API key as Authorization: Bearer <key>', 'authorization');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!SIGNING_HEADERS.has(k.toLowerCase())) headers[k] = v;
  headers.authorization = `Bearer ${target.apiKey}`;
  return { ...req, headers };
}
