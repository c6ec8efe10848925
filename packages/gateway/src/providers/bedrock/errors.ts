/** Bedrock error responses and in-stream exceptions → GatewayError. Pure. */
import { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';
import type { FramedEvent } from '../types.js';
import { isObject } from './wire.js';

/** AWS's own authentication and signing errors (lower-cased), the same from every AWS service. */
export const AWS_AUTH_ERROR_STATUS: Readonly<Record<string, number>> = {
  accessdeniedexception: 403,
  unrecognizedclientexception: 403,
  invalidsignatureexception: 403,
  incompletesignatureexception: 403,
  missingauthenticationtokenexception: 403,
  expiredtokenexception: 403,
};

/** Status per error shape (lower-cased), from the Smithy model's httpError traits plus AWS's auth errors. */
const STATUS_BY_TYPE: Readonly<Record<string, number>> = {
  throttlingexception: 429,
  modelnotreadyexception: 429,
  servicequotaexceededexception: 400,
  validationexception: 400,
  conflictexception: 400,
  ...AWS_AUTH_ERROR_STATUS,
  resourcenotfoundexception: 404,
  modeltimeoutexception: 408,
  modelerrorexception: 424,
  modelstreamerrorexception: 424,
  internalserverexception: 500,
  internalfailure: 500,
  serviceunavailableexception: 503,
  serviceunavailable: 503,
};

/** What the user can do about each error, appended to Bedrock's own message. */
const HINTS: Readonly<Record<string, string>> = {
  throttlingexception: 'slow down, retry with backoff, or ask AWS for a higher Bedrock quota',
  modelnotreadyexception: 'the model is starting; retry shortly',
  accessdeniedexception: 'grant bedrock:InvokeModel (and bedrock:InvokeModelWithResponseStream) on this model to the credentials in use, and enable model access in the Bedrock console',
  unrecognizedclientexception: 'check x-portkey-aws-access-key-id and x-portkey-aws-session-token',
  invalidsignatureexception: 'check x-portkey-aws-secret-access-key and x-portkey-aws-region',
  expiredtokenexception: 'the AWS session token expired; send fresh credentials',
  resourcenotfoundexception: 'check the model id and region (inference profiles such as us.anthropic... exist only in their geography)',
  modeltimeoutexception: 'the model took too long; retry, or lower max_tokens',
};

/** Sanitises an error code per restJson1: drop everything after ':' and before '#'. */
export function bedrockErrorType(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let t = raw.split(':')[0]!;
  const hash = t.indexOf('#');
  if (hash >= 0) t = t.slice(hash + 1);
  t = t.trim();
  return t === '' ? undefined : t;
}

function statusFor(type: string | undefined, fallback: number): number {
  return (type && STATUS_BY_TYPE[type.toLowerCase()]) || fallback;
}

function withHint(message: string, type: string | undefined): string {
  const hint = type ? HINTS[type.toLowerCase()] : undefined;
  return hint ? `${message} (${hint})` : message;
}

/** PascalCase shape name as AWS's HTTP errors spell it, from a stream member name such as throttlingException. */
function shapeName(type: string): string {
  return type.charAt(0).toUpperCase() + type.slice(1);
}

export function mapBedrockError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body);
  const obj = isObject(parsed) ? parsed : {};
  const header = Object.entries(headers).find(([k]) => k.toLowerCase() === 'x-amzn-errortype')?.[1];
  const type = bedrockErrorType(header ?? (typeof obj.__type === 'string' ? obj.__type : typeof obj.code === 'string' ? obj.code : undefined));
  const raw = typeof obj.message === 'string' ? obj.message : typeof obj.Message === 'string' ? obj.Message : body.slice(0, 500);
  const message = type ? `${type}: ${raw}` : raw;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return upstreamError('bedrock', statusFor(type, status), withHint(message, type), { code: type ?? null, headers: retryAfterHeader(lower) });
}

/**
 * A mid-stream exception or error message → GatewayError. `:message-type` exception carries the member
 * name in `:exception-type` and `{"message"}` in the payload; `error` carries `:error-code`/`:error-message`.
 * Returns undefined for ordinary events.
 */
export function bedrockStreamException(ev: FramedEvent): GatewayError | undefined {
  const h = ev.headers ?? {};
  const kind = h[':message-type'];
  if (kind === 'exception') {
    const type = shapeName(h[':exception-type'] ?? 'UnknownException');
    const payload = tryParseJson(ev.data);
    const msg = isObject(payload) && typeof payload.message === 'string' ? payload.message : ev.data.slice(0, 500) || 'no message';
    return upstreamError('bedrock', statusFor(type, 502), withHint(`${type} during the stream: ${msg}`, type), { code: type });
  }
  if (kind === 'error') {
    const type = h[':error-code'] ?? 'UnknownError';
    const msg = h[':error-message'] ?? 'no message';
    return upstreamError('bedrock', statusFor(type, 502), `${type} during the stream: ${msg}`, { code: type });
  }
  return undefined;
}
