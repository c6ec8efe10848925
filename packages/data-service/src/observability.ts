import { processLogOptions } from '@portico/contract';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** JSON process log, in the shape every Portico part shares; request headers are censored whole here. */
export function createLogger(level: string): Logger {
  return pino(processLogOptions('portico-data-service', level, ['*.headers']));
}

export interface ServiceMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  httpSeconds: Histogram<'route'>;
  exportDocs: Counter<'outcome'>;
  batchLines: Counter<'outcome'>;
  jobsActive: Gauge<'kind'>;
  storageErrors: Counter<'store'>;
}

export function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portico_data_service_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'portico_data_service_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    httpSeconds: new Histogram({ name: 'portico_data_service_http_request_seconds', help: 'HTTP request time by route', labelNames: ['route'], registers: [registry], buckets: [0.005, 0.02, 0.1, 0.5, 2, 10] }),
    exportDocs: new Counter({ name: 'portico_data_service_export_documents_total', help: 'Log documents read by exports: written or filtered out', labelNames: ['outcome'], registers: [registry] }),
    batchLines: new Counter({ name: 'portico_data_service_batch_lines_total', help: 'Batch lines finished, by outcome', labelNames: ['outcome'], registers: [registry] }),
    jobsActive: new Gauge({ name: 'portico_data_service_jobs_active', help: 'Jobs this replica runs now', labelNames: ['kind'], registers: [registry] }),
    storageErrors: new Counter({ name: 'portico_data_service_storage_errors_total', help: 'Failed object-store calls (jobs pause and retry)', labelNames: ['store'], registers: [registry] }),
  };
}
