import type { LimitRule } from '../limits/types.js';

/** A gateway API key (x-portkey-api-key). Only its SHA-256 hash is stored. */
export interface GatewayKey {
  id: string;
  /** Lowercase hex SHA-256 of the key. */
  hash: string;
  name?: string;
  /** 'completions' (the default) to call models, 'logs' to read log documents, 'admin'. */
  scopes: string[];
  workspace?: string;
  /** Applied when the request does not say otherwise. */
  defaults?: { config?: string; metadata?: Record<string, string> };
  limits?: LimitRule[];
}

/** A saved provider credential, addressed by slug in x-portkey-virtual-key or a config target. */
export interface VirtualKey {
  slug: string;
  provider: string;
  /** Secret, resolved from its env-var reference at load time; never logged. */
  apiKey?: string;
  /** Provider settings in Portkey's snake_case names (resource_name, aws_region, ...). */
  settings: Record<string, string>;
  limits?: LimitRule[];
}

export interface SavedConfig {
  id: string;
  /** The routing config as JSON text, validated when used. */
  json: string;
}

export interface Prompt {
  id: string;
  template: unknown;
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
  getVirtualKey(slug: string): Promise<VirtualKey | undefined>;
  getConfig(id: string): Promise<SavedConfig | undefined>;
  getPrompt(id: string): Promise<Prompt | undefined>;
  /** Limits on metadata users (metadata._user), by user id; '*' applies to every user. */
  userLimits(user: string): Promise<LimitRule[] | undefined>;
  /** Called after the entities changed (file reload, pub/sub invalidation). */
  onChange(listener: () => void): void;
  health(): { status: 'ok' | 'degraded'; detail?: string };
  close(): Promise<void>;
}
