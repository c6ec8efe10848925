import type { Database } from './types.js';

/**
 * Versioned migrations, one list for both SQLite and PostgreSQL: portable DDL only. A migration is
 * applied once, in a transaction with its row in schema_migrations; on PostgreSQL an advisory lock
 * keeps two control planes starting at once from racing. Append new versions; never edit old ones.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Every key scope there was before policies (frozen: migration 5 depends on it). */
const SCOPES_BEFORE_POLICIES: string[] = [
  ...['configs', 'virtual_keys', 'integrations', 'providers', 'prompts', 'prompt_partials', 'collections', 'labels', 'guardrails', 'workspaces', 'workspace_users',
    'organisation_users', 'organisation_service_api_keys', 'workspace_service_api_keys', 'workspace_user_api_keys', 'audit_logs', 'invites']
    .flatMap((r) => ['create', 'read', 'list', 'update', 'delete'].map((a) => `${r}.${a}`)),
  'completions.write', 'prompts.render', 'logs.view', 'logs.list', 'logs.export', 'analytics.view', 'feedback.create', 'feedback.update',
];

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'organisations, workspaces, users, keys, resources, change log, audit log, analytics',
    statements: [
      `CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE organisations (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, sync_version BIGINT NOT NULL DEFAULT 0, created_at TEXT NOT NULL)`,
      `CREATE TABLE workspaces (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), slug TEXT NOT NULL,
        name TEXT NOT NULL, description TEXT, is_default INTEGER NOT NULL DEFAULT 0, defaults TEXT NOT NULL,
        usage_limits TEXT NOT NULL, rate_limits TEXT NOT NULL, created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL,
        UNIQUE (organisation_id, slug))`,
      `CREATE TABLE users (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), email TEXT NOT NULL,
        first_name TEXT, last_name TEXT, role TEXT NOT NULL, created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL,
        UNIQUE (organisation_id, email))`,
      `CREATE TABLE workspace_members (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role TEXT NOT NULL, created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL, PRIMARY KEY (workspace_id, user_id))`,
      `CREATE TABLE invites (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), email TEXT NOT NULL, role TEXT NOT NULL,
        workspaces TEXT NOT NULL, status TEXT NOT NULL, invited_by TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
        user_id TEXT, type TEXT NOT NULL, name TEXT NOT NULL, description TEXT, key_hash TEXT NOT NULL UNIQUE,
        key_mask TEXT NOT NULL, scopes TEXT NOT NULL, rate_limits TEXT NOT NULL, usage_limits TEXT, defaults TEXT NOT NULL,
        alert_emails TEXT NOT NULL, expires_at TEXT, status TEXT NOT NULL, creation_mode TEXT NOT NULL,
        created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL)`,
      `CREATE INDEX api_keys_org ON api_keys (organisation_id, workspace_id)`,
      `CREATE TABLE client_auth_keys (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`,
      // Catalog entities (integrations, providers, virtual keys, configs, prompts, partials, collections,
      // labels, guardrails): typed columns for what is looked up, the rest as the entity's JSON.
      `CREATE TABLE resources (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
        kind TEXT NOT NULL, namespace TEXT NOT NULL, slug TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
        parent_id TEXT, data TEXT NOT NULL, secret TEXT, version INTEGER NOT NULL, default_version INTEGER NOT NULL,
        created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL, UNIQUE (organisation_id, namespace, slug))`,
      `CREATE INDEX resources_kind ON resources (organisation_id, kind, workspace_id)`,
      `CREATE TABLE resource_versions (
        id TEXT PRIMARY KEY, resource_id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE, version INTEGER NOT NULL,
        data TEXT NOT NULL, description TEXT, label_id TEXT, created_at TEXT NOT NULL, UNIQUE (resource_id, version))`,
      `CREATE TABLE change_log (
        organisation_id TEXT NOT NULL, version BIGINT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
        created_at TEXT NOT NULL, PRIMARY KEY (organisation_id, version, seq))`,
      `CREATE TABLE audit_log (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, workspace_id TEXT, actor_type TEXT NOT NULL, actor_id TEXT,
        action TEXT NOT NULL, resource_type TEXT NOT NULL, resource_id TEXT, method TEXT NOT NULL, path TEXT NOT NULL,
        request_id TEXT NOT NULL, created_at TEXT NOT NULL)`,
      `CREATE INDEX audit_log_time ON audit_log (organisation_id, created_at)`,
      `CREATE TABLE feedback (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL, workspace_id TEXT, trace_id TEXT NOT NULL, value INTEGER NOT NULL,
        weight DOUBLE PRECISION NOT NULL, metadata TEXT NOT NULL, created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL)`,
      `CREATE INDEX feedback_trace ON feedback (organisation_id, trace_id)`,
      `CREATE TABLE analytics_rows (
        id TEXT NOT NULL, organisation_id TEXT NOT NULL, workspace_id TEXT, key_id TEXT, trace_id TEXT NOT NULL,
        created_at TEXT NOT NULL, endpoint TEXT NOT NULL, provider TEXT, model TEXT, virtual_key TEXT, config_id TEXT,
        prompt_id TEXT, status INTEGER NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, first_byte_ms DOUBLE PRECISION,
        prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL, total_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL, cache_status TEXT NOT NULL, retries INTEGER NOT NULL, rescued INTEGER NOT NULL,
        stream INTEGER NOT NULL, error_code TEXT, user_id TEXT, metadata TEXT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (organisation_id, id))`,
      `CREATE INDEX analytics_time ON analytics_rows (organisation_id, created_at)`,
    ],
  },
  {
    version: 2,
    name: 'analytics: hourly rollup maintained at ingest, for dashboards over long ranges',
    statements: [
      // One row per organisation, workspace, hour, provider, model, status and cache status, with
      // sums: the dashboard reads whole hours here and only the partial hours at a range's edges from
      // analytics_rows. NULL dimensions are stored as '' so they can be part of the key.
      `CREATE TABLE analytics_hourly (
        organisation_id TEXT NOT NULL, workspace_id TEXT NOT NULL, hour TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        status INTEGER NOT NULL, cache_status TEXT NOT NULL, requests BIGINT NOT NULL, cost_usd DOUBLE PRECISION NOT NULL,
        total_tokens BIGINT NOT NULL, latency_ms DOUBLE PRECISION NOT NULL, rescued BIGINT NOT NULL,
        PRIMARY KEY (organisation_id, hour, workspace_id, provider, model, status, cache_status))`,
      `INSERT INTO analytics_hourly (organisation_id, workspace_id, hour, provider, model, status, cache_status, requests, cost_usd, total_tokens, latency_ms, rescued)
        SELECT organisation_id, COALESCE(workspace_id, ''), substr(created_at, 1, 13), COALESCE(provider, ''), COALESCE(model, ''), status, cache_status,
          COUNT(*), SUM(cost_usd), SUM(total_tokens), SUM(latency_ms), SUM(rescued)
        FROM analytics_rows GROUP BY organisation_id, COALESCE(workspace_id, ''), substr(created_at, 1, 13), COALESCE(provider, ''), COALESCE(model, ''), status, cache_status`,
    ],
  },
  {
    version: 3,
    name: 'analytics: hourly latency histogram (log buckets growing by 1.02), for percentiles within 1%',
    statements: [
      // Per rollup key (less cache status) and log bucket, how many requests took that long: bucket 0
      // is under 1 ms, bucket k is [1.02^(k-1), 1.02^k) ms (src/analytics/latency-histogram.ts).
      `CREATE TABLE analytics_hourly_latency (
        organisation_id TEXT NOT NULL, hour TEXT NOT NULL, workspace_id TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        status INTEGER NOT NULL, bucket INTEGER NOT NULL, count BIGINT NOT NULL,
        PRIMARY KEY (organisation_id, hour, workspace_id, provider, model, status, bucket))`,
      // The bucket expression is latencyBucketSql's, written out: old migrations never change with the code.
      `INSERT INTO analytics_hourly_latency (organisation_id, hour, workspace_id, provider, model, status, bucket, count)
        SELECT organisation_id, substr(created_at, 1, 13), COALESCE(workspace_id, ''), COALESCE(provider, ''), COALESCE(model, ''), status,
          CASE WHEN latency_ms < 1 THEN 0 ELSE CAST(floor(ln(latency_ms) / ${Math.log(1.02)}) AS INTEGER) + 1 END, COUNT(*)
        FROM analytics_rows GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    ],
  },
  {
    version: 4,
    name: 'analytics: daily latency histogram, so ranges over two days read a day per key instead of 24 hours',
    statements: [
      // The hourly histogram summed per UTC day ('YYYY-MM-DD'), same key and buckets: a 7-day
      // dashboard reads whole days here, the hours at the range's edges from the hourly table.
      `CREATE TABLE analytics_daily_latency (
        organisation_id TEXT NOT NULL, day TEXT NOT NULL, workspace_id TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
        status INTEGER NOT NULL, bucket INTEGER NOT NULL, count BIGINT NOT NULL,
        PRIMARY KEY (organisation_id, day, workspace_id, provider, model, status, bucket))`,
      `INSERT INTO analytics_daily_latency (organisation_id, day, workspace_id, provider, model, status, bucket, count)
        SELECT organisation_id, substr(hour, 1, 10), workspace_id, provider, model, status, bucket, SUM(count)
        FROM analytics_hourly_latency GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    ],
  },
  {
    version: 5,
    name: 'usage-limit and rate-limit policies: the policies.* scopes for keys that hold every other scope (the bootstrap admin keys)',
    // Policies are stored in `resources` (kinds usage-policy, rate-policy). A key given every scope
    // there was (the bootstrap admin key) gains the new ones, so it can manage policies as before.
    statements: [
      `UPDATE api_keys SET scopes = substr(scopes, 1, length(scopes) - 1) || ',"policies.create","policies.read","policies.list","policies.update","policies.delete"]'
        WHERE scopes LIKE '[%]' AND scopes NOT LIKE '%"policies.create"%' AND ${SCOPES_BEFORE_POLICIES.map((sc) => `scopes LIKE '%"${sc}"%'`).join(' AND ')}`,
    ],
  },
  {
    version: 6,
    name: 'scopes: keys holding integrations.<action> also get secret_references, mcp_integrations and mcp_servers .<action> (new resources)',
    // Keys are stored with explicit scope lists; a key that may manage integrations may manage the
    // resources that stand beside them. JSON arrays are text here: the new names are appended before "]".
    statements: ['create', 'read', 'list', 'update', 'delete'].map((a) =>
      `UPDATE api_keys SET scopes = substr(scopes, 1, length(scopes) - 1) || ',"secret_references.${a}","mcp_integrations.${a}","mcp_servers.${a}"]'
        WHERE scopes LIKE '%"integrations.${a}"%' AND scopes NOT LIKE '%"secret_references.${a}"%'`),
  },
  {
    version: 7,
    name: 'SCIM: provisioning tokens, users and groups pushed by an identity provider, group-to-workspace mappings, and where a membership came from',
    // A membership granted by a SCIM mapping is marked source = 'scim'; reconciling a SCIM user's
    // groups adds and removes only those, never one an admin granted by hand ('manual').
    statements: [
      `ALTER TABLE workspace_members ADD COLUMN source TEXT NOT NULL DEFAULT 'manual'`,
      `CREATE TABLE scim_tokens (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), name TEXT NOT NULL, token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL, rotated_at TEXT)`,
      `CREATE TABLE scim_users (
        id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, organisation_id TEXT NOT NULL REFERENCES organisations(id),
        user_name TEXT NOT NULL, user_name_key TEXT NOT NULL, external_id TEXT, active INTEGER NOT NULL, display_name TEXT, email TEXT NOT NULL,
        resource TEXT NOT NULL, created_user INTEGER NOT NULL, created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL,
        UNIQUE (organisation_id, user_name_key))`,
      `CREATE INDEX scim_users_external ON scim_users (organisation_id, external_id)`,
      `CREATE TABLE scim_groups (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), display_name TEXT NOT NULL, display_name_key TEXT NOT NULL,
        external_id TEXT, provisioned INTEGER NOT NULL, pattern_workspace_id TEXT, pattern_role TEXT,
        created_at TEXT NOT NULL, last_updated_at TEXT NOT NULL, UNIQUE (organisation_id, display_name_key))`,
      `CREATE TABLE scim_group_members (
        group_id TEXT NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, user_id))`,
      `CREATE INDEX scim_group_members_user ON scim_group_members (user_id)`,
      `CREATE TABLE scim_workspace_mappings (
        id TEXT PRIMARY KEY, organisation_id TEXT NOT NULL REFERENCES organisations(id), group_id TEXT NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, role TEXT NOT NULL, status TEXT NOT NULL,
        created_at TEXT NOT NULL, archived_at TEXT)`,
      `CREATE UNIQUE INDEX scim_mappings_active ON scim_workspace_mappings (group_id, workspace_id) WHERE status = 'active'`,
      // Keys that may manage the organisation's users may manage how an identity provider provisions them.
      ...['create', 'read', 'list', 'update', 'delete'].map((a) =>
        `UPDATE api_keys SET scopes = substr(scopes, 1, length(scopes) - 1) || ',"organisation_auth.${a}"]'
          WHERE scopes LIKE '%"organisation_users.${a}"%' AND scopes NOT LIKE '%"organisation_auth.${a}"%'`),
    ],
  },
  {
    version: 8,
    name: 'usage_alerts: each usage-limit alert recorded once per policy entity and period',
    statements: [
      `CREATE TABLE usage_alerts (
        policy_id TEXT NOT NULL, value_key TEXT NOT NULL, period_start TEXT NOT NULL, kind TEXT NOT NULL,
        organisation_id TEXT NOT NULL, usage DOUBLE PRECISION NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (policy_id, value_key, period_start, kind))`,
    ],
  },
];

export async function migrate(db: Database, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  await db.run(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied: number[] = [];
  for (const m of migrations) {
    await db.transaction(async (tx) => {
      if (db.dialect === 'postgres') await tx.get(`SELECT pg_advisory_xact_lock(725301)`);
      if (await tx.get(`SELECT version FROM schema_migrations WHERE version = ?`, [m.version])) return;
      for (const s of m.statements) await tx.run(s);
      await tx.run(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, [m.version, m.name, new Date().toISOString()]);
      applied.push(m.version);
    });
  }
  return applied;
}
