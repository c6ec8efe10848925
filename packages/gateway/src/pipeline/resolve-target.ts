import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';
import type { Provider, ProviderTarget } from '../providers/types.js';
import type { EntityScope } from '../entities/types.js';
import type { EffectiveTarget } from '../routing/execute.js';
import { customHostPassed, validateCustomHost } from '../upstream/egress-policy.js';
import type { GatewayDeps } from './deps.js';

export interface ResolvedTarget {
  provider: Provider;
  target: ProviderTarget;
}

/**
 * Turns a config leaf into a provider and its credentials: virtual key lookup, custom_host checks,
 * forwarded headers. Resolves at once unless a virtual key must be looked up or a custom_host checked.
 */
export function resolveProviderTarget(deps: GatewayDeps, t: EffectiveTarget, clientHeaders: IncomingHttpHeaders, scope?: EntityScope): ResolvedTarget | Promise<ResolvedTarget> {
  if (!t.virtualKey && (!t.customHost || customHostPassed(t.customHost, deps.egress))) return assemble(deps, t, t.provider, t.apiKey, t.settings, clientHeaders);
  return resolveWithLookups(deps, t, clientHeaders, scope);
}

async function resolveWithLookups(deps: GatewayDeps, t: EffectiveTarget, clientHeaders: IncomingHttpHeaders, scope: EntityScope | undefined): Promise<ResolvedTarget> {
  let providerId = t.provider;
  let apiKey = t.apiKey;
  let settings = t.settings;
  let customHost = t.customHost;
  if (t.virtualKey) {
    const vk = await deps.entities.getVirtualKey(t.virtualKey, scope);
    if (!vk) {
      throw new GatewayError({ status: 400, param: 'virtual_key', code: 'unknown_virtual_key', message: `Virtual key "${t.virtualKey}" does not exist; check its slug in the entities file.` });
    }
    if (providerId && providerId !== vk.provider) {
      throw badRequest(`Virtual key "${vk.slug}" is for ${vk.provider}, but the target names provider ${providerId}; remove one of them.`, 'virtual_key');
    }
    providerId = vk.provider;
    apiKey = vk.apiKey ?? apiKey;
    settings = { ...vk.settings, ...settings };
    // A saved provider's custom_host (an integration's configurations.custom_host), checked like any other.
    customHost ??= vk.settings.custom_host || undefined;
  }
  if (providerId && customHost) await validateCustomHost(customHost, deps.egress);
  return assemble(deps, customHost === t.customHost ? t : { ...t, customHost }, providerId, apiKey, settings, clientHeaders);
}

function assemble(deps: GatewayDeps, t: EffectiveTarget, providerId: string | undefined, apiKey: string | undefined, settings: Record<string, string>, clientHeaders: IncomingHttpHeaders): ResolvedTarget {
  if (!providerId) {
    throw badRequest('No provider given: set the x-portkey-provider header, a virtual key, or "provider" in the config.', 'x-portkey-provider', 'missing_provider');
  }
  const provider = deps.registry.get(providerId);
  let forwardHeaders: Record<string, string> | undefined;
  if (t.forwardHeaders?.length) {
    forwardHeaders = {};
    for (const name of t.forwardHeaders) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-portkey-') || lower === 'host' || lower === 'content-length') continue;
      const v = clientHeaders[lower];
      if (typeof v === 'string') forwardHeaders[lower] = v;
    }
  }
  return { provider, target: { provider: provider.id, apiKey, customHost: t.customHost, settings, forwardHeaders } };
}
