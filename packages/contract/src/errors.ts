/**
 * The one error type of the gateway. Every failure that reaches a client is a GatewayError,
 * rendered in OpenAI's error shape: {"error":{"message","type","param","code"}}.
 * Messages are written for the user: what went wrong and how to fix it.
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'upstream_error'
  | 'server_error';

export interface GatewayErrorInit {
  status: number;
  message: string;
  type?: ErrorType | string;
  code?: string | null;
  param?: string | null;
  /** Extra response headers, such as Retry-After. */
  headers?: Record<string, string>;
  /** Provider that produced the error, when it came from upstream. */
  provider?: string;
  /** False when retrying within the same request cannot help (the gateway's own limits). Default true. */
  retryable?: boolean;
  /** Top-level fields next to "error" in the body, such as Portkey's hook_results. */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  readonly provider?: string;
  readonly retryable: boolean;
  readonly extra?: Record<string, unknown>;

  constructor(init: GatewayErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayError';
    this.status = init.status;
    this.type = init.type ?? defaultType(init.status);
    this.code = init.code ?? null;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
    this.provider = init.provider;
    this.retryable = init.retryable ?? true;
    this.extra = init.extra;
  }

  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code }, ...this.extra };
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 408) return 'timeout_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError({ status: 400, message, param, code, type: 'invalid_request_error' });

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}
