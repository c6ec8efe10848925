import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createS3LogStore, type S3LogStore } from '../../src/logs/s3/store.js';
import { logStoreMetrics } from '../../src/logs/metrics.js';
import type { S3Harness } from '@portico/test-support/s3';
import { s3StoreSettings } from '../helpers/s3-store-settings.js';

export async function tempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `portico-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestStore {
  store: S3LogStore;
  registry: Registry;
  counter: (name: 'written' | 'spilled' | 'replayed' | 'dropped') => Promise<number>;
}

/** A store on the harness with fast batching and backoff, metrics on a private registry. */
export function testStore(h: S3Harness, spillDir: string, env: Record<string, string> = {}): TestStore {
  const registry = new Registry();
  const store = createS3LogStore(
    s3StoreSettings(h, spillDir, { LOG_STORE_BATCH_MAX_AGE_MS: '50', LOG_STORE_BATCH_MAX_DOCS: '50', ...env }),
    { registry, replayBackoffMs: { initial: 100, max: 400 }, uploadTimeoutMs: 2_000 },
  );
  const m = logStoreMetrics(registry);
  const counter = async (name: 'written' | 'spilled' | 'replayed' | 'dropped'): Promise<number> =>
    (await m[name].get()).values.reduce((a, v) => a + v.value, 0);
  return { store, registry, counter };
}

export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
