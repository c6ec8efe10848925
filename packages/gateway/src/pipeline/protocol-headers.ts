import type { IncomingHttpHeaders } from 'node:http';
import type { Provider } from '../providers/types.js';

/**
 * The client's headers of the provider's own protocol (OpenAI-Beta, anthropic-beta), added to the
 * upstream request. Both are comma-separated lists: one the mapping set too is joined, not replaced.
 */
export function withProtocolHeaders(provider: Provider, client: IncomingHttpHeaders, headers: Record<string, string>): Record<string, string> {
  if (!provider.protocolHeaders) return headers;
  let out = headers;
  for (const name of provider.protocolHeaders) {
    const raw = client[name];
    const v = Array.isArray(raw) ? raw.join(',') : raw;
    if (!v) continue;
    if (out === headers) out = { ...headers };
    const existing = Object.keys(out).find((k) => k.toLowerCase() === name);
    if (existing && out[existing] !== v) out[existing] = `${out[existing]},${v}`;
    else if (!existing) out[name] = v;
  }
  return out;
}
