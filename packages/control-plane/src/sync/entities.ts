import type { GatewayKey, Prompt, PromptPartial, SavedConfig, SavedGuardrail, SyncChange, SyncEntityKind, SyncSnapshot, VirtualKey } from '@portico/contract';
import { gatewayScopes, limitRules, type RateLimitInput, type UsageLimitInput } from '../auth/scopes.js';
import type { Envelope } from '../crypto/envelope.js';
import type { Sql } from '../db/types.js';
import { parse, type ResourceRow } from '../store/resources.js';
import { policyEntity, workspaceEntity } from '../policies/model.js';
import type { WorkspaceRow } from '../store/workspaces.js';
import { applyMapped, mappedValues, type SecretMapping } from '../secret-references/mappings.js';
import type { SecretValues } from '../secret-references/resolver.js';

/**
 * Builds what gateways serve from the stored rows: keys (hash, gateway scopes, limits), virtual keys
 * and providers (with the decrypted secret: it travels only over the authenticated sync channel),
 * configs, prompts, partials and guardrails. Only the requested organisation's rows are read.
 */
interface KeyRow {
  id: string;
  organisation_id: string;
  workspace_id: string | null;
  name: string;
  key_hash: string;
  scopes: string;
  rate_limits: string;
  usage_limits: string | null;
  defaults: string;
  expires_at: string | null;
  status: string;
}

/** Limits that cannot be mapped are refused when saved; here a bad stored row yields no limits rather than breaking sync. */
function safeRules(rate: RateLimitInput[] | undefined, usage: UsageLimitInput | null | undefined) {
  try {
    return limitRules(rate ?? [], usage ?? null);
  } catch {
    return [];
  }
}

export function keyEntity(row: KeyRow): GatewayKey {
  const defaults = parse<{ config_id?: string; metadata?: Record<string, string> }>(row.defaults);
  const key: GatewayKey = { id: row.id, hash: row.key_hash, name: row.name, scopes: gatewayScopes(JSON.parse(row.scopes)), organisation: row.organisation_id };
  if (row.workspace_id) key.workspace = row.workspace_id;
  if (row.expires_at) key.expires_at = row.expires_at;
  if (defaults.config_id || defaults.metadata) key.defaults = { config: defaults.config_id, metadata: defaults.metadata };
  const limits = safeRules(JSON.parse(row.rate_limits), row.usage_limits ? JSON.parse(row.usage_limits) : null);
  if (limits.length) key.limits = limits;
  return key;
}

const PROVIDER_ALIASES: Record<string, string> = { 'open-ai': 'openai', 'azure-openai': 'azure-openai', google: 'google', 'vertex-ai': 'vertex-ai' };
const SETTING_NAMES: Record<string, string> = {
  azure_resource_name: 'resource_name', azure_deployment_name: 'deployment_id', azure_api_version: 'api_version',
  resourceName: 'resource_name', deploymentName: 'deployment_id', apiVersion: 'api_version',
};

function settingsFrom(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  // Azure virtual keys may list deployments; the default one (else the first) is what a request without an alias uses.
  const deployments = Array.isArray(fields.deploymentConfig) ? (fields.deploymentConfig as Array<{ deploymentName: string; apiVersion: string; is_default?: boolean }>) : [];
  const chosen = deployments.find((d) => d.is_default) ?? deployments[0];
  if (chosen) {
    out.deployment_id = chosen.deploymentName;
    out.api_version = chosen.apiVersion;
  }
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || k === 'deploymentConfig') continue;
    out[SETTING_NAMES[k] ?? k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * A credential as gateways receive it. Fields mapped to secret references are filled from the
 * control plane's cache of resolved values (no secret manager is called here); a credential whose
 * mapped value is not available is not served.
 */
export async function credentialEntity(tx: Sql, envelope: Envelope, row: ResourceRow, secretValues?: SecretValues): Promise<VirtualKey | undefined> {
  const d = parse<{ provider?: string; model_config?: Record<string, unknown>; rate_limits?: RateLimitInput[]; usage_limits?: UsageLimitInput | null; expires_at?: string | null; secret_mappings?: SecretMapping[] }>(row.data);
  if (d.expires_at && Date.parse(d.expires_at) <= Date.now()) return undefined;
  const limits = safeRules(d.rate_limits, d.usage_limits);
  let provider: string;
  let apiKey: string | undefined;
  let settings: Record<string, string>;
  if (row.kind === 'provider') {
    const integration = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE id = ?`, [row.parent_id]);
    if (!integration || integration.status !== 'active') return undefined;
    const i = parse<{ ai_provider_id: string; configurations?: Record<string, unknown>; secret_mappings?: SecretMapping[] }>(integration.data);
    const secret = integration.secret ? (JSON.parse(envelope.decrypt(integration.secret)) as { key?: string; configurations?: Record<string, unknown> }) : {};
    provider = i.ai_provider_id;
    let fields: Record<string, unknown> = { ...(i.configurations ?? {}), ...(secret.configurations ?? {}) };
    apiKey = secret.key;
    if (i.secret_mappings?.length) {
      const mapped = await mappedValues(tx, secretValues, integration.organisation_id, integration.workspace_id, i.secret_mappings);
      if (!mapped) return undefined;
      ({ key: apiKey, fields } = applyMapped(mapped, 'configurations', apiKey, fields));
    }
    settings = settingsFrom(fields);
  } else {
    const secret = row.secret ? (JSON.parse(envelope.decrypt(row.secret)) as { key?: string }) : {};
    provider = d.provider ?? 'openai';
    apiKey = secret.key;
    let fields = d.model_config ?? {};
    if (d.secret_mappings?.length) {
      const mapped = await mappedValues(tx, secretValues, row.organisation_id, row.workspace_id, d.secret_mappings);
      if (!mapped) return undefined;
      ({ key: apiKey, fields } = applyMapped(mapped, 'model_config', apiKey, fields));
    }
    settings = settingsFrom(fields);
  }
  const vk: VirtualKey = { slug: row.slug, provider: PROVIDER_ALIASES[provider] ?? provider, settings };
  if (apiKey) vk.apiKey = apiKey;
  if (row.workspace_id) vk.workspace = row.workspace_id;
  if (limits.length) vk.limits = limits;
  return vk;
}

export function configEntity(row: ResourceRow): SavedConfig {
  const c: SavedConfig = { id: row.id, slug: row.slug, json: JSON.stringify(parse<{ config: unknown }>(row.data).config) };
  if (row.workspace_id) c.workspace = row.workspace_id;
  return c;
}

type VersionRows = Array<{ version: number; data: string; label_id: string | null }>;

const labelNames = async (tx: Sql, organisation: string) =>
  new Map((await tx.all<{ id: string; name: string }>(`SELECT id, name FROM resources WHERE organisation_id = ? AND kind = 'label'`, [organisation])).map((l) => [l.id, l.name]));

/** A prompt with its versions; a snapshot passes every prompt's versions and the label names it read in one query each. */
export async function promptEntity(tx: Sql, row: ResourceRow, preloaded?: { versions: VersionRows; labels: Map<string, string> }): Promise<Prompt> {
  const versions = preloaded?.versions ?? (await tx.all<VersionRows[number]>(`SELECT version, data, label_id FROM resource_versions WHERE resource_id = ? ORDER BY version`, [row.id]));
  const labelName = preloaded?.labels ?? (await labelNames(tx, row.organisation_id));
  const labels: Record<string, number> = {};
  const out = versions.map((v) => {
    const d = parse<{ string: string; parameters?: Record<string, unknown>; model?: string; virtual_key?: string; tools?: unknown[]; tool_choice?: unknown; functions?: unknown[] }>(v.data);
    if (v.label_id && labelName.has(v.label_id)) labels[labelName.get(v.label_id)!] = v.version;
    // A version's tools, tool_choice and functions go to the provider with its hyperparameters.
    const parameters: Record<string, unknown> = { ...(d.parameters ?? {}) };
    if (d.tools?.length) parameters.tools = d.tools;
    if (d.functions?.length) parameters.functions = d.functions;
    if (d.tool_choice !== undefined) parameters.tool_choice = d.tool_choice;
    const pv: Prompt['versions'] extends Array<infer V> | undefined ? V : never = { version: v.version, string: d.string, parameters };
    if (d.model) pv.model = d.model;
    if (d.virtual_key) pv.virtual_key = d.virtual_key;
    return pv;
  });
  const current = out.find((v) => v.version === row.default_version) ?? out[out.length - 1];
  let template: unknown = current?.string;
  try {
    template = JSON.parse(current?.string ?? '');
  } catch {
    // A plain-text template stays a string.
  }
  const p: Prompt = { id: row.id, slug: row.slug, template, versions: out, labels, default_version: row.default_version };
  if (row.workspace_id) p.workspace = row.workspace_id;
  return p;
}

export async function partialEntity(tx: Sql, row: ResourceRow): Promise<PromptPartial> {
  const v = await tx.get<{ data: string }>(`SELECT data FROM resource_versions WHERE resource_id = ? AND version = ?`, [row.id, row.default_version]);
  const p: PromptPartial = { id: row.id, slug: row.slug, string: parse<{ string: string }>(v?.data).string ?? '' };
  if (row.workspace_id) p.workspace = row.workspace_id;
  return p;
}

export function guardrailEntity(row: ResourceRow): SavedGuardrail {
  const d = parse<{ checks: SavedGuardrail['checks']; actions?: Record<string, unknown> }>(row.data);
  const g: SavedGuardrail = { id: row.id, slug: row.slug, checks: d.checks ?? [], actions: d.actions };
  if (row.workspace_id) g.workspace = row.workspace_id;
  return g;
}

const KEY_COLUMNS = `id, organisation_id, workspace_id, name, key_hash, scopes, rate_limits, usage_limits, defaults, expires_at, status`;

export async function buildSnapshot(tx: Sql, envelope: Envelope, organisation: string, secretValues?: SecretValues): Promise<SyncSnapshot> {
  const version = Number((await tx.get<{ sync_version: number }>(`SELECT sync_version FROM organisations WHERE id = ?`, [organisation]))?.sync_version ?? 0);
  const keys = (await tx.all<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE organisation_id = ? AND status = 'active'`, [organisation])).map(keyEntity);
  const rows = await tx.all<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND status = 'active' AND kind IN ('virtual-key', 'provider', 'config', 'prompt', 'partial', 'guardrail', 'usage-policy', 'rate-policy')`, [organisation]);
  const snap: SyncSnapshot = { organisation, version, keys, virtualKeys: [], configs: [], prompts: [], partials: [], guardrails: [], userLimits: {}, policies: [], workspaces: [] };
  // Workspaces with limits, and the default one (organisation-level keys act in it).
  for (const ws of await tx.all<WorkspaceRow>(`SELECT * FROM workspaces WHERE organisation_id = ?`, [organisation])) {
    const w = workspaceEntity(ws);
    if (w.limits.length || w.is_default) snap.workspaces!.push(w);
  }
  const labels = await labelNames(tx, organisation);
  const promptVersions = new Map<string, VersionRows>();
  for (const v of await tx.all<VersionRows[number] & { resource_id: string }>(
    `SELECT v.resource_id, v.version, v.data, v.label_id FROM resource_versions v JOIN resources r ON r.id = v.resource_id WHERE r.organisation_id = ? AND r.kind = 'prompt' ORDER BY v.resource_id, v.version`,
    [organisation],
  )) (promptVersions.get(v.resource_id) ?? promptVersions.set(v.resource_id, []).get(v.resource_id)!).push(v);
  for (const row of rows) {
    if (row.kind === 'virtual-key' || row.kind === 'provider') {
      const vk = await credentialEntity(tx, envelope, row, secretValues);
      if (vk) snap.virtualKeys.push(vk);
    } else if (row.kind === 'config') snap.configs.push(configEntity(row));
    else if (row.kind === 'prompt') snap.prompts.push(await promptEntity(tx, row, { versions: promptVersions.get(row.id) ?? [], labels }));
    else if (row.kind === 'partial') snap.partials.push(await partialEntity(tx, row));
    else if (row.kind === 'guardrail') snap.guardrails.push(guardrailEntity(row));
    else if (row.kind === 'usage-policy' || row.kind === 'rate-policy') snap.policies!.push(policyEntity(row));
  }
  return snap;
}

/** The current state of one changed entity, or its deletion when it is gone (or no longer served). */
export async function changeFor(tx: Sql, envelope: Envelope, organisation: string, kind: SyncEntityKind, ref: string, secretValues?: SecretValues): Promise<SyncChange> {
  const gone: SyncChange = { op: 'delete', kind, id: ref };
  if (kind === 'key') {
    const row = await tx.get<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE organisation_id = ? AND key_hash = ?`, [organisation, ref]);
    return row && row.status === 'active' ? { op: 'upsert', kind, entity: keyEntity(row) } : gone;
  }
  if (kind === 'virtualKey') {
    const row = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND namespace = 'credential' AND slug = ?`, [organisation, ref]);
    const vk = row && row.status === 'active' ? await credentialEntity(tx, envelope, row, secretValues) : undefined;
    return vk ? { op: 'upsert', kind, entity: vk } : gone;
  }
  if (kind === 'workspace') {
    const ws = await tx.get<WorkspaceRow>(`SELECT * FROM workspaces WHERE organisation_id = ? AND id = ?`, [organisation, ref]);
    return ws ? { op: 'upsert', kind, entity: workspaceEntity(ws) } : gone;
  }
  const row = await tx.get<ResourceRow>(`SELECT * FROM resources WHERE organisation_id = ? AND id = ?`, [organisation, ref]);
  if (!row || row.status !== 'active') return gone;
  if (kind === 'policy') return row.kind === 'usage-policy' || row.kind === 'rate-policy' ? { op: 'upsert', kind, entity: policyEntity(row) } : gone;
  if (kind === 'config') return { op: 'upsert', kind, entity: configEntity(row) };
  if (kind === 'prompt') return { op: 'upsert', kind, entity: await promptEntity(tx, row) };
  if (kind === 'partial') return { op: 'upsert', kind, entity: await partialEntity(tx, row) };
  return { op: 'upsert', kind: 'guardrail', entity: guardrailEntity(row) };
}
