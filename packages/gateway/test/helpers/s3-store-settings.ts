import { loadSettings, type Settings } from '../../src/config/settings.js';
import { S3RVER_KEY, type S3Harness } from '@portico/test-support/s3';

/** Settings for an S3 log store on the harness (LOG_STORE=s3_custom with static keys). */
export function s3StoreSettings(h: S3Harness, spillDir: string, env: Record<string, string> = {}): Settings {
  return loadSettings({
    LOG_STORE: 's3_custom',
    LOG_STORE_BASEPATH: h.endpoint,
    LOG_STORE_GENERATIONS_BUCKET: h.bucket,
    LOG_STORE_ACCESS_KEY: S3RVER_KEY,
    LOG_STORE_SECRET_KEY: S3RVER_KEY,
    LOG_STORE_SPILL_DIR: spillDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
}
