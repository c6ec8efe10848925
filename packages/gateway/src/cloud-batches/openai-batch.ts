/**
 * OpenAI's batch file and batch object shapes, shared by the clouds' batch translations (Bedrock,
 * Vertex AI). Pure: parsing an input line, building an output line, the list shape.
 */
import { parseBatchLine, type OpenAIBatchLine as BatchInputLine, type OpenAIBatchObject } from '@portico/contract';
import { badRequest } from '../errors.js';
import type { JsonObject } from '../providers/types.js';

export const BATCH_LINE_URLS = ['/v1/chat/completions', '/v1/embeddings'] as const;

/** One line of an OpenAI batch input file, as the clouds' batches take it (chat and embeddings). */
export type OpenAIBatchLine = BatchInputLine & { url: (typeof BATCH_LINE_URLS)[number]; body: JsonObject };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks one input line (contract's parseBatchLine); errors name the line (1-based) and what to fix. */
export function parseOpenAIBatchLine(text: string, lineNo: number): OpenAIBatchLine {
  const parsed = parseBatchLine(text, BATCH_LINE_URLS);
  if ('problem' in parsed) throw badRequest(`Line ${lineNo} of the batch file: ${parsed.problem}.`, 'file', 'invalid_batch_line');
  return parsed.line as OpenAIBatchLine;
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

export type { OpenAIBatchStatus } from '@portico/contract';

/** OpenAI's Batch object (contract's); the clouds fill what they know, null for the rest. */
export interface OpenAIBatch extends OpenAIBatchObject {
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
