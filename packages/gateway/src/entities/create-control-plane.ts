import path from 'node:path';
import type { Registry } from 'prom-client';
import { asList, type Settings } from '../config/settings.js';
import type { RedisConnection } from '../state/redis.js';
import { ControlPlaneEntityStore } from './control-plane-store.js';
import type { SyncLogger } from './org-sync.js';
import { FileSnapshotPersistence, RedisSnapshotPersistence, SnapshotCipher } from './snapshot-persistence.js';

/** Where a synced gateway keeps its state under DATA_DIR. */
export const SNAPSHOT_SUBDIR = 'gateway-sync';

/**
 * The control-plane entity store from the settings: the snapshot persisted in Redis when the gateway
 * uses Redis, else under DATA_DIR. Waits up to `waitMs` for a first snapshot, so a gateway started
 * with its control plane answers at once; past that it starts anyway and serves when one arrives.
 */
export async function openControlPlaneStore(settings: Settings, deps: { redis?: RedisConnection; registry: Registry; logger: SyncLogger; waitMs?: number }): Promise<ControlPlaneEntityStore> {
  const persistence = deps.redis
    ? new RedisSnapshotPersistence(deps.redis)
    : new FileSnapshotPersistence(path.join(settings.DATA_DIR, SNAPSHOT_SUBDIR));
  const store = new ControlPlaneEntityStore({
    url: settings.CONTROL_PLANE_URL,
    clientAuth: settings.PORTKEY_CLIENT_AUTH,
    organisations: asList(settings.ORGANISATIONS_TO_SYNC),
    persistence,
    cipher: new SnapshotCipher(settings.PORTKEY_CLIENT_AUTH),
    logger: deps.logger,
    registry: deps.registry,
  });
  await store.start(deps.waitMs ?? 5000);
  return store;
}
