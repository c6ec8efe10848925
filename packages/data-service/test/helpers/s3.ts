import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
  httpServer?: import('node:http').Server;
}
type S3rverCtor = new (opts: { address: string; port: number; silent: boolean; directory: string }) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

/** A real S3 API (s3rver) in this process; stop()/start() make an outage and end it, on the same port and data. */
export interface S3Harness {
  endpoint: string;
  client: S3Client;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(buckets: string[]): Promise<S3Harness> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ds-s3rver-'));
  let server: S3rverInstance | undefined;
  let port = 0;
  const launch = async () => {
    const s = new S3rver({ address: '127.0.0.1', port, silent: true, directory: dir });
    port = (await s.run()).port;
    server = s;
  };
  await launch();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  for (const b of buckets) await client.send(new CreateBucketCommand({ Bucket: b }));
  return {
    endpoint,
    client,
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      // An outage cuts open connections too, not just the listener.
      const closing = s.close();
      s.httpServer?.closeAllConnections();
      await closing;
    },
    async start() {
      if (!server) await launch();
    },
    async close() {
      if (server) {
        const s = server;
        server = undefined;
        const closing = s.close();
        s.httpServer?.closeAllConnections();
        await closing;
      }
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Env for the data service to use this s3rver for the log store and its buckets. */
export function s3Env(h: S3Harness, buckets: { logs?: string; exports?: string; finetunes?: string }): Record<string, string> {
  return {
    LOG_STORE: 's3_custom',
    LOG_STORE_BASEPATH: h.endpoint,
    LOG_STORE_REGION: 'us-east-1',
    LOG_STORE_ACCESS_KEY: 'S3RVER',
    LOG_STORE_SECRET_KEY: 'S3RVER',
    LOG_STORE_GENERATIONS_BUCKET: buckets.logs ?? 'logs',
    ...(buckets.exports ? { LOG_EXPORTS_BUCKET: buckets.exports } : {}),
    ...(buckets.finetunes ? { FINETUNES_BUCKET: buckets.finetunes } : {}),
  };
}
