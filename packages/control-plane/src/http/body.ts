import type { IncomingMessage } from 'node:http';
import { GatewayError } from '@portico/contract';
import { invalid } from './errors.js';

/** Reads a JSON body up to `limit` bytes: its value and text. An empty body is undefined; anything else must parse. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<{ value: unknown; text: string } | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new GatewayError({ status: 413, code: 'body_too_large', message: `The request body is ${declared} bytes; this endpoint takes at most ${limit}` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GatewayError({ status: 413, code: 'body_too_large', message: `The request body is over ${limit} bytes, the most this endpoint takes` });
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (!/json/i.test(type)) throw new GatewayError({ status: 415, code: 'unsupported_media_type', message: `Send the body as JSON with Content-Type: application/json (got ${type.slice(0, 60)})` });
  try {
    return { value: JSON.parse(text), text };
  } catch (e) {
    throw invalid(`The body is not valid JSON (${(e as Error).message}); send a JSON object`, null, 'invalid_json');
  }
}
