/**
 * Usage-limit and rate-limit policies and workspace limits of one organisation, as the control plane
 * syncs them, and the limit subjects they make for a request. A policy applies to its own workspace's
 * requests that match every condition; it counts each request under the entity its group_by values
 * name (one counter per entity), so "100 rpm per API key" gives every key its own 100.
 * Matching reads only what the request already carries (key, workspace, metadata): no I/O.
 */
import { policyValueKey, type LimitPolicy, type LimitRule, type WorkspaceLimits } from '@portico/contract';
import type { LimitSubject } from './types.js';

interface CompiledPolicy {
  policy: LimitPolicy;
  /** Value key → epoch ms of the entity's last reset. */
  resets: Map<string, number>;
  /** Whether a group_by key is request metadata, which any key holder can vary. */
  byMetadata: boolean;
}

export class OrgLimits {
  private readonly policies = new Map<string, CompiledPolicy>();
  /** Policies by the workspace they belong to, rebuilt when one changes (changes are rare, lookups are per request). */
  private byWorkspace = new Map<string, CompiledPolicy[]>();
  private readonly workspaces = new Map<string, WorkspaceLimits>();
  /** The default workspace, which organisation-level keys act in. */
  defaultWorkspace: string | undefined;

  upsertPolicy(p: LimitPolicy): void {
    const resets = new Map<string, number>();
    for (const [valueKey, at] of Object.entries(p.resets ?? {})) {
      const ms = Date.parse(at);
      if (Number.isFinite(ms)) resets.set(valueKey, ms);
    }
    this.policies.set(p.id, { policy: p, resets, byMetadata: p.group_by.some((k) => k.startsWith('metadata.')) });
    this.reindex();
  }

  removePolicy(id: string): void {
    if (this.policies.delete(id)) this.reindex();
  }

  upsertWorkspace(w: WorkspaceLimits): void {
    this.workspaces.set(w.id, w);
    if (w.is_default) this.defaultWorkspace = w.id;
    else if (this.defaultWorkspace === w.id) this.defaultWorkspace = undefined;
    this.limitedWorkspaces = [...this.workspaces.values()].filter((x) => x.limits.length > 0).length;
  }

  removeWorkspace(id: string): void {
    this.workspaces.delete(id);
    if (this.defaultWorkspace === id) this.defaultWorkspace = undefined;
    this.limitedWorkspaces = [...this.workspaces.values()].filter((x) => x.limits.length > 0).length;
  }

  private limitedWorkspaces = 0;

  /** Nothing to enforce: requests skip policy matching altogether. */
  get empty(): boolean {
    return this.policies.size === 0 && this.limitedWorkspaces === 0;
  }

  get policyList(): LimitPolicy[] {
    return [...this.policies.values()].map((c) => c.policy);
  }

  get workspaceList(): WorkspaceLimits[] {
    return [...this.workspaces.values()];
  }

  private reindex(): void {
    const next = new Map<string, CompiledPolicy[]>();
    for (const c of this.policies.values()) {
      const list = next.get(c.policy.workspace);
      if (list) list.push(c);
      else next.set(c.policy.workspace, [c]);
    }
    this.byWorkspace = next;
  }

  /** The subjects a request is counted under: its workspace's limits, then each matching policy's entity. */
  subjectsFor(req: PolicyRequest): LimitSubject[] {
    const workspace = req.workspace ?? this.defaultWorkspace;
    if (workspace === undefined) return [];
    const out: LimitSubject[] = [];
    const ws = this.workspaces.get(workspace);
    if (ws?.limits.length) out.push({ scope: 'workspace', id: workspace, rules: ws.limits });
    const policies = this.byWorkspace.get(workspace);
    if (!policies) return out;
    const fields: RequestFields = { ...req, workspace };
    for (const c of policies) {
      const subject = entitySubject(c, fields);
      if (subject) out.push(subject);
    }
    return out;
  }
}

/** What a request offers to conditions and group_by. */
export interface PolicyRequest {
  /** The gateway key's id. */
  keyId?: string;
  organisation?: string;
  /** The key's workspace; organisation-level keys act in the default workspace. */
  workspace?: string;
  metadata: Record<string, string>;
  /** The requesting tenant: charged for the room of metadata-grouped counters in the in-process limiter. */
  tenant: string;
}

type RequestFields = PolicyRequest & { workspace: string };

function fieldOf(key: string, req: RequestFields): string | undefined {
  switch (key) {
    case 'api_key':
      return req.keyId;
    case 'organisation_id':
      return req.organisation;
    case 'workspace_id':
      return req.workspace;
    default:
      return key.startsWith('metadata.') ? req.metadata[key.slice(9)] : undefined;
  }
}

function entitySubject(c: CompiledPolicy, req: RequestFields): LimitSubject | undefined {
  const p = c.policy;
  for (const cond of p.conditions) {
    const v = fieldOf(cond.key, req);
    if (v === undefined || (cond.value !== '*' && v !== cond.value)) return undefined;
  }
  const values: string[] = [];
  for (const key of p.group_by) {
    const v = fieldOf(key, req);
    // A request without a group_by value belongs to no entity of the policy.
    if (v === undefined) return undefined;
    values.push(v);
  }
  const valueKey = policyValueKey(p.group_by, values);
  const reset = c.resets.get(valueKey);
  const rule: LimitRule = reset !== undefined && reset > (p.rule.since ?? -Infinity) ? { ...p.rule, since: reset } : p.rule;
  return {
    scope: p.type === 'usage' ? 'usage_policy' : 'rate_policy',
    id: `${p.id}/${valueKey}`,
    label: `${p.name ? `"${p.name}"` : p.id} (${valueKey})`,
    rules: [rule],
    owner: c.byMetadata ? req.tenant : undefined,
  };
}
