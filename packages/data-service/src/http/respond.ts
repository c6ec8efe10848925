import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '@portico/contract';

export { GatewayError };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, e: GatewayError): void {
  sendJson(res, e.status, e.toBody(), e.headers);
}

export const notFound = (what: string, id: string, param = 'id') =>
  new GatewayError({ status: 404, code: 'not_found', param, message: `No ${what} with id "${id}" in your workspace.` });

export const invalid = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError({ status: 400, type: 'invalid_request_error', code, param, message });

/** Reads a JSON object body, bounded; empty bodies read as {}. */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.destroy();
      throw new GatewayError({ status: 413, code: 'body_too_large', message: `The JSON body is over ${maxBytes} bytes; send a smaller one.` });
    }
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    throw invalid(`The body is not valid JSON: ${(e as Error).message}`, null, 'invalid_json');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('The body must be a JSON object.', null, 'invalid_json');
  return value as Record<string, unknown>;
}

/** Refuses fields a handler does not know, by name (never silently ignored). */
export function refuseUnknown(body: Record<string, unknown>, known: readonly string[], where = 'body'): void {
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw invalid(`Unknown field "${key}" in the ${where}; accepted: ${known.join(', ')}.`, key, 'unknown_parameter');
  }
}

export function queryOf(url: string): URLSearchParams {
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

export function refuseUnknownQuery(q: URLSearchParams, known: readonly string[]): void {
  for (const key of q.keys()) {
    if (!known.includes(key)) throw invalid(`Unknown query parameter "${key}"; accepted: ${known.join(', ') || 'none'}.`, key, 'unknown_parameter');
  }
}

export function limitParam(q: URLSearchParams, def = 20, max = 100): number {
  const raw = q.get('limit');
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalid(`limit must be an integer from 1 to ${max} (got "${raw}").`, 'limit');
  return n;
}
