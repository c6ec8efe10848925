/**
 * multipart/form-data encoding (RFC 7578) for providers whose APIs take form fields instead of JSON
 * (Stability AI's v2 image APIs). Text fields only: names and values are UTF-8, and a value may not
 * contain the boundary, which is random and long enough that a prompt cannot carry it by chance; a
 * value that does is refused rather than sent broken. Pure apart from the random boundary.
 */
import { randomBytes } from 'node:crypto';
import { badRequest } from '../errors.js';

export interface MultipartBody {
  contentType: string;
  body: Uint8Array;
}

const quoteName = (name: string) => name.replace(/["\r\n]/g, (c) => encodeURIComponent(c));

export function encodeMultipart(fields: Array<[name: string, value: string]>, boundary = `----portico${randomBytes(16).toString('hex')}`): MultipartBody {
  const parts: string[] = [];
  for (const [name, value] of fields) {
    if (value.includes(boundary)) throw badRequest(`the ${name} field contains the form boundary; change its text`, name);
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${quoteName(name)}"\r\n\r\n${value}\r\n`);
  }
  parts.push(`--${boundary}--\r\n`);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: new TextEncoder().encode(parts.join('')) };
}
