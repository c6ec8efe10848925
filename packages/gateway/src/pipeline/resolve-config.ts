import { GatewayError } from '../errors.js';
import type { GatewayKey } from '../entities/types.js';
import type { RoutingConfig } from '../routing/config-schema.js';
import type { EffectiveTarget } from '../routing/execute.js';
import type { GatewayDeps } from './deps.js';
import type { PortkeyHeaders } from './headers.js';

export interface ResolvedConfig {
  config: RoutingConfig;
  /** A config was named (header or key default), as opposed to the headers alone. */
  used: boolean;
  /** The operator wrote it (a saved config, or the key's default), not the caller (inline JSON in the header). */
  operator: boolean;
}

const NO_CONFIG: ResolvedConfig = { config: {}, used: false, operator: false };

/**
 * The routing config of a request: inline JSON or a saved id from x-portkey-config, else the gateway
 * key's default config, else none (a single target described by the headers).
 */
export function resolveRoutingConfig(deps: GatewayDeps, headers: PortkeyHeaders, key: GatewayKey | undefined): ResolvedConfig | Promise<ResolvedConfig> {
  const ref = headers.config ?? key?.defaults?.config;
  if (!ref) return NO_CONFIG;
  const trimmed = ref.trim();
  // Inline JSON resolves at once; only a saved id needs the entity store.
  if (trimmed.startsWith('{')) return { config: deps.configs.get(trimmed, 'x-portkey-config'), used: true, operator: headers.config === undefined };
  return savedConfig(deps, trimmed, key);
}

async function savedConfig(deps: GatewayDeps, trimmed: string, key: GatewayKey | undefined): Promise<ResolvedConfig> {
  const found = await deps.entities.getConfig(trimmed);
  // Another workspace's config is answered as unknown: its existence is not this key's to learn.
  const saved = found && (!found.workspace || !key?.workspace || found.workspace === key.workspace) ? found : undefined;
  if (!saved) {
    throw new GatewayError({ status: 400, param: 'x-portkey-config', code: 'unknown_config', message: `x-portkey-config "${trimmed.slice(0, 64)}" is neither a JSON object nor the id of a saved config; check the id in the entities file.` });
  }
  return { config: deps.configs.get(saved.json, `config ${saved.id}`, true), used: true, operator: true };
}

/** What the request headers say about the target; config targets inherit from it. */
export function baseTargetFromHeaders(headers: PortkeyHeaders): EffectiveTarget {
  return {
    path: 'config',
    provider: headers.provider,
    apiKey: headers.apiKey,
    virtualKey: headers.virtualKey,
    customHost: headers.customHost,
    requestTimeout: headers.requestTimeout,
    forwardHeaders: headers.forwardHeaders,
    settings: headers.settings,
  };
}
