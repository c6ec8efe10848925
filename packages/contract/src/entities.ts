/**
 * The entities a gateway serves requests from. The embedded YAML file and the control plane's sync
 * both produce these; the gateway resolves them from memory, never over the network per request.
 */

/**
 * A limit: N requests / tokens / USD per window. Windows are calendar-aligned in UTC (weeks start on
 * Monday); 'total' never resets by itself (a usage-limit policy without periodic_reset).
 */
export interface LimitRule {
  kind: 'requests' | 'tokens' | 'cost';
  limit: number;
  /** 'days': periods of `days` days on the grid `anchor` sets (Portkey's periodic_reset_days). */
  window: 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'total' | 'days';
  /** window 'days': the period's length in days, 1 to 365. */
  days?: number;
  /** window 'days': epoch ms of one period boundary (a reset); the others are `days` days apart from it. */
  anchor?: number;
  /**
   * Epoch ms: count only from this moment (a window that began earlier begins here instead). Set by
   * the gateway for a policy entity's last reset, or a policy's start; a new value starts a new count.
   */
  since?: number;
}

/** A gateway API key (x-portkey-api-key). Only its SHA-256 hash is stored. */
export interface GatewayKey {
  id: string;
  /** Lowercase hex SHA-256 of the key. */
  hash: string;
  name?: string;
  /** Gateway scopes: 'completions' (the default) to call models, 'logs' to read log documents, 'admin'. */
  scopes: string[];
  /** Workspace the key belongs to; absent for an organisation-level key. */
  workspace?: string;
  /** Organisation the key belongs to (control-plane keys). */
  organisation?: string;
  /** ISO-8601; the key is refused from then on. */
  expires_at?: string;
  /** Applied when the request does not say otherwise. */
  defaults?: { config?: string; metadata?: Record<string, string> };
  limits?: LimitRule[];
}

/** A saved provider credential, addressed by slug in x-portkey-virtual-key, `@slug` or a config target. */
export interface VirtualKey {
  slug: string;
  provider: string;
  /** The secret. In a sync snapshot it travels only over the authenticated sync channel; never logged. */
  apiKey?: string;
  /** Provider settings in Portkey's snake_case names (resource_name, aws_region, custom_host, ...). */
  settings: Record<string, string>;
  workspace?: string;
  limits?: LimitRule[];
}

export interface SavedConfig {
  /** Id or slug; a config is found by either. */
  id: string;
  slug?: string;
  workspace?: string;
  /** The routing config as JSON text, validated when used. */
  json: string;
}

/** A saved prompt as the gateway renders it: one entry per version, labels pointing at versions. */
export interface Prompt {
  id: string;
  slug?: string;
  workspace?: string;
  /** The template of the default version (the YAML file's form). */
  template: unknown;
  versions?: PromptVersion[];
  /** Label name (e.g. "production") to version number. */
  labels?: Record<string, number>;
  default_version?: number;
}

export interface PromptVersion {
  version: number;
  /** Portkey's prompt `string`: the template text (a JSON array of messages with Mustache variables). */
  string: string;
  /** Hyperparameters saved with the version (temperature, max_tokens, ...); the request's override them. */
  parameters: Record<string, unknown>;
  model?: string;
  /** Provider slug (virtual key or integration provider) the prompt runs on. */
  virtual_key?: string;
}

/** A reusable template piece, included with {{>name}}. */
export interface PromptPartial {
  id: string;
  slug: string;
  workspace?: string;
  string: string;
}

/** A saved guardrail: its checks, referred to by id from a config's input_guardrails / output_guardrails. */
export interface SavedGuardrail {
  id: string;
  slug?: string;
  workspace?: string;
  /** Check ids to parameters, Portkey's `checks` array. */
  checks: Array<{ id: string; parameters?: Record<string, unknown> }>;
  actions?: Record<string, unknown>;
}
