import { badRequest } from '../../errors.js';

/**
 * Base URLs with placeholders filled from provider settings, which come from Portkey's provider
 * headers (`x-portkey-workers-ai-account-id` → `{workers_ai_account_id}`), a config target or a
 * virtual key. Templates are parsed once at start; filling one is a few string concatenations.
 *
 * A placeholder value is an identifier, never a URL fragment: it may not contain `/ ? # @ :` or
 * spaces, so a caller can choose an account under the provider's host but never another host.
 */
const PLACEHOLDER = /\{([a-z0-9_]+)\}/g;
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface CompiledTemplate {
  /** Setting names the template needs, in order. */
  settings: string[];
  fill(settings: Record<string, string | undefined>): string;
}

/** The header a setting comes from, for error messages: workers_ai_account_id → x-portkey-workers-ai-account-id. */
export function headerForSetting(setting: string): string {
  return HEADER_OF_ALIASED_SETTING[setting] ?? `x-portkey-${setting.replace(/_/g, '-')}`;
}

/** Settings the header parser renames (pipeline/headers.ts SETTING_ALIASES), back to their header. */
const HEADER_OF_ALIASED_SETTING: Record<string, string> = {
  resource_name: 'x-portkey-azure-resource-name',
  api_version: 'x-portkey-azure-api-version',
  deployment_id: 'x-portkey-azure-deployment-id',
};

export function compileUrlTemplate(provider: string, template: string): CompiledTemplate {
  const literals: string[] = [];
  const settings: string[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, m.index));
    settings.push(m[1]);
    last = m.index! + m[0].length;
  }
  literals.push(template.slice(last));
  if (settings.length === 0) return { settings, fill: () => template };
  return {
    settings,
    fill(values) {
      let out = literals[0];
      for (let i = 0; i < settings.length; i++) {
        const v = values[settings[i]];
        if (!v) throw badRequest(`${provider} needs ${headerForSetting(settings[i])} (or "${settings[i]}" in the config target or virtual key) to build its URL`, headerForSetting(settings[i]), 'missing_parameter');
        if (!SAFE_VALUE.test(v) || v.includes('..')) {
          throw badRequest(`${headerForSetting(settings[i])} must be an identifier (letters, digits, ".", "_", "-"; at most 128), not a URL or path`, headerForSetting(settings[i]), 'invalid_value');
        }
        out += v + literals[i + 1];
      }
      return out;
    },
  };
}

/**
 * A whole base URL given by the caller (x-portkey-huggingface-base-url), accepted only on https and
 * under the provider's own domains, so it reaches the same hosts the provider's fixed URL would.
 * Anything else belongs in custom_host, which passes the egress policy.
 */
export function checkedBaseUrl(provider: string, setting: string, raw: string, hostSuffixes: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest(`${headerForSetting(setting)} is not a URL`, headerForSetting(setting), 'invalid_value');
  }
  const host = url.hostname.toLowerCase();
  const allowed = hostSuffixes.some((s) => (s.startsWith('.') ? host.endsWith(s) && host.length > s.length : host === s));
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash || !allowed) {
    throw badRequest(
      `${headerForSetting(setting)} must be an https URL on ${hostSuffixes.map((s) => (s.startsWith('.') ? `*${s}` : s)).join(' or ')} without credentials or query; for another host use x-portkey-custom-host`,
      headerForSetting(setting), 'invalid_value',
    );
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}
