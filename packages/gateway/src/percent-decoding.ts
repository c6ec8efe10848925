import { GatewayError } from './errors.js';

/** decodeURIComponent without the URIError: undefined for text that is not valid percent-encoding. */
export function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** A path segment decoded, or a 400 naming `param` when it is not valid percent-encoding. */
export function decodedPathSegment(segment: string, param: string, what: string): string {
  const decoded = percentDecoded(segment);
  if (decoded === undefined) {
    throw new GatewayError({ status: 400, param, code: 'invalid_value', message: `The ${what} in the path is not valid percent-encoding (${segment.slice(0, 64)}); encode it with encodeURIComponent.` });
  }
  return decoded;
}
