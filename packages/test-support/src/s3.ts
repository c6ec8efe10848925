import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/**
 * A real S3 API (s3rver 3.7.1) in this process, on port 0, in a temp dir, with its buckets made.
 * stop()/start() simulate an outage: the server goes away (connections cut) and comes back on the same
 * port with the same data. close() stops it and removes its directory.
 */
interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverCtor = new (opts: { address: string; port: number; silent: boolean; directory: string }) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

export const S3RVER_KEY = 'S3RVER';

export interface S3Harness {
  endpoint: string;
  port: number;
  dir: string;
  /** The first bucket made: the one keys() and objects() read. */
  bucket: string;
  client: S3Client;
  running: boolean;
  /** Outage: closes the listener and every open connection. */
  stop(): Promise<void>;
  /** Back on the same port and directory. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
  keys(prefix?: string): Promise<string[]>;
  /** Every object under the prefix: raw bytes, and gunzipped text for .gz keys. */
  objects(prefix?: string): Promise<Array<{ key: string; raw: Buffer; text: string }>>;
}

export async function startS3(buckets: string | string[] = 'portico-logs'): Promise<S3Harness> {
  const names = typeof buckets === 'string' ? [buckets] : buckets;
  const bucket = names[0];
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-s3rver-'));
  let server: S3rverInstance | undefined;
  let port = 0;
  const launch = async (): Promise<void> => {
    const s = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir });
    const addr = await s.run();
    port = addr.port;
    server = s;
  };
  await launch();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  for (const b of names) await client.send(new CreateBucketCommand({ Bucket: b }));

  const h: S3Harness = {
    endpoint,
    port,
    dir,
    bucket,
    client,
    running: true,
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      h.running = false;
      const closing = s.close();
      s.httpServer?.closeAllConnections();
      await closing;
    },
    async start() {
      if (server) return;
      await launch();
      h.running = true;
    },
    async close() {
      await h.stop();
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    },
    async keys(prefix = '') {
      // MaxKeys large enough that s3rver never truncates (its continuation tokens need legacy OpenSSL).
      const res = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 100_000 }));
      if (res.IsTruncated) throw new Error('s3 harness: listing truncated; raise MaxKeys');
      return (res.Contents ?? []).map((o) => o.Key!).sort();
    },
    async objects(prefix = '') {
      const out: Array<{ key: string; raw: Buffer; text: string }> = [];
      for (const key of await h.keys(prefix)) {
        const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const raw = Buffer.from(await res.Body!.transformToByteArray());
        out.push({ key, raw, text: key.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8') });
      }
      return out;
    },
  };
  return h;
}

