import type { S3Harness } from '@portico/test-support/s3';

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
