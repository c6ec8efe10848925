/**
 * Usage-limit alerts. Portkey e-mails a policy's alert_threshold and exhaustion; Portico sends no
 * e-mail (and Portkey's document defines no webhook for them), so it records each alert where an
 * operator already looks: an audit-log entry (action alert_threshold_reached or alert_limit_exhausted,
 * actor "system"), a JSON log line
 * ("usage-limit alert") and portico_cp_usage_alerts_total{kind}. A pass runs every
 * USAGE_ALERT_INTERVAL_SECONDS over the active usage-limit policies that set alert_threshold, reading
 * each entity's usage from the analytics rows as /entities does. Each alert is recorded once per entity
 * and period (its window, or since its last reset): a row in usage_alerts whose primary key several
 * control planes on one database agree on, so only one of them records it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../db/types.js';
import type { Metrics } from '../http/metrics.js';
import { parse, type ResourceRow } from '../store/resources.js';
import { defaultWorkspace } from '../store/workspaces.js';
import type { StoredPolicy } from './model.js';
import { policyUsage, windowStartOf } from './usage.js';

export type AlertKind = 'threshold' | 'exhausted';

/** Policies checked in one pass at most (100 per workspace; this bounds a pass over many workspaces). */
const MAX_POLICIES_PER_PASS = 1000;

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
        if (e.usage >= d.alert_threshold) await this.record(row, d, e.valueKey, e.usage, 'threshold', now);
        if (e.usage >= (d.credit_limit ?? Infinity)) await this.record(row, d, e.valueKey, e.usage, 'exhausted', now);
      }
    }
  }

  /** Records the alert unless this entity had it in this period already (here or on another control plane). */
  private async record(row: ResourceRow, d: StoredPolicy, valueKey: string, usage: number, kind: AlertKind, now: number): Promise<void> {
    const period = new Date(entityPeriodStart(row, d, valueKey, now)).toISOString();
    const at = new Date(now).toISOString();
    const inserted = await this.db.transaction(async (tx) => {
      const n = await tx.run(
        `INSERT INTO usage_alerts (policy_id, value_key, period_start, kind, organisation_id, usage, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [row.id, valueKey, period, kind, row.organisation_id, usage, at]);
      if (n === 0) return false;
      // The audit trail's entry: who acted (the system), on which policy; the entity and figures are in the log line.
      await tx.run(
        `INSERT INTO audit_log (id, organisation_id, workspace_id, actor_type, actor_id, action, resource_type, resource_id, method, path, request_id, created_at)
         VALUES (?, ?, ?, 'system', NULL, ?, 'usage_limits_policy', ?, 'POST', ?, ?, ?)`,
        [randomUUID(), row.organisation_id, row.workspace_id, kind === 'threshold' ? 'alert_threshold_reached' : 'alert_limit_exhausted', row.id, `/v1/policies/usage-limits/${row.id}/entities`, randomUUID(), at]);
      return true;
    });
    if (!inserted) return;
    this.metrics.usageAlerts.inc({ kind });
    this.log.warn({
      event: 'usage_limit_alert', kind, policy_id: row.id, policy_name: row.name || null, workspace_id: row.workspace_id, organisation_id: row.organisation_id,
      value_key: valueKey, usage, alert_threshold: d.alert_threshold, credit_limit: d.credit_limit, type: d.type, period_start: period,
    }, kind === 'threshold' ? 'usage-limit alert: an entity reached the policy\'s alert_threshold' : 'usage-limit alert: an entity spent the policy\'s credit_limit');
  }
}
