import type { Readable } from 'node:stream';

/**
 * An object store: an S3 bucket, or a local folder standing in for one on the embedded default.
 * Keys are '/'-separated paths. Writes are whole-object (a reader never sees half of one).
 */
export interface BlobStore {
  readonly kind: 'local' | 's3';
  /** Bucket name or folder, for logs and docs. */
  readonly where: string;
  putBytes(key: string, body: Buffer | string, contentType?: string): Promise<void>;
  /** Streams `body` into the object (multipart upload on S3), never holding it whole; returns its size. */
  putStream(key: string, body: Readable, contentType?: string): Promise<number>;
  getStream(key: string): Promise<Readable | undefined>;
  getBytes(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix, in key order. */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  /**
   * Appends to an object (local folders only: S3 objects cannot grow). A crash may leave a torn last
   * line, which readers skip.
   */
  append?(key: string, body: string): Promise<void>;
  /** A time-limited GET URL (S3 only). */
  presign?(key: string, expiresS: number, filename: string): Promise<string>;
}

/** A failure of the store itself (unreachable, 5xx), as opposed to a missing object: jobs pause on it. */
export class StorageUnavailableError extends Error {
  constructor(readonly store: string, cause: unknown) {
    super(`object store ${store} unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'StorageUnavailableError';
  }
}

export function assertSafeKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '.' || p === '') || key.includes('\\') || key.includes('\0')) {
    throw new Error(`unsafe object key "${key}"`);
  }
}
