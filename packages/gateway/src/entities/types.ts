import type { GatewayKey, LimitRule, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey } from '@portico/contract';

export type { GatewayKey, Prompt, PromptPartial, SavedConfig, SavedGuardrail, VirtualKey };

/**
 * Keys, virtual keys, configs and prompts. The embedded default is a YAML file; Redis caching and the
 * control-plane sync implement the same interface later. Lookups are served from memory.
 */
export interface EntityStore {
  readonly kind: string;
  /** True when at least one gateway key is configured, so x-portkey-api-key is required. */
  authRequired(): boolean;
  findKeyByHash(hash: string): Promise<GatewayKey | undefined>;
  getVirtualKey(slug: string): Promise<VirtualKey | undefined>;
  getConfig(id: string): Promise<SavedConfig | undefined>;
  getPrompt(id: string): Promise<Prompt | undefined>;
  /** A prompt partial by slug (or id); stores without partials leave it out. */
  getPartial?(slug: string): Promise<PromptPartial | undefined>;
  /** A saved guardrail by id (or slug), which configs name in input_guardrails / output_guardrails. */
  getGuardrail?(id: string): Promise<SavedGuardrail | undefined>;
  /** Limits on metadata users (metadata._user), by user id; '*' applies to every user. */
  userLimits(user: string): Promise<LimitRule[] | undefined>;
  /** Called after the entities changed (file reload, pub/sub invalidation). */
  onChange(listener: () => void): void;
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}
