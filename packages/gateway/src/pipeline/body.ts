import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors.js';
import { startUpload, type StreamedUpload } from './upload.js';

/**
 * Reads the request body up to `limit` bytes; 413 beyond it. Never buffers more than the limit.
 * With `uploadLimit`, a larger body is not refused: it becomes a StreamedUpload (up to `uploadLimit`
 * bytes), sent to the upstream as it arrives instead of being held in memory.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer>;
export async function readBody(req: IncomingMessage, limit: number, uploadLimit: number | undefined): Promise<Buffer | StreamedUpload>;
export async function readBody(req: IncomingMessage, limit: number, uploadLimit?: number): Promise<Buffer | StreamedUpload> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    if (uploadLimit !== undefined) return startUpload(req, declared, uploadLimit);
    req.resume();
    throw tooLarge(limit);
  }
  // A body that came with its headers is buffered by the next microtask: all `content-length` bytes
  // are taken in one read instead of waiting for flowing-mode 'data' and 'end' events, ticks later.
  await undefined;
  if (Number.isFinite(declared) && req.readableLength === declared) {
    if (declared === 0) return EMPTY;
    const whole = req.read() as Buffer | null;
    if (whole && whole.length === declared) return whole;
    if (whole) req.unshift(whole);
  }
  return readStreaming(req, limit, uploadLimit);
}

const EMPTY = Buffer.alloc(0);

function readStreaming(req: IncomingMessage, limit: number, uploadLimit?: number): Promise<Buffer | StreamedUpload> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit && uploadLimit !== undefined) {
        // No length was declared and the body outgrew memory: stream it, starting with what was read.
        req.pause();
        req.off('data', onData).off('end', onEnd).off('error', onError);
        chunks.push(chunk);
        resolve(startUpload(req, undefined, uploadLimit, chunks));
        return;
      }
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      if (!failed) {
        failed = true;
        reject(new GatewayError({ status: 400, code: 'request_aborted', message: `The request body could not be read (${err.message}).` }));
      }
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError({ status: 413, code: 'request_too_large', message: `Request body is larger than the gateway's limit of ${limit} bytes; send a smaller body or raise MAX_BODY_BYTES.` });
}

/** MAX_BODY_DEPTH's default: far past any real request, far short of what recursion downstream survives. */
export const DEFAULT_MAX_BODY_DEPTH = 400;

/**
 * Whether JSON text nests objects and arrays deeper than `max`. One pass over the bytes, before parsing,
 * so a body 5,000 levels deep is refused before anything walks it recursively.
 */
export function jsonNestsDeeperThan(raw: Buffer, max: number): boolean {
  // Fewer brackets than the bound cannot exceed it.
  if (raw.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses a JSON body of an inference endpoint: must be application/json, a JSON object, and at most `maxDepth` deep. */
export function parseJsonBody(raw: Buffer, contentType: string | undefined, maxDepth = DEFAULT_MAX_BODY_DEPTH): Record<string, unknown> {
  const type = contentType === 'application/json' ? contentType : (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new GatewayError({ status: 415, code: 'unsupported_media_type', message: `Content-Type must be application/json (got ${type ? `"${type}"` : 'none'}).` });
  }
  if (raw.length === 0) throw new GatewayError({ status: 400, code: 'empty_body', message: 'Request body is empty; send a JSON object.' });
  if (jsonNestsDeeperThan(raw, maxDepth)) {
    throw new GatewayError({ status: 400, code: 'body_too_deep', message: `Request body nests objects and arrays more than ${maxDepth} levels deep; flatten it (the bound is MAX_BODY_DEPTH).` });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new GatewayError({ status: 400, code: 'invalid_json', message: `Request body is not valid JSON: ${(e as Error).message}.` });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new GatewayError({ status: 400, code: 'invalid_json', message: 'Request body must be a JSON object.' });
  }
  return value as Record<string, unknown>;
}
