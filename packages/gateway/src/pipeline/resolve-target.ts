import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, badRequest } from '../errors.js';
import { scopeOf, type GatewayKey, type VirtualKey } from '../entities/types.js';
import type { Provider, ProviderTarget } from '../providers/types.js';
import type { EffectiveTarget } from '../routing/execute.js';
import { checkChosenAddress, customHostPassed, validateCustomHost, type EgressPolicy } from '../upstream/egress-policy.js';
import type { GatewayDeps } from './deps.js';
import type { PortkeyHeaders } from './headers.js';

/** What resolution needs to know about the request: whose the config is, and what the headers said. */
export interface RequestOrigin {
  /** The config is the operator's: a value it sets, unlike one the headers set, is not the caller's choice. */
  operatorConfig?: boolean;
  headers?: PortkeyHeaders;
  savedCredentials?: ProviderTarget[];
}

export interface ResolvedTarget {
  provider: Provider;
  target: ProviderTarget;
}

/**
 * Settings that send a credential to another host or change how it authenticates. With a virtual key,
 * the request may not set them (a saved secret goes only to the host saved with it, or to the
 * provider's own endpoint) unless the virtual key says `allow_request_routing: "true"`.
 */
const HOST_OR_AUTH_SETTINGS = new Set([
  'custom_host', 'resource_name', 'azure_auth_mode', 'azure_ad_token',
  'azure_foundry_url', 'azure_entra_scope', 'azure_managed_client_id', 'azure_workload_client_id',
  'aws_access_key_id', 'aws_secret_access_key', 'aws_session_token', 'aws_role_arn', 'aws_external_id',
  'vertex_service_account_json', 'openai_organization', 'openai_project',
]);
const ALLOW_REQUEST_ROUTING = 'allow_request_routing';

/** Client headers that cannot be forwarded: HTTP itself owns them, and undici refuses most of them. */
const UNFORWARDABLE = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'proxy-authorization', 'proxy-authenticate']);
/** What no header value may hold: a value with these would split the upstream request's headers. */
const HEADER_UNSAFE = /[\r\n\0]/;
/** Settings that are documents, never header values: a key file may be pretty-printed over many lines. */
const DOCUMENT_SETTINGS = new Set(['vertex_service_account_json']);

/**
 * Turns a config leaf into a provider and its credentials: virtual key lookup, custom_host checks,
 * forwarded headers. Resolves at once unless a virtual key must be looked up or a custom_host checked.
 * `principal` is the caller's gateway key: a virtual key of one workspace serves only that workspace.
 */
export function resolveProviderTarget(
  deps: GatewayDeps, t: EffectiveTarget, clientHeaders: IncomingHttpHeaders, principal?: GatewayKey, origin: RequestOrigin = {},
): ResolvedTarget | Promise<ResolvedTarget> {
  if (!t.virtualKey && (!t.customHost || customHostPassed(t.customHost, deps.egress))) {
    return withIdentity(assemble(deps, t, t.provider, t.apiKey, t.customHost, t.settings, clientHeaders), deps, t, origin);
  }
  return resolveWithLookups(deps, t, clientHeaders, principal, origin).then((r) => withIdentity(r, deps, t, origin));
}

/**
 * Whether this target may be signed with the gateway's own cloud identity (GATEWAY_CLOUD_IDENTITY).
 * `saved` lends it to what the operator saved: a virtual key (whose settings win over the request's,
 * and which refuses a caller's aws_role_arn unless it allows request routing), or the operator's config,
 * unless the role to assume is one the caller's headers named.
 */
function withIdentity(r: ResolvedTarget, deps: GatewayDeps, t: EffectiveTarget, origin: RequestOrigin): ResolvedTarget {
  const policy = deps.cloudIdentity ?? 'saved';
  if (policy !== 'saved') {
    r.target.gatewayIdentity = policy === 'any';
    return r;
  }
  const role = r.target.settings.aws_role_arn;
  const callersRole = role !== undefined && role === origin.headers?.settings.aws_role_arn;
  r.target.gatewayIdentity = !!t.virtualKey || (!!origin.operatorConfig && !callersRole);
  return r;
}

async function resolveWithLookups(deps: GatewayDeps, t: EffectiveTarget, clientHeaders: IncomingHttpHeaders, principal: GatewayKey | undefined, origin: RequestOrigin): Promise<ResolvedTarget> {
  let providerId = t.provider;
  let apiKey = t.apiKey;
  let settings = t.settings;
  let customHost = t.customHost;
  if (t.virtualKey) {
    const vk = await deps.entities.getVirtualKey(t.virtualKey, scopeOf(principal));
    if (!vk) {
      throw new GatewayError({ status: 400, param: 'virtual_key', code: 'unknown_virtual_key', message: `Virtual key "${t.virtualKey}" does not exist; check its slug in the entities file.` });
    }
    if (vk.workspace && principal?.workspace && vk.workspace !== principal.workspace) {
      // Said as if it did not exist: a key of another workspace learns nothing about this one's keys.
      throw new GatewayError({ status: 400, param: 'virtual_key', code: 'unknown_virtual_key', message: `Virtual key "${t.virtualKey}" does not exist in workspace ${principal.workspace}; use one of its own virtual keys.` });
    }
    if (providerId && providerId !== vk.provider) {
      throw badRequest(`Virtual key "${vk.slug}" is for ${vk.provider}, but the target names provider ${providerId}; remove one of them.`, 'virtual_key');
    }
    providerId = vk.provider;
    apiKey = vk.apiKey ?? apiKey;
    customHost = refuseOverrides(vk, t, origin);
    // The virtual key's own settings win over anything the request says.
    settings = { ...settings, ...vk.settings };
  }
  if (providerId && customHost) await validateCustomHost(customHost, deps.egress);
  return assemble(deps, t, providerId, apiKey, customHost, settings, clientHeaders);
}

/**
 * The custom_host a virtual key's credential may go to: the one saved with it, or one the operator's
 * config names. A caller that names another host (header, inline config), or sets a host- or
 * auth-changing setting the key does not hold, is refused by name.
 */
function refuseOverrides(vk: VirtualKey, t: EffectiveTarget, origin: RequestOrigin): string | undefined {
  const saved = vk.settings.custom_host || undefined;
  const allowed = vk.settings[ALLOW_REQUEST_ROUTING] === 'true';
  // In an operator's config, only a value equal to what the headers said can be the caller's.
  const callers = (value: string | undefined, fromHeader: string | undefined) => !origin.operatorConfig || value === fromHeader;
  if (t.customHost && t.customHost !== saved) {
    if (!allowed && callers(t.customHost, origin.headers?.customHost)) throw overrideRefused(vk, 'custom_host');
    return t.customHost;
  }
  if (!allowed) {
    for (const name in t.settings) {
      const value = t.settings[name];
      if (HOST_OR_AUTH_SETTINGS.has(name) && value !== vk.settings[name] && callers(value, origin.headers?.settings[name])) throw overrideRefused(vk, name);
    }
  }
  return saved;
}

function overrideRefused(vk: VirtualKey, name: string): GatewayError {
  return new GatewayError({
    status: 400, param: name, code: 'virtual_key_override_forbidden',
    message: `${name} cannot be combined with virtual key "${vk.slug}": its saved credential goes only to the host and auth saved with it. Remove ${name} from the request, or save it in the virtual key's settings.`,
  });
}

function assemble(
  deps: GatewayDeps, t: EffectiveTarget, providerId: string | undefined, apiKey: string | undefined, customHost: string | undefined,
  settings: Record<string, string>, clientHeaders: IncomingHttpHeaders,
): ResolvedTarget {
  if (!providerId) {
    throw badRequest('No provider given: set the x-portkey-provider header, a virtual key, or "provider" in the config.', 'x-portkey-provider', 'missing_provider');
  }
  const provider = deps.registry.get(providerId);
  if (!customHost && provider.localBaseUrl) customHost = localDefault(provider, deps.egress);
  if (apiKey !== undefined && HEADER_UNSAFE.test(apiKey)) throw headerUnsafe('api_key');
  for (const name in settings) {
    const v = settings[name];
    if (typeof v === 'string' && HEADER_UNSAFE.test(v) && !DOCUMENT_SETTINGS.has(name)) throw headerUnsafe(name);
  }
  let forwardHeaders: Record<string, string> | undefined;
  if (t.forwardHeaders?.length) {
    forwardHeaders = {};
    for (const name of t.forwardHeaders) {
      const lower = name.toLowerCase();
      if (lower.startsWith('x-portkey-')) continue;
      if (UNFORWARDABLE.has(lower)) {
        throw badRequest(`forward_headers may not name "${lower}": HTTP sets it for each hop. Remove it from x-portkey-forward-headers or the config's forward_headers.`, 'forward_headers', 'invalid_forward_header');
      }
      const v = clientHeaders[lower];
      if (typeof v === 'string') forwardHeaders[lower] = v;
    }
  }
  return { provider, target: { provider: provider.id, apiKey, customHost, settings, forwardHeaders } };
}

function headerUnsafe(name: string): GatewayError {
  return badRequest(`${name} holds a line break or NUL character, which cannot go into an HTTP header; remove it.`, name, 'invalid_header_value');
}

/** Per policy, each local-model default's verdict: decided once, as policy and defaults are fixed at start. */
const localVerdicts = new WeakMap<EgressPolicy, Map<string, string | undefined>>();

/** A local model server's default URL, once it passes the egress policy like any custom_host. */
function localDefault(provider: Provider, policy: EgressPolicy): string {
  const url = provider.localBaseUrl!;
  let verdicts = localVerdicts.get(policy);
  if (!verdicts) localVerdicts.set(policy, (verdicts = new Map()));
  let problem = verdicts.get(provider.id);
  if (!verdicts.has(provider.id)) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    problem = checkChosenAddress(host === 'localhost' ? '127.0.0.1' : host, policy);
    verdicts.set(provider.id, problem);
  }
  if (problem) {
    throw badRequest(`${provider.id}'s default address ${url} is not allowed: ${problem}. Set custom_host to where the ${provider.id} server runs.`, 'custom_host', 'custom_host_forbidden');
  }
  return url;
}
