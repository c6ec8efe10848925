/**
 * The gateway's one SigV4 signer, with @smithy/signature-v4 (the AWS SDK's own), for every AWS call:
 * Bedrock and SageMaker runtime, Bedrock's batch control plane, and S3 for batch files. The host signed
 * is the URL's host, so a customHost (VPC endpoint, test fake) is signed as it is reached, while region
 * and service stay the service's. The payload's hash goes in x-amz-content-sha256 (S3 requires it).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '../providers/bedrock/credentials.js';

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
export const SIGNING_HEADERS: ReadonlySet<string> = new Set(['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256', 'host']);

/** What a request needs to be signed; the gateway's upstream and cloud-batch requests both are. */
interface SignableHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export interface AwsSigning {
  /** The signing name: bedrock, sagemaker, s3. */
  service: string;
  region: string;
  credentials: AwsCredentials;
}

/**
 * SigV4-signs a request: every header it carries is signed, and stale signing headers from a retried
 * request are dropped first. S3 signs the path as sent; every other service escapes it once more.
 */
export async function signAwsRequest<R extends SignableHttpRequest>(req: R, how: AwsSigning): Promise<R> {
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
  const signer = new SignatureV4({ service: how.service, region: how.region, credentials: how.credentials, sha256: NodeSha256, uriEscapePath: how.service !== 's3' });
  const signed = await signer.sign(toSign);
  const out: Record<string, string> = {};
  // The HTTP client sets Host from the URL; the signed value is the same.
  for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') out[k] = v;
  return { ...req, headers: out };
}
