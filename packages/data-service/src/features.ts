import type { Route } from './http/server.js';
import type { DataServiceDeps } from './app.js';
import { JobStore } from './storage/job-store.js';
import { FileService, type FileRecord } from './files/service.js';
import { fileRoutes } from './files/routes.js';
import { BatchRunner } from './batches/runner.js';
import { BatchService } from './batches/service.js';
import { batchRoutes } from './batches/routes.js';
import type { BatchRecord } from './batches/record.js';
import { gatewayCaller } from './batches/gateway-call.js';
import { FineTuneService } from './fine-tuning/service.js';
import { fineTuneRoutes } from './fine-tuning/routes.js';
import type { FineTuneRecord } from './fine-tuning/record.js';

/** Files, batches and fine-tuning: their routes, job scan and shutdown, wired in one place. */
export interface DataFeatures {
  routes: Route[];
  files: FileService;
  batches: BatchService;
  fineTuning: FineTuneService;
  scan(): Promise<void>;
  close(): Promise<void>;
}

export function createDataFeatures(deps: DataServiceDeps): DataFeatures {
  const c = deps.config;
  const fileJobs = new JobStore<FileRecord>(deps.dataBlobs, 'jobs/files');
  const files = new FileService({ jobs: fileJobs, blobs: deps.dataBlobs, maxBytes: c.FILE_MAX_BYTES, maxBatchLines: c.BATCH_MAX_LINES });
  const batchJobs = new JobStore<BatchRecord>(deps.dataBlobs, 'jobs/batches');
  const caller = gatewayCaller({ gatewayUrl: () => c.GATEWAY_URL, maxAttempts: c.BATCH_MAX_ATTEMPTS, timeoutMs: c.BATCH_REQUEST_TIMEOUT_MS, connections: c.BATCH_CONCURRENCY * c.BATCH_MAX_ACTIVE });
  const runner = new BatchRunner({
    jobs: batchJobs, files: fileJobs, fileService: files, blobs: deps.dataBlobs, sealer: deps.sealer, caller,
    logger: deps.logger, metrics: deps.metrics, concurrency: c.BATCH_CONCURRENCY, syncMs: 1000,
  });
  const batches = new BatchService({ jobs: batchJobs, files, runner, host: deps.host, sealer: deps.sealer, maxActive: c.BATCH_MAX_ACTIVE });
  const fineTuning = new FineTuneService({
    jobs: new JobStore<FineTuneRecord>(deps.dataBlobs, 'jobs/fine-tuning'), files, blobs: deps.dataBlobs, bucket: c.FINETUNES_BUCKET,
    sealer: deps.sealer, source: deps.logSource, gatewayUrl: () => c.GATEWAY_URL,
    bedrock: { endpoint: c.BEDROCK_ENDPOINT, roleArn: c.BEDROCK_FINETUNE_ROLE_ARN },
    vertex: { endpoint: c.VERTEX_ENDPOINT, storageEndpoint: c.VERTEX_STORAGE_ENDPOINT },
  });
  return {
    routes: [...fileRoutes(files), ...batchRoutes(batches, c.MAX_JSON_BODY_BYTES), ...fineTuneRoutes(fineTuning, c.MAX_JSON_BODY_BYTES)],
    files,
    batches,
    fineTuning,
    scan: () => batches.scan(),
    close: () => caller.close(),
  };
}
