import type { GatewayKey, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey } from '@portico/contract';
import type { OrgLimits } from '../limits/policies.js';

export type { GatewayKey, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey };

/**
 * Whose request a lookup serves: the gateway key's organisation and workspace. A store that holds several
 * tenants' entities (the control-plane sync) answers only with that organisation's, and a workspace's
 * entities only to keys of that workspace (or organisation-level keys). The entities file has one tenant.
 */
export interface EntityScope {
  organisation?: string;
  workspace?: string;
}

/** The scope of a request made with `key` (none without a key). */
export function scopeOf(key: GatewayKey | undefined): EntityScope | undefined {
  return key ? { organisation: key.organisation, workspace: key.workspace } : undefined;
}

/**
 * Keys, virtual keys, configs and prompts. The embedded default is a YAML file; Redis caching and the
 * control-plane sync implement the same interface later. Lookups are served from memory.
 */
export interface EntityStore {
  readonly kind: string;
  /** True when at least one gateway key is configured, so x-portkey-api-key is required. */
  authRequired(): boolean;
  findKeyByHash(hash: string): Promise<GatewayKey | undefined>;
  getVirtualKey(slug: string, scope?: EntityScope): Promise<VirtualKey | undefined>;
  getConfig(id: string, scope?: EntityScope): Promise<SavedConfig | undefined>;
  getPrompt(id: string, scope?: EntityScope): Promise<Prompt | undefined>;
  /** A prompt partial by slug (or id); stores without partials leave it out. */
  getPartial?(slug: string, scope?: EntityScope): Promise<PromptPartial | undefined>;
  /** A saved guardrail by id (or slug), which configs name in input_guardrails / output_guardrails. */
  getGuardrail?(id: string, scope?: EntityScope): Promise<SavedGuardrail | undefined>;
  /** Limits on metadata users (metadata._user), by user id; '*' applies to every user. */
  userLimits(user: string): Promise<LimitRule[] | undefined>;
  /** An organisation's limit policies and workspace limits (synced stores; read from memory, synchronously). */
  orgLimits?(organisation: string): OrgLimits | undefined;
  /** Called after the entities changed (file reload, pub/sub invalidation). */
  onChange(listener: () => void): void;
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}
