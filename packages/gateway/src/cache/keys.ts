import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal requests hash equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value as Record<string, unknown>).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The simple-cache key: the tenant (never shared across tenants), the endpoint, the routing identity
 * (provider, virtual key, config) and the request body minus fields that do not change the answer's content.
 */
export function simpleCacheKey(parts: { tenant: string; op: string; route: string; body: Record<string, unknown> }): string {
  const { stream: _s, stream_options: _so, ...rest } = parts.body;
  return createHash('sha256')
    .update(parts.tenant).update('\0')
    .update(parts.op).update('\0')
    .update(parts.route).update('\0')
    .update(canonicalJson(rest))
    .digest('hex');
}
