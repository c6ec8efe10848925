import { z } from 'zod';
import { GatewayError, SYNC_MAX_WAIT_SECONDS, SYNC_PATHS, type SyncChange, type SyncChanges, type SyncEntityKind } from '@portico/contract';
import { presentedKey } from '../auth/api-key.js';
import { checkClientAuth } from '../bootstrap.js';
import { insertAnalytics, parseAnalyticsBatch } from '../analytics/ingest.js';
import { invalid } from '../http/errors.js';
import type { Ctx, Route } from '../http/router.js';
import { parseBody } from '../http/validate.js';
import { buildSnapshot, changeFor, keyEntity } from '../sync/entities.js';

/**
 * The gateway-facing sync endpoints (packages/contract/src/sync.ts). A gateway authenticates with
 * its organisation's client-auth key and only ever receives that organisation's entities.
 */
const MAX_CHANGES = 5_000;

async function authorise(ctx: Ctx, organisation: string | null): Promise<string> {
  if (!organisation) throw invalid('Name the organisation: ?organisation=ORGANISATION_ID (one of ORGANISATIONS_TO_SYNC)', 'organisation');
  const key = presentedKey(ctx.req);
  if (!key) throw new GatewayError({ status: 401, code: 'missing_client_auth', message: 'Send the client-auth key (PORTKEY_CLIENT_AUTH) as Authorization: Bearer', headers: { 'www-authenticate': 'Bearer' } });
  if (!(await checkClientAuth(ctx.services.db, organisation, key))) {
    throw new GatewayError({ status: 403, code: 'invalid_client_auth', message: `This client-auth key is not one of organisation ${organisation}'s; check PORTKEY_CLIENT_AUTH and ORGANISATIONS_TO_SYNC` });
  }
  return organisation;
}

async function snapshot(ctx: Ctx) {
  const organisation = await authorise(ctx, ctx.query.get('organisation'));
  // One transaction, so the version and the entities agree.
  return ctx.services.db.transaction((tx) => buildSnapshot(tx, ctx.services.envelope, organisation, ctx.services.secretValues), { snapshot: true });
}

async function collectChanges(ctx: Ctx, organisation: string, since: number): Promise<SyncChanges> {
  return ctx.services.db.transaction(async (tx) => {
    const current = Number((await tx.get<{ sync_version: number }>(`SELECT sync_version FROM organisations WHERE id = ?`, [organisation]))?.sync_version ?? 0);
    if (since > current) return { organisation, version: current, changes: [], reset: true };
    if (since === current) return { organisation, version: current, changes: [] };
    const oldest = await tx.get<{ v: number | null }>(`SELECT MIN(version) AS v FROM change_log WHERE organisation_id = ?`, [organisation]);
    if (oldest?.v == null || Number(oldest.v) > since + 1) return { organisation, version: current, changes: [], reset: true };
    const refs = await tx.all<{ kind: SyncEntityKind; ref: string }>(
      `SELECT kind, ref FROM change_log WHERE organisation_id = ? AND version > ? AND version <= ? GROUP BY kind, ref`,
      [organisation, since, current],
    );
    if (refs.length > MAX_CHANGES) return { organisation, version: current, changes: [], reset: true };
    const changes: SyncChange[] = [];
    for (const r of refs) changes.push(await changeFor(tx, ctx.services.envelope, organisation, r.kind, r.ref, ctx.services.secretValues));
    return { organisation, version: current, changes };
  }, { snapshot: true });
}

async function changes(ctx: Ctx) {
  const organisation = await authorise(ctx, ctx.query.get('organisation'));
  const since = Number(ctx.query.get('since') ?? 'NaN');
  if (!Number.isInteger(since) || since < 0) throw invalid('since must be the version of the snapshot or changes last applied (an integer ≥ 0)', 'since');
  const waitParam = ctx.query.get('wait');
  const wait = waitParam === null ? 0 : Number(waitParam);
  if (!Number.isFinite(wait) || wait < 0) throw invalid(`wait must be a number of seconds from 0 to ${SYNC_MAX_WAIT_SECONDS}`, 'wait');
  let result = await collectChanges(ctx, organisation, since);
  if (result.changes.length === 0 && !result.reset && wait > 0) {
    const abort = new AbortController();
    ctx.req.once('close', () => abort.abort());
    ctx.res.once('close', () => abort.abort());
    const waiting = ctx.services.feed.wait(organisation, since, Math.min(wait, SYNC_MAX_WAIT_SECONDS) * 1000, abort.signal);
    if (waiting === false) throw new GatewayError({ status: 503, code: 'too_many_waiters', message: 'Too many gateways are long-polling this control plane; retry shortly', headers: { 'retry-after': '1' } });
    ctx.services.metrics.longPolls.inc();
    try {
      const moved = await waiting;
      if (moved !== undefined) result = await collectChanges(ctx, organisation, since);
    } finally {
      ctx.services.metrics.longPolls.dec();
    }
  }
  return result;
}

async function analytics(ctx: Ctx) {
  const batch = parseAnalyticsBatch(ctx.body);
  const orgs = new Set(batch.rows.map((r) => r.organisation));
  const named = ctx.query.get('organisation');
  if (named) orgs.add(named);
  if (orgs.size === 0) return { accepted: 0, duplicates: 0 };
  for (const org of orgs) await authorise(ctx, org);
  // Repeated ids within a batch are harmless: ON CONFLICT DO NOTHING stores the first.
  const accepted = await insertAnalytics(ctx.services.db, batch.rows, ctx.rawBody);
  const duplicates = batch.rows.length - accepted;
  ctx.services.metrics.analyticsRows.inc({ result: 'stored' }, accepted);
  if (duplicates) ctx.services.metrics.analyticsRows.inc({ result: 'duplicate' }, duplicates);
  return { accepted, duplicates };
}

const introspectBody = z.strictObject({ organisation: z.string().min(1).max(128), hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the lower-case hex SHA-256 of the key') });

async function introspect(ctx: Ctx) {
  const body = parseBody(introspectBody, ctx.body);
  await authorise(ctx, body.organisation);
  const row = await ctx.services.db.get<Parameters<typeof keyEntity>[0]>(
    `SELECT id, organisation_id, workspace_id, name, key_hash, scopes, rate_limits, usage_limits, defaults, expires_at, status FROM api_keys WHERE organisation_id = ? AND key_hash = ?`,
    [body.organisation, body.hash],
  );
  if (!row || row.status !== 'active' || (row.expires_at && Date.parse(row.expires_at) <= Date.now())) {
    throw new GatewayError({ status: 404, code: 'unknown_key', message: 'No active key of this organisation has that hash' });
  }
  return keyEntity(row);
}

export const syncRoutes: Route[] = [
  { method: 'GET', path: SYNC_PATHS.snapshot, access: { kind: 'client' }, summary: 'Everything a gateway serves for one organisation, at its sync version', handler: snapshot },
  { method: 'GET', path: SYNC_PATHS.changes, access: { kind: 'client' }, summary: 'Changes after a version; long-polls up to `wait` seconds (at most 30)', handler: changes },
  { method: 'POST', path: SYNC_PATHS.analytics, access: { kind: 'client' }, bodyLimit: 32 * 1024 * 1024, summary: 'Analytics rows from a gateway, stored once each by row id', handler: analytics },
  { method: 'POST', path: SYNC_PATHS.introspect, access: { kind: 'client' }, summary: 'A key\'s gateway entity by its hash, for services without a snapshot', handler: introspect },
];
