import type { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

const HINTS: Record<number, string> = {
  401: 'Check the Cohere API key.',
  402: 'The Cohere account reached its billing limit; add or update its payment method.',
  404: 'Check the model name and that this key can use it.',
  429: 'Cohere rate limit reached; retry later or use a production key.',
  499: 'The request was cancelled before Cohere finished; retry it.',
};

/** Cohere errors are {"message": "..."} (sometimes with an id); the status is kept. */
export function mapCohereError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body) as { message?: unknown } | undefined;
  let message = typeof parsed?.message === 'string' ? parsed.message : body.trim().slice(0, 500);
  const hint = HINTS[status];
  if (hint && !message.includes(hint)) message = message ? `${message}. ${hint}` : hint;
  return upstreamError('cohere', status, message, { headers: retryAfterHeader(headers) });
}
