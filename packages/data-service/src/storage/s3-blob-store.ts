import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { Readable } from 'node:stream';
import { assertSafeKey, StorageUnavailableError, type BlobStore } from './blob-store.js';

/** 8 MiB parts (S3's minimum is 5 MiB); two in flight, so an upload holds at most ~24 MiB. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

export interface S3Settings {
  region?: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** s3_assume: a role to assume with the default chain's credentials (else the task role itself). */
  roleArn?: string;
  externalId?: string;
}

export function createS3Client(s: S3Settings): S3Client {
  const conf: S3ClientConfig = {
    region: s.region || 'us-east-1',
    // S3-compatible servers otherwise store aws-chunked framing inside streamed objects.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  };
  if (s.endpoint) {
    conf.endpoint = s.endpoint;
    conf.forcePathStyle = true;
  }
  if (s.roleArn) {
    conf.credentials = fromTemporaryCredentials({
      params: { RoleArn: s.roleArn, RoleSessionName: 'portico-data-service', ...(s.externalId ? { ExternalId: s.externalId } : {}) },
      clientConfig: s.region ? { region: s.region } : undefined,
    });
  } else if (s.accessKeyId && s.secretAccessKey) conf.credentials = { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  return new S3Client(conf);
}

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NoSuchKey' || err?.name === 'NotFound' || err?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  constructor(private readonly client: S3Client, private readonly bucket: string) {}

  get where(): string {
    return `s3://${this.bucket}`;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (isMissing(e)) throw e;
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // Client errors other than 404 are bugs or permissions: not an outage to wait out.
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) throw e;
      throw new StorageUnavailableError(this.where, e);
    }
  }

  async putBytes(key: string, body: Buffer | string, contentType = 'application/octet-stream'): Promise<void> {
    assertSafeKey(key);
    await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType })));
  }

  async putStream(key: string, body: Readable, contentType = 'application/octet-stream'): Promise<number> {
    assertSafeKey(key);
    let uploadId: string | undefined;
    const parts: Array<{ ETag: string; PartNumber: number }> = [];
    const inFlight = new Set<Promise<void>>();
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let total = 0;
    let failure: unknown;
    const sendPart = async (chunk: Buffer, partNumber: number) => {
      const r = await this.call(() => this.client.send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: chunk })));
      parts.push({ ETag: r.ETag!, PartNumber: partNumber });
    };
    const flushPart = async () => {
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      uploadId ??= (await this.call(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: contentType })))).UploadId!;
      const p = sendPart(chunk, parts.length + inFlight.size + 1).catch((e) => void (failure ??= e));
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      while (inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(inFlight);
      if (failure) throw failure;
    };
    try {
      for await (const c of body as AsyncIterable<Buffer | string>) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : c;
        pending.push(chunk);
        pendingBytes += chunk.length;
        total += chunk.length;
        if (pendingBytes >= PART_BYTES) await flushPart();
      }
      if (!uploadId) {
        await this.putBytes(key, Buffer.concat(pending, pendingBytes), contentType);
        return total;
      }
      if (pendingBytes > 0) await flushPart();
      await Promise.all(inFlight);
      if (failure) throw failure;
      parts.sort((a, b) => a.PartNumber - b.PartNumber);
      await this.call(() => this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } })));
      return total;
    } catch (e) {
      body.destroy();
      if (uploadId) {
        const id = uploadId;
        await Promise.allSettled(inFlight);
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: id })).catch(() => undefined);
      }
      throw e;
    }
  }

  async getStream(key: string): Promise<Readable | undefined> {
    assertSafeKey(key);
    try {
      const r = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })));
      return r.Body as Readable;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    const s = await this.getStream(key);
    if (!s) return undefined;
    const chunks: Buffer[] = [];
    try {
      for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
    } catch (e) {
      throw new StorageUnavailableError(this.where, e);
    }
    return Buffer.concat(chunks);
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    let token: string | undefined;
    do {
      const r = await this.call(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 })));
      for (const o of r.Contents ?? []) if (o.Key) yield { key: o.Key, size: o.Size ?? 0 };
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  }

  async presign(key: string, expiresS: number, filename: string): Promise<string> {
    assertSafeKey(key);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentDisposition: `attachment; filename="${filename}"` }), { expiresIn: expiresS });
  }
}
