import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { processLogOptions } from '@portico/contract';
import { scheduleDailyRepair } from './analytics/daily-repair.js';
import { bootstrap, type BootstrapResult } from './bootstrap.js';
import { fetchFromSecretsManager, loadEnvelope, type SecretFetcher } from './crypto/master-keys.js';
import { rewrapSecrets } from './crypto/rotation.js';
import { migrate } from './db/migrations.js';
import { openDatabase } from './db/open.js';
import type { Database } from './db/types.js';
import type { ControlPlaneEnv } from './env.js';
import { createMetrics } from './http/metrics.js';
import { UsageAlerts } from './policies/alerts.js';
import { createHttpApp, type HttpApp } from './http/server.js';
import { findConsoleDir, staticSite } from './http/static.js';
import { allRoutes } from './routes/index.js';
import type { Services } from './services.js';
import { ChangeFeed } from './sync/feed.js';
import { createEgress } from './egress/connect.js';
import { createEgressPolicy } from './egress/policy.js';
import { SecretRefresher } from './secret-references/refresher.js';
import { SecretValues } from './secret-references/resolver.js';

/**
 * Builds a control plane: database (migrated), master key, bootstrap organisation, routes, HTTP
 * server. `extensions` run before listening: they may add routes (app.router.add) and principal
 * resolvers (app.addResolver), which is how the console's sessions plug in.
 */
export interface ControlPlane {
  app: HttpApp;
  services: Services;
  bootstrap: BootstrapResult;
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  env: ControlPlaneEnv;
  log?: Logger;
  extensions?: Array<(app: HttpApp, services: Services) => void | Promise<void>>;
  fetchSecret?: SecretFetcher;
  announce?: (text: string) => void;
}

export async function startControlPlane(opts: StartOptions): Promise<ControlPlane> {
  const env = opts.env;
  const log = opts.log ?? pino(processLogOptions('control-plane', env.logLevel));
  const db: Database = openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
  try {
    await migrate(db);
    const { envelope, source } = await loadEnvelope({ encryptionKey: env.encryptionKey, previousKeys: env.encryptionKeyPrevious, dataDir: env.dataDir, fetchSecret: opts.fetchSecret ?? fetchFromSecretsManager });
    const rewrapped = await rewrapSecrets(db, envelope);
    if (rewrapped > 0) log.info({ rewrapped }, 'secrets rewrapped with the current encryption key');
    const boot = await bootstrap(db, { dataDir: env.dataDir, organisationId: env.organisationId, adminApiKey: env.adminApiKey, clientAuth: env.clientAuth, announce: opts.announce });
    const metrics = createMetrics();
    const feed = new ChangeFeed(db);
    const egress = createEgress(createEgressPolicy(env.egressAllowLoopback, env.egressAllowedCidrs));
    const secretValues = new SecretValues(envelope, egress, { ttlMs: env.secretReferenceTtlSeconds * 1000, awsEndpoint: env.secretReferenceAwsEndpoint, azureAuthority: env.secretReferenceAzureAuthority, allowServiceRole: env.secretReferenceAllowServiceRole }, log,
      (manager, ok) => metrics.secretReads.inc({ manager, result: ok ? 'ok' : 'error' }));
    const secretRefresher = new SecretRefresher(db, secretValues, feed, log);
    // Warm the cache before serving, so gateways' first snapshot carries mapped secrets (bounded: a slow manager delays start by at most 30 s).
    await Promise.race([secretRefresher.pass(false), new Promise((r) => setTimeout(r, 30_000).unref())]);
    secretRefresher.start();
    const usageAlerts = new UsageAlerts(db, log, metrics, env.usageAlertIntervalSeconds * 1000);
    usageAlerts.start();
    const services: Services = { db, envelope, feed, log, metrics, bootstrapOrganisationId: boot.organisationId, egress, secretValues, secretRefresher, usageAlerts };
    const site = staticSite(findConsoleDir(env.consoleDir));
    const app = createHttpApp(services, site);
    app.router.add(...allRoutes(app.draining));
    for (const extend of opts.extensions ?? []) await extend(app, services);
    await new Promise<void>((resolve, reject) => {
      app.server.once('error', reject);
      app.server.listen(env.port, env.host, () => resolve());
    });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    const prune = setInterval(() => {
      const cutoff = new Date(Date.now() - env.changeLogRetentionDays * 86_400_000).toISOString();
      db.run(`DELETE FROM change_log WHERE created_at < ?`, [cutoff]).catch((err) => log.warn({ err }, 'change-log pruning failed'));
    }, 3_600_000);
    prune.unref();
    const dailyRepair = scheduleDailyRepair(db, log);
    log.info({ url, database: db.dialect, organisation: boot.organisationId, encryptionKey: source, console: site.root ?? null }, 'control plane listening');
    let closed: Promise<void> | undefined;
    return {
      app, services, bootstrap: boot, url,
      close: () =>
        (closed ??= (async () => {
          app.drain();
          clearInterval(prune);
          await dailyRepair.stop();
          feed.close();
          await secretRefresher.stop();
          await usageAlerts.stop();
          await egress.close();
          await new Promise<void>((resolve) => {
            const force = setTimeout(() => app.server.closeAllConnections(), env.shutdownGraceMs);
            force.unref();
            app.server.close(() => {
              clearTimeout(force);
              resolve();
            });
            app.server.closeIdleConnections();
          });
          await db.close();
        })()),
    };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}

export function addressOf(cp: ControlPlane): AddressInfo {
  return cp.app.server.address() as AddressInfo;
}
