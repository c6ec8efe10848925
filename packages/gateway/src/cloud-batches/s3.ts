/**
 * The few S3 operations the Bedrock batch APIs need, as SigV4-signed requests over the gateway's
 * egress-checked dispatcher: PutObject, the multipart upload trio (and Abort), HeadObject, GetObject
 * (streamed, never buffered) and DeleteObject. Virtual-hosted URLs on AWS; path style on an operator's
 * endpoint (AWS_ENDPOINT_URL_S3) or for bucket names with dots (TLS).
 */
import { badRequest, GatewayError } from '../errors.js';
import type { AwsCredentials } from '../providers/bedrock/credentials.js';
import { signAwsRequest } from '../upstream/aws-sigv4.js';
import { cloudCall, cloudError, readBounded, SMALL_ANSWER_MAX, type CloudHttp, type CloudRequest, type CloudResponse } from './http.js';

export interface S3Location { bucket: string; key: string }

export interface S3Access {
  http: CloudHttp;
  region: string;
  credentials: AwsCredentials;
  /** AWS_ENDPOINT_URL_S3: path-style requests to it. */
  endpoint?: string;
  /**
   * Set when the credentials are the gateway's own (the default chain: on ECS the task role, which can
   * read the log buckets): only these buckets (BEDROCK_BATCH_S3_BUCKETS) may be touched with them.
   */
  allowedBuckets?: ReadonlySet<string>;
}

/** Server-side encryption for new objects (x-portkey-aws-server-side-encryption, -kms-key-id). */
export interface S3Encryption { type?: string; kmsKeyId?: string }

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** s3://bucket/key → its parts; 400 naming `param` otherwise. */
export function parseS3Uri(uri: string, param: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m || !BUCKET_RE.test(m[1]!)) throw badRequest(`${param} must be an s3://bucket/key URI (as files.create returns it), not "${uri.slice(0, 120)}".`, param);
  return { bucket: m[1]!, key: m[2]! };
}

export function checkBucket(bucket: string, param: string): void {
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) throw badRequest(`${param} "${bucket.slice(0, 80)}" is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens).`, param);
}

/** S3's URI encoding of a key: every byte but unreserved characters and "/" percent-encoded. */
function encodeKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

export function s3ObjectUrl(a: S3Access, loc: S3Location, query = ''): string {
  const q = query ? `?${query}` : '';
  if (a.endpoint) return `${a.endpoint.replace(/\/+$/, '')}/${loc.bucket}/${encodeKey(loc.key)}${q}`;
  if (loc.bucket.includes('.')) return `https://s3.${a.region}.amazonaws.com/${loc.bucket}/${encodeKey(loc.key)}${q}`;
  return `https://${loc.bucket}.s3.${a.region}.amazonaws.com/${encodeKey(loc.key)}${q}`;
}

/** The gateway's own identity reaches only the operator's batch buckets: a caller cannot read the log buckets through it. */
export function checkOwnIdentityBucket(a: S3Access, bucket: string): void {
  if (a.allowedBuckets && !a.allowedBuckets.has(bucket)) {
    throw new GatewayError({
      status: 403, type: 'permission_error', code: 'own_identity_not_allowed', param: 'x-portkey-aws-s3-bucket',
      message: `S3 bucket "${bucket}" is not one the gateway's own AWS identity may use for batches (BEDROCK_BATCH_S3_BUCKETS); send your own AWS credentials (x-portkey-aws-access-key-id …, a virtual key) or ask the operator to list the bucket.`,
    });
  }
}

async function send(a: S3Access, req: CloudRequest): Promise<CloudResponse> {
  const u = new URL(req.url);
  checkOwnIdentityBucket(a, a.endpoint || u.hostname.startsWith('s3.') ? decodeURIComponent(u.pathname.split('/')[1] ?? '') : u.hostname.slice(0, u.hostname.indexOf('.s3.')));
  return cloudCall(a.http, await signAwsRequest(req, { service: 's3', region: a.region, credentials: a.credentials }), 's3');
}

/** S3's XML error → GatewayError with S3's Code and Message only (its body also echoes what was signed). */
async function s3Failure(res: CloudResponse, what: string): Promise<never> {
  const text = res.status === 404 && !res.headers['content-type']?.includes('xml') ? '' : await readBounded(res.body, SMALL_ANSWER_MAX, 's3').catch(() => '');
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? (res.status === 404 ? 'NoSuchKey' : undefined);
  const message = /<Message>([^<]{1,500})<\/Message>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
  const hint = res.status === 403 ? `the AWS credentials need s3 access to ${what}` : res.status === 404 ? `check the bucket and key of ${what}` : undefined;
  throw cloudError('s3', res.status, code, message, hint);
}

/** The encryption headers for new objects; a 400 for a type S3 does not know (checked before any upload). */
export function sseHeaders(e: S3Encryption): Record<string, string> {
  const h: Record<string, string> = {};
  const type = e.type ?? (e.kmsKeyId ? 'aws:kms' : undefined);
  if (type) {
    if (!['AES256', 'aws:kms', 'aws:kms:dsse'].includes(type)) throw badRequest('x-portkey-aws-server-side-encryption must be AES256, aws:kms or aws:kms:dsse.', 'x-portkey-aws-server-side-encryption');
    h['x-amz-server-side-encryption'] = type;
  }
  if (e.kmsKeyId) h['x-amz-server-side-encryption-aws-kms-key-id'] = e.kmsKeyId;
  return h;
}

const where = (l: S3Location) => `s3://${l.bucket}/${l.key}`;

export async function putObject(a: S3Access, loc: S3Location, body: Buffer, enc: S3Encryption): Promise<void> {
  const res = await send(a, { method: 'PUT', url: s3ObjectUrl(a, loc), headers: { 'content-type': 'application/jsonl', ...sseHeaders(enc) }, body });
  if (res.status !== 200) return s3Failure(res, where(loc));
  await res.body.dump();
}

export async function createMultipartUpload(a: S3Access, loc: S3Location, enc: S3Encryption): Promise<string> {
  const res = await send(a, { method: 'POST', url: s3ObjectUrl(a, loc, 'uploads='), headers: { 'content-type': 'application/jsonl', ...sseHeaders(enc) } });
  if (res.status !== 200) return s3Failure(res, where(loc));
  const id = /<UploadId>([^<]+)<\/UploadId>/.exec(await readBounded(res.body, SMALL_ANSWER_MAX, 's3'))?.[1];
  if (!id) throw cloudError('s3', 502, 'InvalidResponse', 'CreateMultipartUpload returned no UploadId');
  return id;
}

export async function uploadPart(a: S3Access, loc: S3Location, uploadId: string, partNumber: number, body: Buffer): Promise<string> {
  const res = await send(a, { method: 'PUT', url: s3ObjectUrl(a, loc, `partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`), headers: {}, body });
  if (res.status !== 200) return s3Failure(res, where(loc));
  await res.body.dump();
  const etag = res.headers.etag;
  if (!etag) throw cloudError('s3', 502, 'InvalidResponse', 'UploadPart returned no ETag');
  return etag;
}

export async function completeMultipartUpload(a: S3Access, loc: S3Location, uploadId: string, etags: string[]): Promise<void> {
  const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const res = await send(a, { method: 'POST', url: s3ObjectUrl(a, loc, `uploadId=${encodeURIComponent(uploadId)}`), headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) });
  if (res.status !== 200) return s3Failure(res, where(loc));
  // S3 may answer 200 and still fail the completion, with an <Error> body.
  const text = await readBounded(res.body, SMALL_ANSWER_MAX, 's3');
  if (/<Error>/.test(text)) throw cloudError('s3', 502, /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1], /<Message>([^<]{1,500})<\/Message>/.exec(text)?.[1]);
}

export async function abortMultipartUpload(a: S3Access, loc: S3Location, uploadId: string): Promise<void> {
  const res = await send(a, { method: 'DELETE', url: s3ObjectUrl(a, loc, `uploadId=${encodeURIComponent(uploadId)}`), headers: {} });
  await res.body.dump();
}

export async function headObject(a: S3Access, loc: S3Location): Promise<{ bytes: number; lastModified: number | null }> {
  const res = await send(a, { method: 'HEAD', url: s3ObjectUrl(a, loc), headers: {} });
  await res.body.dump();
  if (res.status !== 200) throw cloudError('s3', res.status, res.status === 404 ? 'NoSuchKey' : undefined, res.status === 404 ? `${where(loc)} does not exist` : `HEAD ${where(loc)} failed`);
  const modified = res.headers['last-modified'] ? Date.parse(res.headers['last-modified']) : NaN;
  return { bytes: Number(res.headers['content-length'] ?? 0), lastModified: Number.isFinite(modified) ? Math.floor(modified / 1000) : null };
}

/** The object's body as a stream; the caller reads or destroys it. */
export async function getObject(a: S3Access, loc: S3Location): Promise<CloudResponse> {
  const res = await send(a, { method: 'GET', url: s3ObjectUrl(a, loc), headers: {} });
  if (res.status !== 200) return s3Failure(res, where(loc));
  return res;
}

export async function deleteObject(a: S3Access, loc: S3Location): Promise<void> {
  const res = await send(a, { method: 'DELETE', url: s3ObjectUrl(a, loc), headers: {} });
  if (res.status !== 204 && res.status !== 200) return s3Failure(res, where(loc));
  await res.body.dump();
}
