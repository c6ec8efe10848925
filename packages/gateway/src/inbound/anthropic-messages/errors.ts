/** GatewayError → Anthropic's error shape, since Anthropic SDK clients of /v1/messages expect it. Pure. */
import type { GatewayError } from '../../errors.js';

/** The error types in the SDK's ErrorResponse schema (413 request_too_large is not among them, so it becomes invalid_request_error). */
const ANTHROPIC_TYPES = new Set([
  'invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error',
  'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error',
]);

export function anthropicErrorType(err: GatewayError): string {
  for (const t of [err.code, err.type]) if (t && ANTHROPIC_TYPES.has(t)) return t;
  const s = err.status;
  if (s === 401) return 'authentication_error';
  if (s === 402) return 'billing_error';
  if (s === 403) return 'permission_error';
  if (s === 404) return 'not_found_error';
  if (s === 408 || s === 504) return 'timeout_error';
  if (s === 429) return 'rate_limit_error';
  if (s === 529) return 'overloaded_error';
  if (s >= 500) return 'api_error';
  return 'invalid_request_error';
}

export interface AnthropicErrorPayload { type: 'error'; error: { type: string; message: string } }

export function toAnthropicErrorBody(err: GatewayError): AnthropicErrorPayload {
  return { type: 'error', error: { type: anthropicErrorType(err), message: err.message } };
}

/** The error response; fields the gateway adds next to "error" (hook_results) come along. */
export function toAnthropicError(err: GatewayError): { status: number; body: AnthropicErrorPayload } {
  return { status: err.status, body: { ...toAnthropicErrorBody(err), ...err.extra } };
}
