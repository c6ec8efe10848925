import type { GatewayError } from '../../errors.js';
import { retryAfterHeader, tryParseJson, upstreamError } from '../upstream-error.js';

/** Ollama errors are {"error": "..."}; a 404 for a model means it was never pulled on that host. */
export function mapOllamaError(status: number, body: string, headers: Record<string, string>): GatewayError {
  const parsed = tryParseJson(body) as { error?: unknown } | undefined;
  let message = typeof parsed?.error === 'string' ? parsed.error : body.trim().slice(0, 500);
  if (status === 404 && /model .*not found/i.test(message)) {
    message += '. Pull it on the Ollama host (`ollama pull <model>`) or check the model name.';
  }
  if (!message && status === 401) message = 'unauthorized; check the API key sent to this Ollama host.';
  return upstreamError('ollama', status, message, { headers: retryAfterHeader(headers) });
}
