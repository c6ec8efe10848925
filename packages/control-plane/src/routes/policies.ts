import { randomUUID } from 'node:crypto';
import { limitRuleWindow, parseValueKey, policyEntityId, valueKeyOfEntityId } from '@portico/contract';
import type { z } from 'zod';
import type { Sql } from '../db/types.js';
import { invalid, notFound } from '../http/errors.js';
import type { Access, Ctx, Route } from '../http/router.js';
import { paging, parseBody } from '../http/validate.js';
import { policyRule, usageWindow, type StoredPolicy } from '../policies/model.js';
import { policyUsage, windowStartOf, type EntityUsage } from '../policies/usage.js';
import { alertsSent } from '../policies/alerts.js';
import { checkAlertThreshold, checkOrganisation, checkResetExclusive, normaliseConditions, rateCreate, rateUpdate, usageCreate, usageUpdate } from '../policies/validate.js';
import { insertResource, listResources, parse, updateResource, type ResourceKind, type ResourceRow } from '../store/resources.js';
import { defaultWorkspace } from '../store/workspaces.js';
import { write } from '../store/write.js';

/**
 * Portkey's usage-limit and rate-limit policies (/v1/policies/...). A policy belongs to the workspace
 * the request acts in and limits only that workspace's requests. Every change reaches gateways through
 * sync (kind 'policy'); they enforce it with their limits engine. Usage per entity is read from the
 * analytics rows the gateways send; a reset starts an entity's count again on every gateway.
 */
const access = (role: 'member' | 'workspace_admin', scope: string): Access => ({ kind: 'admin', level: 'workspace', role, scope });

/** Active policies one workspace may hold: each is matched on every request of the workspace. */
export const MAX_POLICIES_PER_WORKSPACE = 100;
/** Entities with a reset in the current window, per policy. */
export const MAX_RESETS = 1000;

const KIND = { usage: 'usage-policy', rate: 'rate-policy' } as const satisfies Record<string, ResourceKind>;
const OBJECT = { 'usage-policy': 'policy_usage_limits', 'rate-policy': 'policy_rate_limits' } as const;
const AUDIT = { 'usage-policy': 'usage_limits_policy', 'rate-policy': 'rate_limits_policy' } as const;
type PolicyKind = (typeof KIND)[keyof typeof KIND];

function presentPolicy(row: ResourceRow, now = Date.now()) {
  const d = parse<StoredPolicy>(row.data);
  const common = {
    id: row.id, name: row.name || null, conditions: d.conditions, group_by: d.group_by, type: d.type, status: row.status,
    workspace_id: row.workspace_id, organisation_id: row.organisation_id, created_at: row.created_at, last_updated_at: row.last_updated_at,
  };
  if (row.kind === 'rate-policy') return { ...common, unit: d.unit, value: d.value, object: OBJECT['rate-policy'] };
  const periodic = usageWindow(d.periodic_reset, d.periodic_reset_days) !== 'total';
  return {
    // periodic_reset is left out rather than null: Portkey's document lists only "monthly" and "weekly" for it.
    ...common, credit_limit: d.credit_limit, alert_threshold: d.alert_threshold ?? null, ...(d.periodic_reset ? { periodic_reset: d.periodic_reset } : {}), periodic_reset_days: d.periodic_reset_days ?? null,
    next_usage_reset_at: periodic ? new Date(limitRuleWindow(policyRule(row.kind, d), now).end).toISOString() : null,
    last_reset_at: d.last_reset_at ?? null, object: OBJECT['usage-policy'],
  };
}

async function findPolicy(db: Sql, ctx: Ctx, kind: PolicyKind, id: string, param: string): Promise<ResourceRow> {
  const row = await db.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND kind = ? AND id = ?`, [ctx.principal.organisationId, kind, id]);
  if (!row || row.workspace_id !== ctx.ws.filter) throw notFound(kind === 'usage-policy' ? 'Usage limits policy' : 'Rate limits policy', id, param);
  return row;
}

async function findActive(db: Sql, ctx: Ctx, kind: PolicyKind, id: string, param: string): Promise<ResourceRow> {
  const row = await findPolicy(db, ctx, kind, id, param);
  if (row.status !== 'active') throw invalid(`The policy "${id}" is archived; create a new one instead`, param, 'policy_archived');
  return row;
}

async function checkRoom(tx: Sql, ctx: Ctx): Promise<void> {
  const n = await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM resources WHERE organisation_id = ? AND workspace_id = ? AND kind IN ('usage-policy', 'rate-policy') AND status = 'active'`, [ctx.principal.organisationId, ctx.ws.id]);
  if (Number(n?.n ?? 0) >= MAX_POLICIES_PER_WORKSPACE) {
    throw invalid(`This workspace already has ${MAX_POLICIES_PER_WORKSPACE} active policies, the most Portico matches per request; delete (archive) one first`, null, 'too_many_policies');
  }
}

type CreateBody = { kind: 'usage-policy'; body: z.infer<typeof usageCreate> } | { kind: 'rate-policy'; body: z.infer<typeof rateCreate> };

/** What is stored of a new policy; a usage policy counts from now. */
function storedPolicy(c: CreateBody, conditions: StoredPolicy['conditions']): StoredPolicy {
  if (c.kind === 'rate-policy') return { conditions, group_by: c.body.group_by, type: c.body.type, unit: c.body.unit, value: c.body.value };
  const b = c.body;
  return {
    conditions, group_by: b.group_by, type: b.type, credit_limit: b.credit_limit, alert_threshold: b.alert_threshold ?? null, periodic_reset: b.periodic_reset ?? null,
    periodic_reset_days: b.periodic_reset_days ?? null, since: new Date().toISOString(), resets: {}, last_reset_at: null,
  };
}

async function create(ctx: Ctx, kind: PolicyKind) {
  const c: CreateBody = kind === 'usage-policy' ? { kind, body: parseBody(usageCreate, ctx.body) } : { kind, body: parseBody(rateCreate, ctx.body) };
  const body = c.body;
  checkOrganisation(ctx, body.organisation_id);
  if (c.kind === 'usage-policy') {
    checkAlertThreshold(c.body.alert_threshold, c.body.credit_limit);
    checkResetExclusive(c.body);
  }
  return write(ctx, AUDIT[kind], async (tx, w) => {
    await checkRoom(tx, ctx);
    const data = storedPolicy(c, await normaliseConditions(tx, ctx, body.conditions, ctx.ws.id));
    // Policies have no slug of their own: the id serves as one (in the policy kind's own namespace).
    const id = randomUUID();
    const row = await insertResource(tx, { id, organisationId: ctx.principal.organisationId, workspaceId: ctx.ws.id, kind, slug: id, name: body.name ?? '', data });
    w.changed('policy', row.id);
    w.subject(row.id, row.workspace_id);
    return { id: row.id, object: OBJECT[kind] };
  });
}

/** Records a reset of one entity (its count starts again now); resets from before the current window are dropped. */
function withReset(row: ResourceRow, d: StoredPolicy, valueKey: string, param: string): StoredPolicy {
  const keys = d.group_by.map((g) => g.key);
  if (!parseValueKey(keys, valueKey)) {
    throw notFound('Usage limits policy entity', valueKey, param);
  }
  const now = Date.now();
  const start = windowStartOf(row, d, now);
  const resets = Object.fromEntries(Object.entries(d.resets ?? {}).filter(([, at]) => Date.parse(at) > start));
  if (!(valueKey in resets) && Object.keys(resets).length >= MAX_RESETS) {
    throw invalid(`This policy already holds ${MAX_RESETS} entity resets in its current window; raise credit_limit instead, or wait for the window to end`, param, 'too_many_resets');
  }
  const at = new Date(now).toISOString();
  resets[valueKey] = at;
  return { ...d, resets, last_reset_at: at };
}

async function update(ctx: Ctx, kind: PolicyKind, param: string) {
  const usage = kind === 'usage-policy';
  const body = usage ? parseBody(usageUpdate, ctx.body) : parseBody(rateUpdate, ctx.body);
  await write(ctx, AUDIT[kind], async (tx, w) => {
    const row = await findActive(tx, ctx, kind, ctx.params[param], param);
    let d = parse<StoredPolicy>(row.data);
    if (body.conditions) d.conditions = await normaliseConditions(tx, ctx, body.conditions, row.workspace_id!);
    if (usage) {
      const b = body as z.infer<typeof usageUpdate>;
      if (b.credit_limit !== undefined) d.credit_limit = b.credit_limit;
      if (b.alert_threshold !== undefined) d.alert_threshold = b.alert_threshold;
      checkAlertThreshold(d.alert_threshold, d.credit_limit ?? 0);
      checkResetExclusive(b);
      // Setting one reset period clears the other: they are mutually exclusive.
      const reset = b.periodic_reset !== undefined ? b.periodic_reset ?? null : b.periodic_reset_days != null ? null : d.periodic_reset ?? null;
      const days = b.periodic_reset_days !== undefined ? b.periodic_reset_days ?? null : b.periodic_reset != null ? null : d.periodic_reset_days ?? null;
      if (reset !== (d.periodic_reset ?? null) || days !== (d.periodic_reset_days ?? null)) {
        // Another window: counting starts again now (and every N days from now), on the gateways and in the usage reported here.
        d = { ...d, periodic_reset: reset, periodic_reset_days: days, since: new Date().toISOString(), resets: {} };
      }
      if (b.reset_usage_for_value !== undefined) d = withReset(row, d, b.reset_usage_for_value, 'reset_usage_for_value');
    } else {
      const b = body as z.infer<typeof rateUpdate>;
      if (b.unit !== undefined) d.unit = b.unit;
      if (b.value !== undefined) d.value = b.value;
    }
    await updateResource(tx, row.id, { name: body.name, data: JSON.stringify(d) });
    w.changed('policy', row.id);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function archive(ctx: Ctx, kind: PolicyKind, param: string) {
  await write(ctx, AUDIT[kind], async (tx, w) => {
    const row = await findPolicy(tx, ctx, kind, ctx.params[param], param);
    await updateResource(tx, row.id, { status: 'archived' });
    w.changed('policy', row.id);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

async function list(ctx: Ctx, kind: PolicyKind) {
  const status = ctx.query.get('status') ?? 'active';
  if (status !== 'active' && status !== 'archived') throw invalid('status must be "active" or "archived"', 'status');
  const where = ['status = ?'];
  const params: string[] = [status];
  const type = ctx.query.get('type');
  const types = kind === 'usage-policy' ? ['cost', 'tokens'] : ['requests', 'tokens'];
  if (type !== null) {
    if (!types.includes(type)) throw invalid(`type must be one of ${types.map((t) => `"${t}"`).join(', ')}`, 'type');
    where.push('data LIKE ?');
    params.push(`%"type":"${type}"%`);
  }
  const unit = kind === 'rate-policy' ? ctx.query.get('unit') : null;
  if (unit !== null) {
    if (!['rpm', 'rph', 'rpd'].includes(unit)) throw invalid('unit must be one of "rpm", "rph", "rpd"', 'unit');
    where.push('data LIKE ?');
    params.push(`%"unit":"${unit}"%`);
  }
  const { rows, total } = await listResources(ctx.services.db, ctx.principal.organisationId, kind, ctx.ws.filter, paging(ctx.query), { where: where.join(' AND '), params });
  return { object: 'list', total, data: rows.map((r) => presentPolicy(r)) };
}

async function usageOf(ctx: Ctx, row: ResourceRow): Promise<{ d: StoredPolicy; entities: EntityUsage[] }> {
  const d = parse<StoredPolicy>(row.data);
  const ws = await defaultWorkspace(ctx.services.db, ctx.principal.organisationId);
  return { d, entities: await policyUsage(ctx.services.db, row, d, ws.id) };
}

const rounded = (d: StoredPolicy, n: number): number => (d.type === 'cost' ? Math.round(n * 1e6) / 1e6 : n);
const exhausted = (d: StoredPolicy, usage: number): boolean => usage >= (d.credit_limit ?? 0);

async function getUsagePolicy(ctx: Ctx) {
  const row = await findPolicy(ctx.services.db, ctx, 'usage-policy', ctx.params.policyUsageLimitsId, 'policyUsageLimitsId');
  const status = ctx.query.get('status');
  if (status !== null && status !== row.status) throw notFound('Usage limits policy', row.id, 'policyUsageLimitsId');
  const out: Record<string, unknown> = presentPolicy(row);
  if (ctx.query.get('include_usage') === 'true') {
    const { d, entities } = await usageOf(ctx, row);
    const sent = await alertsSent(ctx.services.db, row, d, entities.map((e) => e.valueKey));
    out.value_key_usage_map = Object.fromEntries(entities.map((e) => [e.valueKey, {
      current_usage: rounded(d, e.usage), status: exhausted(d, e.usage) ? 'exhausted' : 'active',
      is_threshold_alerts_sent: sent.get(e.valueKey)?.has('threshold') ?? false, is_exhausted_alerts_sent: sent.get(e.valueKey)?.has('exhausted') ?? false,
    }]));
  }
  return out;
}

async function listEntities(ctx: Ctx) {
  const row = await findPolicy(ctx.services.db, ctx, 'usage-policy', ctx.params.policyUsageLimitsId, 'policyUsageLimitsId');
  const status = ctx.query.get('status');
  if (status !== null && status !== 'active' && status !== 'exhausted') throw invalid('status must be "active" or "exhausted"', 'status');
  const page = paging(ctx.query);
  if (page.limit > 100) throw invalid('page_size must be an integer from 1 to 100', 'page_size');
  const search = ctx.query.get('search');
  const { d, entities } = await usageOf(ctx, row);
  const matching = entities.filter((e) => (status === null || (status === 'exhausted') === exhausted(d, e.usage)) && (search === null || e.valueKey.includes(search)));
  const threshold = d.alert_threshold ?? null;
  const shown = matching.slice(page.offset, page.offset + page.limit);
  const sent = await alertsSent(ctx.services.db, row, d, shown.map((e) => e.valueKey));
  return {
    object: 'list', total: matching.length,
    data: shown.map((e) => ({
      id: policyEntityId(e.valueKey), value_key: e.valueKey, current_usage: rounded(d, e.usage), status: exhausted(d, e.usage) ? 'exhausted' : 'active',
      threshold_reached: threshold !== null && e.usage >= threshold, last_reset_at: d.resets?.[e.valueKey] ?? null,
      is_threshold_alerts_sent: sent.get(e.valueKey)?.has('threshold') ?? false, is_exhausted_alerts_sent: sent.get(e.valueKey)?.has('exhausted') ?? false,
      object: 'policy_usage_limits_entity',
    })),
  };
}

async function resetEntity(ctx: Ctx) {
  const id = ctx.params.entityId;
  // The entity's id from /entities, or its value key as such.
  const valueKey = valueKeyOfEntityId(id) ?? (id.includes(':') ? id : undefined);
  if (valueKey === undefined) throw notFound('Usage limits policy entity', id, 'entityId');
  await write(ctx, AUDIT['usage-policy'], async (tx, w) => {
    const row = await findActive(tx, ctx, 'usage-policy', ctx.params.policyUsageLimitsId, 'policyUsageLimitsId');
    const d = withReset(row, parse<StoredPolicy>(row.data), valueKey, 'entityId');
    await updateResource(tx, row.id, { data: JSON.stringify(d) });
    w.changed('policy', row.id);
    w.subject(row.id, row.workspace_id);
  });
  return {};
}

const U = '/v1/policies/usage-limits';
const R = '/v1/policies/rate-limits';
export const policyRoutes: Route[] = [
  { method: 'POST', path: U, access: access('workspace_admin', 'policies.create'), summary: 'Create a usage limits policy: a budget of cost or tokens per entity (group_by), monthly, weekly or in total, enforced by gateways', handler: (ctx) => create(ctx, KIND.usage) },
  { method: 'GET', path: U, access: access('member', 'policies.list'), summary: 'List usage limits policies (filters: status, type)', handler: (ctx) => list(ctx, KIND.usage) },
  { method: 'GET', path: `${U}/:policyUsageLimitsId`, access: access('member', 'policies.read'), summary: 'Get a usage limits policy; include_usage=true adds usage per entity', handler: getUsagePolicy },
  { method: 'PUT', path: `${U}/:policyUsageLimitsId`, access: access('workspace_admin', 'policies.update'), summary: 'Update a usage limits policy (reset_usage_for_value resets one entity)', handler: (ctx) => update(ctx, KIND.usage, 'policyUsageLimitsId') },
  { method: 'DELETE', path: `${U}/:policyUsageLimitsId`, access: access('workspace_admin', 'policies.delete'), summary: 'Archive a usage limits policy: gateways stop enforcing it', handler: (ctx) => archive(ctx, KIND.usage, 'policyUsageLimitsId') },
  { method: 'GET', path: `${U}/:policyUsageLimitsId/entities`, access: access('member', 'policies.read'), summary: 'Usage per entity in the current window, from the gateways\' analytics rows (filters: status, search)', handler: listEntities },
  { method: 'PUT', path: `${U}/:policyUsageLimitsId/entities/:entityId/reset`, access: access('workspace_admin', 'policies.update'), summary: 'Reset an entity\'s usage: its count starts again on every gateway', handler: resetEntity },
  { method: 'POST', path: R, access: access('workspace_admin', 'policies.create'), summary: 'Create a rate limits policy: requests or tokens per minute, hour or day per entity (group_by), enforced by gateways', handler: (ctx) => create(ctx, KIND.rate) },
  { method: 'GET', path: R, access: access('member', 'policies.list'), summary: 'List rate limits policies (filters: status, type, unit)', handler: (ctx) => list(ctx, KIND.rate) },
  { method: 'GET', path: `${R}/:rateLimitsPolicyId`, access: access('member', 'policies.read'), summary: 'Get a rate limits policy', handler: async (ctx) => {
    const row = await findPolicy(ctx.services.db, ctx, 'rate-policy', ctx.params.rateLimitsPolicyId, 'rateLimitsPolicyId');
    const status = ctx.query.get('status');
    if (status !== null && status !== row.status) throw notFound('Rate limits policy', row.id, 'rateLimitsPolicyId');
    return presentPolicy(row);
  } },
  { method: 'PUT', path: `${R}/:rateLimitsPolicyId`, access: access('workspace_admin', 'policies.update'), summary: 'Update a rate limits policy: name, unit, value, conditions', handler: (ctx) => update(ctx, KIND.rate, 'rateLimitsPolicyId') },
  { method: 'DELETE', path: `${R}/:rateLimitsPolicyId`, access: access('workspace_admin', 'policies.delete'), summary: 'Delete (archive) a rate limits policy: gateways stop enforcing it', handler: (ctx) => archive(ctx, KIND.rate, 'rateLimitsPolicyId') },
];
