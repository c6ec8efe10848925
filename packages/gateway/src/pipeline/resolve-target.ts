import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';
import type { Provider, ProviderTarget } from '../providers/types.js';
import type { EffectiveTarget } from '../routing/execute.js';
import { validateCustomHost } from '../upstream/egress-policy.js';
import type { GatewayDeps } from './deps.js';

/** Turns a config leaf into a provider and its credentials: virtual key lookup, custom_host checks, forwarded headers. */
export async function resolveProviderTarget(
  deps: GatewayDeps,
  t: EffectiveTarget,
  clientHeaders: IncomingHttpHeaders,
): Promise<{ provider: Provider; target: ProviderTarget }> {
  let providerId = t.provider;
  let apiKey = t.apiKey;
  let settings = t.settings;
  if (t.virtualKey) {
    const vk = await deps.entities.getVirtualKey(t.virtualKey);
    if (!vk) {
      throw new GatewayError({ status: 400, param: 'virtual_key', code: 'unknown_virtual_key', message: `Virtual key "${t.virtualKey}" does not exist; check its slug in the entities file.` });
    }
    if (providerId && providerId !== vk.provider) {
      throw badRequest(`Virtual key "${vk.slug}" is for ${vk.provider}, but the target names provider ${providerId}; remove one of them.`, 'virtual_key');
    }
    providerId = vk.provider;
    apiKey = vk.apiKey ?? apiKey;
    settings = { ...vk.settings, ...settings };
  }
  if (!providerId) {
    throw badRequest('No provider given: set the x-portkey-provider header, a virtual key, or "provider" in the config.', 'x-portkey-provider', 'missing_provider');
  }
  const provider = deps.registry.get(providerId);
  const customHost = t.customHost ? await validateCustomHost(t.customHost, deps.egress) : undefined;
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
  return { provider, target: { provider: provider.id, apiKey, customHost, settings, forwardHeaders } };
}
