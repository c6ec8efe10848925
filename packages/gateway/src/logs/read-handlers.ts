import { GatewayError, badRequest } from '../errors.js';
import type { LogDocument, LogQuery, LogStore } from './types.js';

/** Read side of the log store for GET /v1/logs/{id} and GET /v1/logs?from&to&limit. */

export const LIST_MAX_RANGE_MS = 31 * 24 * 3_600_000;
export const LIST_DEFAULT_LIMIT = 1_000;
export const LIST_MAX_LIMIT = 100_000;
const ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Whose documents a reader sees: a workspace key only its workspace's, an organisation-level key (or
 * a gateway without keys) every one. Undefined means every document.
 */
export type ReaderScope = string | undefined;

const visibleTo = (doc: LogDocument, workspace: ReaderScope): boolean => workspace === undefined || doc.principal?.workspace === workspace;

/** A log document by id; 400 for a malformed id, 404 when no document has it or the reader may not see it. */
export async function getLogById(store: LogStore, id: string, workspace?: ReaderScope): Promise<LogDocument> {
  if (!ID_RE.test(id)) {
    throw badRequest('The log id in /v1/logs/{id} must be 1-128 characters of letters, digits, ".", "_", ":" or "-"; use the id field of a log document.', 'id', 'invalid_log_id');
  }
  const found = await store.get(id);
  // Another workspace's document is answered as missing: its existence is not the reader's to learn.
  const doc = found && visibleTo(found, workspace) ? found : undefined;
  if (!doc) {
    throw new GatewayError({
      status: 404,
      code: 'log_not_found',
      param: 'id',
      message: `No log document has id ${id}. Documents appear a few seconds after the request ends (batching); check the id, or retry shortly.`,
    });
  }
  return doc;
}

function parseTime(name: 'from' | 'to', raw: string): Date {
  const v = raw.trim();
  let ms = NaN;
  if (/^\d{1,16}$/.test(v)) ms = Number(v);
  else if (ISO_RE.test(v)) ms = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  if (!Number.isFinite(ms)) {
    throw badRequest(`Query parameter ${name} must be an ISO-8601 time (2026-11-28T16:00:00Z) or epoch milliseconds (got "${v.slice(0, 40)}").`, name, 'invalid_time');
  }
  return new Date(ms);
}

/** Validates ?from&to&limit. from is required; to defaults to now; the range is [from, to). */
export function parseListQuery(params: URLSearchParams, now: number = Date.now()): LogQuery {
  const fromRaw = params.get('from');
  if (fromRaw === null || fromRaw.trim() === '') {
    throw badRequest('Query parameter from is required: GET /v1/logs?from=2026-11-28T16:00:00Z&to=2026-11-28T17:00:00Z', 'from', 'missing_parameter');
  }
  const from = parseTime('from', fromRaw);
  const toRaw = params.get('to');
  const to = toRaw === null || toRaw.trim() === '' ? new Date(now) : parseTime('to', toRaw);
  if (from.getTime() >= to.getTime()) {
    throw badRequest(`from (${from.toISOString()}) must be earlier than to (${to.toISOString()}).`, 'from', 'invalid_range');
  }
  if (to.getTime() - from.getTime() > LIST_MAX_RANGE_MS) {
    throw badRequest(`The range from ${from.toISOString()} to ${to.toISOString()} is longer than 31 days; split the export into smaller ranges.`, 'to', 'range_too_large');
  }
  let limit = LIST_DEFAULT_LIMIT;
  const limitRaw = params.get('limit');
  if (limitRaw !== null && limitRaw.trim() !== '') {
    const n = /^\d+$/.test(limitRaw.trim()) ? Number(limitRaw.trim()) : NaN;
    if (!(n >= 1 && n <= LIST_MAX_LIMIT)) {
      throw badRequest(`Query parameter limit must be an integer from 1 to ${LIST_MAX_LIMIT} (got "${limitRaw.slice(0, 20)}").`, 'limit', 'invalid_limit');
    }
    limit = n;
  }
  return { from, to, limit };
}

/** The reader's documents of a validated query as NDJSON lines (each ends in "\n"), streamed from the store. */
export async function* listLogs(store: LogStore, query: LogQuery, workspace?: ReaderScope): AsyncGenerator<string> {
  if (workspace === undefined) {
    for await (const doc of store.list(query)) yield JSON.stringify(doc) + '\n';
    return;
  }
  // The limit counts the reader's documents, so the store is asked for all in the range and filtered here.
  let left = query.limit ?? Infinity;
  for await (const doc of store.list({ from: query.from, to: query.to })) {
    if (!visibleTo(doc, workspace)) continue;
    yield JSON.stringify(doc) + '\n';
    if (--left <= 0) return;
  }
}
