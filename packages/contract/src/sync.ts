import type { GatewayKey, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey } from './entities.js';
import type { AnalyticsRow } from './analytics.js';
import type { LimitPolicy, WorkspaceLimits } from './limit-policies.js';

/**
 * The control plane → gateway sync protocol (and gateway → control plane analytics).
 *
 * Every call carries `Authorization: Bearer <PORTKEY_CLIENT_AUTH>`; the control plane compares it in
 * constant time with the client-auth keys of the organisation named in the query, and refuses (403) a
 * key of another organisation. A gateway syncs each organisation in ORGANISATIONS_TO_SYNC.
 *
 *   GET  /v1/sync/snapshot?organisation=ORG
 *        → SyncSnapshot: everything the gateway serves, at `version`.
 *   GET  /v1/sync/changes?organisation=ORG&since=VERSION&wait=SECONDS
 *        → SyncChanges. Long poll: answers at once when changes after `since` exist, else after
 *          `wait` seconds (at most 30) with none. `reset: true` means `since` is too old (the change
 *          log was compacted): fetch a new snapshot.
 *   POST /v1/sync/analytics        body AnalyticsBatch → { accepted, duplicates }
 *        Idempotent by row id: a batch sent twice stores each row once.
 *   POST /v1/sync/keys/introspect  body { organisation, hash } → GatewayKey, or 404
 *        For services (the data service) that authenticate callers without holding a snapshot.
 *
 * The gateway applies a snapshot or changes off the request path, persists the last good snapshot
 * (Redis when CACHE_STORE is redis, else a file under DATA_DIR) and serves from it while the control
 * plane is unreachable.
 */
export const SYNC_PATHS = {
  snapshot: '/v1/sync/snapshot',
  changes: '/v1/sync/changes',
  analytics: '/v1/sync/analytics',
  introspect: '/v1/sync/keys/introspect',
} as const;

/** The longest a changes long-poll waits before answering with none. */
export const SYNC_MAX_WAIT_SECONDS = 30;

export interface SyncSnapshot {
  organisation: string;
  /** Monotonic per organisation; every admin change increments it. */
  version: number;
  keys: GatewayKey[];
  virtualKeys: VirtualKey[];
  configs: SavedConfig[];
  prompts: Prompt[];
  partials: PromptPartial[];
  guardrails: SavedGuardrail[];
  /** Limits on metadata users (metadata._user), by user id; '*' applies to every user. */
  userLimits: Record<string, LimitRule[]>;
  /** Active usage-limit and rate-limit policies (absent from control planes that predate them). */
  policies?: LimitPolicy[];
  /** Workspaces with limits, and the default workspace (absent from control planes that predate them). */
  workspaces?: WorkspaceLimits[];
}

export type SyncEntityKind = 'key' | 'virtualKey' | 'config' | 'prompt' | 'partial' | 'guardrail' | 'policy' | 'workspace';

export type SyncChange =
  | { op: 'upsert'; kind: 'key'; entity: GatewayKey }
  | { op: 'upsert'; kind: 'virtualKey'; entity: VirtualKey }
  | { op: 'upsert'; kind: 'config'; entity: SavedConfig }
  | { op: 'upsert'; kind: 'prompt'; entity: Prompt }
  | { op: 'upsert'; kind: 'partial'; entity: PromptPartial }
  | { op: 'upsert'; kind: 'guardrail'; entity: SavedGuardrail }
  | { op: 'upsert'; kind: 'policy'; entity: LimitPolicy }
  | { op: 'upsert'; kind: 'workspace'; entity: WorkspaceLimits }
  /** id: the key's hash for keys, the slug for virtual keys, the id for the rest. */
  | { op: 'delete'; kind: SyncEntityKind; id: string };

export interface SyncChanges {
  organisation: string;
  /** The version after applying `changes` (equal to `since` when there are none). */
  version: number;
  changes: SyncChange[];
  reset?: boolean;
}

export interface AnalyticsBatch {
  /** The sending gateway's instance id, for diagnostics. */
  gateway: string;
  rows: AnalyticsRow[];
}
