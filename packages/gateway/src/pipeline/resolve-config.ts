import { GatewayError } from '../errors.js';
import { scopeOf, type GatewayKey } from '../entities/types.js';
import type { RoutingConfig } from '../routing/config-schema.js';
import type { EffectiveTarget } from '../routing/execute.js';
import type { GatewayDeps } from './deps.js';
import type { PortkeyHeaders } from './headers.js';
import { expandSavedGuardrails } from './saved-guardrails.js';

export interface ResolvedConfig {
  config: RoutingConfig;
  /** A config was named (header or key default), as opposed to the headers alone. */
  used: boolean;
  /** The saved config's id, when one was named. */
  id?: string;
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
  // Inline JSON resolves at once (unless it names saved guardrails); only a saved id needs the entity store.
  if (trimmed.startsWith('{')) {
    const operator = headers.config === undefined;
    const text = expandSavedGuardrails(deps.entities, trimmed, 'x-portkey-config', scopeOf(key));
    if (typeof text === 'string') return { config: deps.configs.get(text, 'x-portkey-config'), used: true, operator };
    return text.then((t) => ({ config: deps.configs.get(t, 'x-portkey-config'), used: true, operator }));
  }
  return savedConfig(deps, trimmed, key);
}

/** A saved config, by id or slug. */
async function savedConfig(deps: GatewayDeps, trimmed: string, key: GatewayKey | undefined): Promise<ResolvedConfig> {
  const scope = scopeOf(key);
  const found = await deps.entities.getConfig(trimmed, scope);
  // Another workspace's config is answered as unknown: its existence is not this key's to learn.
  const saved = found && (!found.workspace || !key?.workspace || found.workspace === key.workspace) ? found : undefined;
  if (!saved) {
    throw new GatewayError({ status: 400, param: 'x-portkey-config', code: 'unknown_config', message: `x-portkey-config "${trimmed.slice(0, 64)}" is neither a JSON object nor the id or slug of a saved config; check it against the configs of the entities file or the control plane.` });
  }
  const source = `config ${saved.id}`;
  const text = await expandSavedGuardrails(deps.entities, saved.json, source, scope);
  return { config: deps.configs.get(text, source, true), used: true, operator: true, id: saved.id };
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
