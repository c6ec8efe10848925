/**
 * Usage-limit alerts. Portkey e-mails a policy's alert_threshold and exhaustion; Portico sends no
 * e-mail (and Portkey's document defines no webhook for them), so it records each alert where an
 * operator already looks: an audit-log entry (action alert_threshold_reached or alert_limit_exhausted,
 * actor "system"), a JSON log line
 * ("usage-limit alert") and portico_cp_usage_alerts_total{kind}. A pass runs every
 * USAGE_ALERT_INTERVAL_SECONDS over the active usage-limit policies that set alert_threshold, reading
 * each entity's usage from the analytics rows as /entities does, and over the API keys and workspaces
 * whose own usage_limits set one. Each alert is recorded once per entity
 * and period (its window, or since its last reset): a row in usage_alerts whose primary key several
 * control planes on one database agree on, so only one of them records it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/types.js';
import type { Metrics } from '../http/metrics.js';
import { limitRuleWindow } from '@portico/contract';
import { usageRule, type UsageLimitInput } from '../auth/scopes.js';
import { parse, type ResourceRow } from '../store/resources.js';
import { defaultWorkspace } from '../store/workspaces.js';
import type { StoredPolicy } from './model.js';
import { policyUsage, windowStartOf } from './usage.js';

export type AlertKind = 'threshold' | 'exhausted';

/** Policies checked in one pass at most (100 per workspace; this bounds a pass over many workspaces). */
const MAX_POLICIES_PER_PASS = 1000;
/** API keys and workspaces with an alerting usage limit checked in one pass at most. */
const MAX_OWN_LIMITS_PER_PASS = 10_000;

/** One budget's standing in its current period. */
interface Alert {
  /** usage_alerts.policy_id: the policy's id, "api-key:<id>" or "workspace:<id>". */
  subject: string;
  valueKey: string;
  organisation: string;
  workspace: string | null;
  resourceType: 'usage_limits_policy' | 'api_key' | 'workspace';
  resourceId: string;
  path: string;
  name: string | null;
  usage: number;
  threshold: number;
  limit: number;
  type: string;
  periodStart: number;
}

/** Where an entity's current period began: its policy's window (or start), or its last reset when later. */
export function entityPeriodStart(row: ResourceRow, d: StoredPolicy, valueKey: string, now: number): number {
  const reset = Date.parse(d.resets?.[valueKey] ?? '');
  const start = windowStartOf(row, d, now);
  return Number.isFinite(reset) && reset > start ? reset : start;
}

/** Alerts already recorded in each entity's current period, for /entities and include_usage. */
export async function alertsSent(db: Database, row: ResourceRow, d: StoredPolicy, valueKeys: string[], now = Date.now()): Promise<Map<string, Set<AlertKind>>> {
  const out = new Map<string, Set<AlertKind>>();
  if (valueKeys.length === 0) return out;
  const rows = await db.all<{ value_key: string; period_start: string; kind: AlertKind }>(
    `SELECT value_key, period_start, kind FROM usage_alerts WHERE policy_id = ? AND period_start >= ?`, [row.id, new Date(windowStartOf(row, d, now)).toISOString()]);
  for (const r of rows) {
    if (Date.parse(r.period_start) !== entityPeriodStart(row, d, r.value_key, now)) continue;
    let set = out.get(r.value_key);
    if (!set) out.set(r.value_key, (set = new Set()));
    set.add(r.kind);
  }
  return out;
}

export class UsageAlerts {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly db: Database, private readonly log: Logger, private readonly metrics: Metrics, private readonly intervalMs: number) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.pass(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every policy with an alert_threshold; concurrent calls share it. Never rejects. */
  pass(now = Date.now()): Promise<void> {
    this.running ??= this.run(now).catch((err) => this.log.warn({ err }, 'usage-limit alert pass failed')).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(now: number): Promise<void> {
    const rows = await this.db.all<ResourceRow>(
      `SELECT * FROM resources WHERE kind = 'usage-policy' AND status = 'active' AND data LIKE ? AND data NOT LIKE ? ORDER BY id LIMIT ${MAX_POLICIES_PER_PASS}`,
      ['%"alert_threshold":%', '%"alert_threshold":null%']);
    const defaults = new Map<string, string>();
    for (const row of rows) {
      const d = parse<StoredPolicy>(row.data);
      if (d.alert_threshold == null) continue;
      let ws = defaults.get(row.organisation_id);
      if (ws === undefined) defaults.set(row.organisation_id, (ws = (await defaultWorkspace(this.db, row.organisation_id)).id));
      for (const e of await policyUsage(this.db, row, d, ws, now)) {
        await this.check({
          subject: row.id, valueKey: e.valueKey, organisation: row.organisation_id, workspace: row.workspace_id, resourceType: 'usage_limits_policy', resourceId: row.id,
          path: `/v1/policies/usage-limits/${row.id}/entities`, name: row.name || null, usage: e.usage, threshold: d.alert_threshold, limit: d.credit_limit ?? Infinity,
          type: d.type, periodStart: entityPeriodStart(row, d, e.valueKey, now),
        }, now);
      }
    }
    await this.runOwnLimits(now);
  }

  /** Records the alert unless this entity had it in this period already (here or on another control plane). */
  private async record(a: Alert, kind: AlertKind, now: number): Promise<void> {
    const period = new Date(a.periodStart).toISOString();
    const at = new Date(now).toISOString();
    const inserted = await this.db.transaction(async (tx) => {
      const n = await tx.run(
        `INSERT INTO usage_alerts (policy_id, value_key, period_start, kind, organisation_id, usage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [a.subject, a.valueKey, period, kind, a.organisation, a.usage, at]);
      if (n === 0) return false;
      // The audit trail's entry: who acted (the system), on what; the entity and figures are in the log line.
      await tx.run(
        `INSERT INTO audit_log (id, organisation_id, workspace_id, actor_type, actor_id, action, resource_type, resource_id, method, path, request_id, created_at)
         VALUES (?, ?, ?, 'system', NULL, ?, ?, ?, 'POST', ?, ?, ?)`,
        [randomUUID(), a.organisation, a.workspace, kind === 'threshold' ? 'alert_threshold_reached' : 'alert_limit_exhausted', a.resourceType, a.resourceId, a.path, randomUUID(), at]);
      return true;
    });
    if (!inserted) return;
    this.metrics.usageAlerts.inc({ kind });
    this.log.warn({
      event: 'usage_limit_alert', kind, [a.resourceType === 'usage_limits_policy' ? 'policy_id' : `${a.resourceType}_id`]: a.resourceId, name: a.name,
      workspace_id: a.workspace, organisation_id: a.organisation, value_key: a.valueKey, usage: a.usage, alert_threshold: a.threshold, credit_limit: a.limit, type: a.type, period_start: period,
    }, kind === 'threshold' ? 'usage-limit alert: usage reached the alert_threshold' : 'usage-limit alert: usage spent the whole credit_limit');
  }

  private async check(a: Alert, now: number): Promise<void> {
    if (a.usage >= a.threshold) await this.record(a, 'threshold', now);
    if (a.usage >= a.limit) await this.record(a, 'exhausted', now);
  }

  /** API keys' and workspaces' own usage_limits with an alert_threshold: their usage from the analytics rows. */
  private async runOwnLimits(now: number): Promise<void> {
    const withAlert = ['%"alert_threshold":%', '%"alert_threshold":null%'];
    const keys = await this.db.all<{ id: string; organisation_id: string; workspace_id: string | null; name: string; usage_limits: string }>(
      `SELECT id, organisation_id, workspace_id, name, usage_limits FROM api_keys WHERE status = 'active' AND usage_limits LIKE ? AND usage_limits NOT LIKE ? ORDER BY id LIMIT ${MAX_OWN_LIMITS_PER_PASS}`, withAlert);
    for (const k of keys) {
      const u = JSON.parse(k.usage_limits) as UsageLimitInput;
      const a = await this.ownAlert(u, now, 'organisation_id = ? AND key_id = ?', [k.organisation_id, k.id]);
      if (a) await this.check({ ...a, subject: `api-key:${k.id}`, valueKey: `api_key:${k.id}`, organisation: k.organisation_id, workspace: k.workspace_id, resourceType: 'api_key', resourceId: k.id, path: `/v1/api-keys/${k.id}`, name: k.name }, now);
    }
    const workspaces = await this.db.all<{ id: string; organisation_id: string; is_default: number; name: string; usage_limits: string }>(
      `SELECT id, organisation_id, is_default, name, usage_limits FROM workspaces WHERE usage_limits LIKE ? AND usage_limits NOT LIKE ? ORDER BY id LIMIT ${MAX_OWN_LIMITS_PER_PASS}`, withAlert);
    for (const w of workspaces) {
      // Organisation-level keys' requests (no workspace in their rows) count against the default workspace, as gateways count them.
      const where = `organisation_id = ? AND ${Number(w.is_default) ? '(workspace_id = ? OR workspace_id IS NULL)' : 'workspace_id = ?'}`;
      for (const [i, u] of (JSON.parse(w.usage_limits) as UsageLimitInput[]).entries()) {
        const a = await this.ownAlert(u, now, where, [w.organisation_id, w.id]);
        if (a) await this.check({ ...a, subject: `workspace:${w.id}`, valueKey: `usage_limits[${i}]`, organisation: w.organisation_id, workspace: w.id, resourceType: 'workspace', resourceId: w.id, path: `/v1/admin/workspaces/${w.id}`, name: w.name }, now);
      }
    }
  }

  /** Usage in the current period of a key's or workspace's usage limit, when it has an alert_threshold. */
  private async ownAlert(u: UsageLimitInput, now: number, where: string, params: string[]): Promise<Pick<Alert, 'usage' | 'threshold' | 'limit' | 'type' | 'periodStart'> | undefined> {
    let rule;
    try {
      rule = usageRule(u);
    } catch {
      return undefined;
    }
    if (!rule || u.alert_threshold == null) return undefined;
    // The period began at the window's start, or at reset_usage when later (a new period for alerts too).
    const start = Math.max(rule.window === 'total' ? 0 : limitRuleWindow(rule, now).start, rule.since ?? 0);
    const measure = rule.kind === 'tokens' ? 'SUM(total_tokens)' : 'SUM(cost_usd)';
    // organisation_id and created_at first: the rows' time index (organisation_id, created_at) serves it.
    const row = await this.db.get<{ used: number | null }>(`SELECT ${measure} AS used FROM analytics_rows WHERE ${where} AND created_at >= ?`, [...params, new Date(start).toISOString()]);
    return { usage: Number(row?.used ?? 0), threshold: u.alert_threshold, limit: rule.limit, type: rule.kind, periodStart: start };
  }
}
