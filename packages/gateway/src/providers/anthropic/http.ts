/** Upstream URL and auth headers for Anthropic. Pure. */
import { GatewayError } from '../../errors.js';
import type { ProviderTarget } from '../types.js';
import { ANTHROPIC_BASE_URL, ANTHROPIC_VERSION } from './wire.js';

/** Base URL including /v1 (custom_host follows the same convention, e.g. http://127.0.0.1:9000/v1). */
export function anthropicUrl(target: ProviderTarget, inboundPath: string): string {
  const base = (target.customHost ?? ANTHROPIC_BASE_URL).replace(/\/+$/, '');
  const rest = inboundPath.startsWith('/v1/') ? inboundPath.slice(3) : inboundPath;
  return base + rest;
}

export function anthropicHeaders(target: ProviderTarget): Record<string, string> {
  const key = target.apiKey?.replace(/^Bearer\s+/i, '').trim();
  if (!key) {
    throw new GatewayError({
      status: 401,
      type: 'authentication_error',
      provider: 'anthropic',
      message: 'anthropic: no API key; send it as "Authorization: Bearer <anthropic key>" or x-api-key, or use a virtual key',
    });
  }
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-api-key': key,
    'anthropic-version': target.settings.anthropic_version || ANTHROPIC_VERSION,
  };
  if (target.settings.anthropic_beta) headers['anthropic-beta'] = target.settings.anthropic_beta;
  return headers;
}
