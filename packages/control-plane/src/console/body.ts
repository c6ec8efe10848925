import { invalid } from '../http/errors.js';

/**
 * Reads a JSON object body against a list of fields: unknown fields are refused by name, and each
 * named field must be a string (or absent when optional).
 */
export function stringFields<K extends string>(body: unknown, required: readonly K[], optional: readonly K[] = []): Record<K, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('Send a JSON object body', null, 'invalid_body');
  const known = new Set<string>([...required, ...optional]);
  for (const k of Object.keys(body)) {
    if (!known.has(k)) throw invalid(`Unknown field "${k}"; this endpoint takes ${[...known].join(', ')}`, k, 'unknown_field');
  }
  const out = {} as Record<K, string>;
  for (const k of [...required, ...optional]) {
    const v = (body as Record<string, unknown>)[k];
    if (v === undefined && !required.includes(k)) continue;
    if (typeof v !== 'string' || (required.includes(k) && v.length === 0)) throw invalid(`Field "${k}" must be a non-empty string`, k, 'invalid_field');
    out[k] = v;
  }
  return out;
}
