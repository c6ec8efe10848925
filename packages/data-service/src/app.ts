import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createLogger, createMetrics, type ServiceMetrics } from './observability.js';
import { createHttpServer, route, type Route } from './http/server.js';
import { sendJson } from './http/respond.js';
import { controlPlaneAuthenticator, openAuthenticator, type Authenticator } from './auth/introspect.js';
import type { BlobStore } from './storage/blob-store.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { createS3Client, S3BlobStore } from './storage/s3-blob-store.js';
import { FileLeaseManager, RedisLeaseManager, type LeaseManager } from './storage/lease.js';
import { JobStore } from './storage/job-store.js';
import { loadSecret, Sealer } from './storage/secret.js';
import { fileLogSource, noLogSource, s3LogSource, type LogSource } from './logs/log-source.js';
import { JobHost } from './jobs/job-host.js';
import { ExportService, type ExportRecord } from './exports/service.js';
import { exportRoutes } from './exports/routes.js';
import { createDataFeatures, type DataFeatures } from './features.js';

export interface DataServiceDeps {
  config: Config;
  logger: Logger;
  metrics: ServiceMetrics;
  auth: Authenticator;
  exportsBlobs: BlobStore;
  dataBlobs: BlobStore;
  logSource: LogSource;
  leases: LeaseManager;
  host: JobHost;
  sealer: Sealer;
  exports: ExportService;
}

export interface DataService {
  deps: DataServiceDeps;
  features: DataFeatures;
  server: Server;
  listen(): Promise<void>;
  url(): string;
  /** SIGTERM: refuse new work, stop jobs at a checkpoint, release leases, close. */
  shutdown(deadlineMs: number): Promise<void>;
}

export interface DataServiceOverrides {
  logger?: Logger;
  auth?: Authenticator;
  /** Test hooks: replace a store (e.g. one whose S3 goes away). */
  exportsBlobs?: BlobStore;
  dataBlobs?: BlobStore;
  owner?: string;
}

function bucketStore(config: Config, bucket: string, localDir: string): BlobStore {
  if (!bucket) return new LocalBlobStore(localDir);
  return new S3BlobStore(s3Client(config), bucket);
}

let client: ReturnType<typeof createS3Client> | undefined;
function s3Client(config: Config) {
  client ??= createS3Client({
    region: config.LOG_STORE_REGION,
    endpoint: config.LOG_STORE === 's3_custom' ? config.LOG_STORE_BASEPATH : undefined,
    accessKeyId: config.LOG_STORE === 's3_assume' ? undefined : config.LOG_STORE_ACCESS_KEY,
    secretAccessKey: config.LOG_STORE === 's3_assume' ? undefined : config.LOG_STORE_SECRET_KEY,
    roleArn: config.LOG_STORE === 's3_assume' ? config.LOG_STORE_AWS_ROLE_ARN : undefined,
    externalId: config.LOG_STORE_AWS_EXTERNAL_ID,
  });
  return client;
}

export async function createDataService(config: Config, o: DataServiceOverrides = {}): Promise<DataService> {
  client = undefined;
  const logger = o.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = createMetrics();
  const auth = o.auth ?? (config.CONTROL_PLANE_URL
    ? controlPlaneAuthenticator({
      url: config.CONTROL_PLANE_URL,
      clientAuth: config.PORTKEY_CLIENT_AUTH,
      organisations: config.ORGANISATIONS_TO_SYNC.split(',').map((s) => s.trim()).filter(Boolean),
      ttlMs: config.AUTH_CACHE_TTL_MS,
      maxKeys: config.AUTH_CACHE_MAX_KEYS,
    })
    : openAuthenticator());
  const exportsBlobs = o.exportsBlobs ?? bucketStore(config, config.LOG_EXPORTS_BUCKET, join(config.DATA_DIR, 'log-exports'));
  const dataBlobs = o.dataBlobs ?? bucketStore(config, config.FINETUNES_BUCKET, join(config.DATA_DIR, 'finetunes'));
  const logSource: LogSource = config.LOG_STORE === 'file'
    ? fileLogSource(config.LOG_STORE_FILE_DIR)
    : config.LOG_STORE === 'none' ? noLogSource() : s3LogSource(new S3BlobStore(s3Client(config), config.LOG_STORE_GENERATIONS_BUCKET));
  const leases: LeaseManager = config.REDIS_URL
    ? new RedisLeaseManager(config.REDIS_URL, { mode: config.REDIS_MODE, tls: config.REDIS_TLS_ENABLED === 'true', tlsCaFile: config.REDIS_TLS_CA_FILE || undefined })
    : new FileLeaseManager(join(config.DATA_DIR, 'leases'));
  const owner = o.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const host = new JobHost(leases, owner, config.BATCH_LEASE_TTL_MS, logger);
  const sealer = new Sealer(await loadSecret(config.DATA_SERVICE_SECRET, config.PORTKEY_CLIENT_AUTH, config.DATA_DIR));
  const exports = new ExportService({
    jobs: new JobStore<ExportRecord>(exportsBlobs, 'jobs/exports'),
    out: exportsBlobs, source: logSource, host, sealer, logger, metrics, downloadTtlS: 900, maxActive: config.EXPORT_MAX_ACTIVE,
  });
  const deps: DataServiceDeps = { config, logger, metrics, auth, exportsBlobs, dataBlobs, logSource, leases, host, sealer, exports };
  const features = createDataFeatures(deps);

  let draining = false;
  const startedAt = Date.now();
  const routes: Route[] = [
    route('GET', '/v1/health', 'health', async (ctx) => {
      sendJson(ctx.res, draining ? 503 : 200, {
        status: draining ? 'draining' : 'ok',
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        log_store: logSource.kind,
        exports_store: exportsBlobs.where,
        data_store: dataBlobs.where,
        leases: leases.kind,
        jobs_running: host.count(),
      });
    }),
    route('GET', '/health', 'health', async (ctx) => sendJson(ctx.res, draining ? 503 : 200, { status: draining ? 'draining' : 'ok' })),
    route('GET', '/metrics', 'metrics', async (ctx) => {
      const text = await metrics.registry.metrics();
      ctx.res.writeHead(200, { 'content-type': metrics.registry.contentType });
      ctx.res.end(text);
    }),
    ...exportRoutes(exports, { maxJsonBytes: config.MAX_JSON_BODY_BYTES, publicUrl: config.DATA_SERVICE_PUBLIC_URL }),
    ...features.routes,
  ];
  const server = createHttpServer({ routes, auth, logger, metrics, isDraining: () => draining });

  // Jobs without a running owner (a replica died, or this one restarted) are picked up here.
  let scanning = false;
  const scan = async () => {
    if (scanning || draining) return;
    scanning = true;
    try {
      await exports.scan();
      await features.scan();
    } catch (e) {
      logger.warn({ err: (e as Error).message }, 'job scan failed; retrying at the next interval');
    } finally {
      scanning = false;
    }
  };
  let timer: NodeJS.Timeout | undefined;

  return {
    deps,
    features,
    server,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.DATA_SERVICE_PORT, config.HOST, () => resolve());
      });
      timer = setInterval(() => void scan(), config.SCHEDULER_INTERVAL_MS);
      timer.unref();
      void scan();
    },
    url() {
      const a = server.address() as AddressInfo;
      const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return `http://${h}:${a.port}`;
    },
    async shutdown(deadlineMs) {
      draining = true;
      if (timer) clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await host.shutdown(Math.max(0, deadlineMs - 500));
      await features.close();
      await leases.close();
      await Promise.race([closed, new Promise((r) => setTimeout(r, 500).unref())]);
      server.closeAllConnections();
    },
  };
}
