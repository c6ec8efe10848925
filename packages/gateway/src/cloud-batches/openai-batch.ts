/**
 * OpenAI's batch file and batch object shapes, shared by the clouds' batch translations (Bedrock,
 * Vertex AI). Pure: parsing an input line, building an output line, the list shape.
 */
import { badRequest } from '../errors.js';
import type { JsonObject } from '../providers/types.js';

/** One line of an OpenAI batch input file: {custom_id, method: "POST", url, body}. */
export interface OpenAIBatchLine {
  custom_id: string;
  method: 'POST';
  url: '/v1/chat/completions' | '/v1/embeddings';
  body: JsonObject;
}

export const BATCH_LINE_URLS = ['/v1/chat/completions', '/v1/embeddings'] as const;
const LINE_FIELDS = new Set(['custom_id', 'method', 'url', 'body']);
const CUSTOM_ID_MAX = 512;

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks one input line; errors name the line (1-based) and what to fix. */
export function parseOpenAIBatchLine(text: string, lineNo: number): OpenAIBatchLine {
  const at = `Line ${lineNo} of the batch file`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw badRequest(`${at} is not valid JSON; each line must be one JSON object {"custom_id","method","url","body"}.`, 'file', 'invalid_batch_line');
  }
  if (!isObject(v)) throw badRequest(`${at} is not a JSON object.`, 'file', 'invalid_batch_line');
  for (const k of Object.keys(v)) if (!LINE_FIELDS.has(k)) throw badRequest(`${at} has the unknown field "${k}"; a line holds custom_id, method, url and body only.`, 'file', 'invalid_batch_line');
  if (typeof v.custom_id !== 'string' || v.custom_id === '' || v.custom_id.length > CUSTOM_ID_MAX) {
    throw badRequest(`${at}: custom_id must be a non-empty string of at most ${CUSTOM_ID_MAX} characters.`, 'file', 'invalid_batch_line');
  }
  if (v.method !== 'POST') throw badRequest(`${at}: method must be "POST".`, 'file', 'invalid_batch_line');
  if (typeof v.url !== 'string' || !(BATCH_LINE_URLS as readonly string[]).includes(v.url)) {
    throw badRequest(`${at}: url must be ${BATCH_LINE_URLS.join(' or ')} (got ${JSON.stringify(v.url)?.slice(0, 80)}).`, 'file', 'invalid_batch_line');
  }
  if (!isObject(v.body)) throw badRequest(`${at}: body must be a JSON object (the request for url).`, 'file', 'invalid_batch_line');
  return v as unknown as OpenAIBatchLine;
}

/** One line of an OpenAI batch output (or error) file. */
export interface OpenAIBatchOutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string; body: unknown } | null;
  error: { code: string; message: string } | null;
}

export function outputLine(id: string, customId: string, statusCode: number, body: unknown): OpenAIBatchOutputLine {
  return { id, custom_id: customId, response: { status_code: statusCode, request_id: id, body }, error: null };
}

export function errorLine(id: string, customId: string, code: string, message: string, statusCode?: number): OpenAIBatchOutputLine {
  // OpenAI keeps the provider's answer in response when there was one; an error code alone otherwise.
  return {
    id, custom_id: customId,
    response: statusCode ? { status_code: statusCode, request_id: id, body: { error: { message, type: 'invalid_request_error', param: null, code } } } : null,
    error: { code, message },
  };
}

/** OpenAI's batch statuses. */
export type OpenAIBatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** OpenAI's Batch object; the clouds fill what they know, null for the rest. */
export interface OpenAIBatch {
  id: string;
  object: 'batch';
  endpoint: string;
  errors: { object: 'list'; data: Array<{ code: string; message: string; param: string | null; line: number | null }> } | null;
  input_file_id: string;
  completion_window: string;
  status: OpenAIBatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number | null;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  /** Portkey's addition: the provider's own status and job, for diagnosis. */
  provider_status?: string;
  model?: string;
  [k: string]: unknown;
}

/** Seconds since the epoch of an ISO time, or null. */
export function epochSeconds(iso: unknown): number | null {
  if (typeof iso !== 'string' || iso === '') return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/** The fields a cloud batches.create accepts; anything else is refused by name. */
export function refuseUnknownFields(body: JsonObject, allowed: readonly string[], provider: string): void {
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw badRequest(`${provider} batches: unknown field "${k}"; accepted fields are ${allowed.join(', ')}.`, k, 'unsupported_parameter');
  }
}

/** `metadata`: at most 16 string pairs, as OpenAI allows. */
export function checkMetadata(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw badRequest('metadata must be an object of strings.', 'metadata');
  const entries = Object.entries(v);
  if (entries.length > 16) throw badRequest('metadata may hold at most 16 keys.', 'metadata');
  for (const [k, val] of entries) {
    if (typeof val !== 'string' || k.length > 64 || val.length > 512) throw badRequest(`metadata.${k.slice(0, 64)} must be a string of at most 512 characters (keys at most 64).`, 'metadata');
  }
  return v as Record<string, string>;
}

/**
 * A cloud object or job id as it comes in a path segment. Ids are Portkey's: the percent-encoded
 * s3:// / gs:// URI or job ARN, which the openai SDK encodes once more; so decode at most twice.
 */
export function decodeId(segment: string, param: string): string {
  let id = segment;
  try {
    for (let i = 0; i < 2 && /%[0-9A-Fa-f]{2}/.test(id); i++) id = decodeURIComponent(id);
  } catch {
    throw badRequest(`${param} "${segment.slice(0, 80)}" is not correctly percent-encoded.`, param);
  }
  return id;
}
