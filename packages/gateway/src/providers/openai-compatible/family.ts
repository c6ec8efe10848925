import type { Operation, Provider, ProviderTarget } from '../types.js';
import { joinUpstreamUrl, mapOpenAIError, openAIChatStream } from './mapping.js';
import { checkedBaseUrl, compileUrlTemplate, headerForSetting } from './url-template.js';

export interface OpenAICompatibleSpec {
  id: string;
  name: string;
  /**
   * Base URL including the version segment, e.g. https://api.groq.com/openai/v1. May hold
   * `{setting}` placeholders filled from provider settings (x-portkey-workers-ai-account-id → {workers_ai_account_id}).
   */
  baseUrl: string;
  /** A setting that replaces the whole base URL when given, restricted to the provider's own hosts. */
  baseUrlSetting?: { setting: string; hostSuffixes: string[]; append?: string };
  /**
   * The provider's own account API beside its OpenAI-compatible one: inbound paths under `paths` go to
   * `baseUrl` (a template, e.g. Fireworks' https://api.fireworks.ai/v1/accounts/{fireworks_account_id})
   * plus the rest of the path.
   */
  accountApi?: { baseUrl: string; paths: string[] };
  /** Query parameters every request carries, each from a setting or its default (azure-ai api-version). */
  query?: Record<string, { setting: string; default: string }>;
  /** False for providers without chat completions (embeddings, rerank or images only). Default true. */
  chat?: boolean;
  /** Whether the provider has /embeddings. */
  embeddings?: boolean;
  /** Whether the provider has the legacy /completions endpoint. */
  completions?: boolean;
  /** Whether it serves OpenAI's POST /images/generations (forwarded as is). */
  images?: boolean;
  /** Whether it serves OpenAI's Responses API natively. */
  responses?: boolean;
  /** A local model server: key optional, and its default base URL is checked by the egress policy. */
  keyOptional?: boolean;
  /** The auth header when it is not `Authorization: Bearer <key>`: e.g. { header: 'api-key' } sends the key as is. */
  authHeader?: { header: string; prefix?: string };
  extraHeaders?: (target: ProviderTarget) => Record<string, string>;
  /** Impure credential step run before sending (Entra token exchange); see Provider.authorize. */
  authorize?: Provider['authorize'];
  /** Extra auth modes to list in the docs. */
  authModes?: string[];
  /** Protocol headers clients send for this provider (see Provider.protocolHeaders). */
  protocolHeaders?: readonly string[];
}

/** Builds a Provider for an endpoint that speaks OpenAI's wire format, differing only by base URL and auth. */
export function createOpenAICompatibleProvider(spec: OpenAICompatibleSpec): Provider {
  // Everything request-independent is worked out here, once.
  const template = compileUrlTemplate(spec.id, spec.baseUrl);
  const override = spec.baseUrlSetting;
  const queryEntries = Object.entries(spec.query ?? {});
  const authName = spec.authHeader?.header.toLowerCase() ?? 'authorization';
  const authPrefix = spec.authHeader ? spec.authHeader.prefix ?? '' : 'Bearer ';
  const hasChat = spec.chat !== false;
  const account = spec.accountApi && { template: compileUrlTemplate(spec.id, spec.accountApi.baseUrl), paths: spec.accountApi.paths };
  const accountUrl = (target: ProviderTarget, path: string): string | undefined => {
    if (!account || target.customHost) return undefined;
    const bare = path.split('?')[0]!;
    if (!account.paths.some((p) => bare === p || bare.startsWith(`${p}/`) || bare.startsWith(`${p}:`))) return undefined;
    return account.template.fill(target.settings) + path.slice('/v1'.length);
  };

  const base = (target: ProviderTarget): string => {
    if (target.customHost) return target.customHost;
    const given = override && target.settings[override.setting];
    if (given) return checkedBaseUrl(spec.id, override.setting, given, override.hostSuffixes) + (override.append ?? '');
    return template.fill(target.settings);
  };
  const url = (target: ProviderTarget, path: string): string => {
    const own = accountUrl(target, path);
    if (own) return own;
    const joined = joinUpstreamUrl(base(target), path);
    if (queryEntries.length === 0) return joined;
    const q = joined.indexOf('?');
    const given = q === -1 ? undefined : new URLSearchParams(joined.slice(q + 1));
    let out = joined;
    for (const [name, param] of queryEntries) {
      // A client that names the parameter itself (passthrough) keeps its value.
      if (given?.has(name)) continue;
      out += `${out.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(target.settings[param.setting] ?? param.default)}`;
    }
    return out;
  };
  const headers = (target: ProviderTarget): Record<string, string> => {
    const h: Record<string, string> = { 'content-type': 'application/json', ...(spec.extraHeaders?.(target) ?? {}) };
    if (target.apiKey) h[authName] = authPrefix + target.apiKey;
    return h;
  };
  const json = (path: string) => ({
    toRequest: (req: object, target: ProviderTarget) => ({ method: 'POST' as const, url: url(target, path), headers: headers(target), body: JSON.stringify(req) }),
    fromResponse: (body: unknown) => body as never,
  });

  const nativeOperations: Operation[] = hasChat ? ['chat', 'passthrough'] : ['passthrough'];
  if (spec.images) nativeOperations.push('images');
  if (spec.completions) nativeOperations.push('completions');
  if (spec.embeddings) nativeOperations.push('embeddings');
  if (spec.responses) nativeOperations.push('responses');
  const translated: Operation[] = hasChat ? ['messages', ...(spec.responses ? [] : (['responses'] as const))] : [];
  return {
    id: spec.id,
    name: spec.name,
    localBaseUrl: spec.keyOptional ? spec.baseUrl : undefined,
    capabilities: {
      endpoints: [...nativeOperations, ...translated],
      streaming: hasChat,
      tools: hasChat,
      vision: hasChat,
      embeddings: !!spec.embeddings,
      auth: [`${spec.authHeader ? spec.authHeader.header : 'bearer'}${spec.keyOptional ? ' (optional)' : ''}`, ...(spec.authModes ?? [])],
      upstream: describeUpstream(spec, template.settings),
    },
    chat: hasChat ? { ...json('/v1/chat/completions'), stream: openAIChatStream } : undefined,
    completions: spec.completions ? { ...json('/v1/completions'), stream: openAIChatStream } : undefined,
    embeddings: spec.embeddings ? json('/v1/embeddings') : undefined,
    nativeOperations,
    protocolHeaders: spec.protocolHeaders,
    passthrough: (path, target) => ({ url: url(target, path), headers: headers(target) }),
    ...(spec.authorize ? { authorize: spec.authorize } : {}),
    mapError: mapOpenAIError(spec.id),
  };
}

/** The upstream URL for docs/providers.md, naming the headers its placeholders come from. */
function describeUpstream(spec: OpenAICompatibleSpec, settings: string[]): string {
  const parts = [`\`${spec.baseUrl}\``];
  if (settings.length) parts.push(`with ${settings.map((s) => `{${s}} from ${headerForSetting(s)}`).join(', ')}`);
  if (spec.baseUrlSetting) parts.push(`or the whole base from ${headerForSetting(spec.baseUrlSetting.setting)} (https on ${spec.baseUrlSetting.hostSuffixes.join(', ')})`);
  if (spec.accountApi) {
    const t = compileUrlTemplate(spec.id, spec.accountApi.baseUrl);
    parts.push(`; ${spec.accountApi.paths.map((p) => `${p}/*`).join(', ')} to \`${spec.accountApi.baseUrl}\` with ${t.settings.map((s) => `{${s}} from ${headerForSetting(s)}`).join(', ')}`);
  }
  if (spec.query) parts.push(`query ${Object.entries(spec.query).map(([k, q]) => `${k} from ${headerForSetting(q.setting)} (default ${q.default})`).join(', ')}`);
  return parts.join(' ');
}
