import { hostname } from 'node:os';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { SYNC_PATHS } from '@portico/contract';
import { asInt, asList, type Settings } from '../config/settings.js';
import type { SyncClient } from '../entities/sync-client.js';
import { AnalyticsShipper, type ShipperLogger } from './shipper.js';

export const ANALYTICS_SPILL_SUBDIR = 'analytics-spill';

/** The analytics shipper of a gateway synced from a control plane; rows wait under DATA_DIR. */
export async function createAnalyticsShipper(settings: Settings, client: SyncClient, deps: { registry: Registry; logger: ShipperLogger }): Promise<AnalyticsShipper> {
  const shipper = new AnalyticsShipper({
    gateway: `${hostname()}:${process.pid}`,
    send: (batch, timeoutMs) => client.postJson(SYNC_PATHS.analytics, batch, timeoutMs),
    spillDir: path.join(settings.DATA_DIR, ANALYTICS_SPILL_SUBDIR),
    spillMaxBytes: asInt(settings.ANALYTICS_SPILL_MAX_BYTES),
    maxQueueRows: asInt(settings.ANALYTICS_QUEUE_MAX_ROWS),
    logger: deps.logger,
    registry: deps.registry,
  });
  await shipper.start();
  return shipper;
}

/** The organisation a row belongs to when its key does not say: the first one synced. */
export function defaultOrganisation(settings: Settings): string {
  return asList(settings.ORGANISATIONS_TO_SYNC)[0] ?? '';
}
