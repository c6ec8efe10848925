import { z } from 'zod';
import { invalid } from './errors.js';

/**
 * Parses a request body with a strict zod schema: unknown fields are refused by name, and the
 * first problem is reported with its path (param) and what to send instead.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, where = 'body'): z.infer<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = (issue as { keys: string[] }).keys;
    const at = path ? `${path}.` : '';
    throw invalid(`Unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${at}${k}"`).join(', ')} in the ${where}; remove ${keys.length > 1 ? 'them' : 'it'} (see the API reference for the fields this endpoint takes)`, `${at}${keys[0]}`, 'unknown_field');
  }
  const param = path || null;
  throw invalid(`${param ? `${param}: ` : ''}${issue.message}`, param, 'invalid_field');
}

export const NAME_MAX = 200;
export const name = () => z.string().trim().min(1, 'must not be empty').max(NAME_MAX, `must be at most ${NAME_MAX} characters`);
export const slug = () =>
  z.string().min(1).max(100, 'must be at most 100 characters').regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'use letters, digits, "-" and "_" only, starting with a letter or digit');
export const metadata = () => z.record(z.string().max(128), z.string().max(1024)).refine((m) => Object.keys(m).length <= 64, 'at most 64 metadata keys');
export const isoDate = () => z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 date-time such as 2027-01-31T00:00:00Z');

/** Query parameter helpers: page_size (1–100, default 50) and current_page (0-based). */
export function paging(query: URLSearchParams): { limit: number; offset: number } {
  const size = query.get('page_size');
  const page = query.get('current_page');
  const limit = size === null ? 50 : Number(size);
  const current = page === null ? 0 : Number(page);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('page_size must be an integer from 1 to 1000', 'page_size');
  if (!Number.isInteger(current) || current < 0) throw invalid('current_page must be an integer of 0 or more', 'current_page');
  return { limit, offset: limit * current };
}
