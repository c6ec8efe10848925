import { GatewayError } from '@portico/contract';

/** The one error shape, shared with the gateway: {"error":{"message","type","param","code"}}. */
export const invalid = (message: string, param: string | null = null, code = 'invalid_request') =>
  new GatewayError({ status: 400, message, param, code, type: 'invalid_request_error' });
export const notFound = (what: string, id: string, param: string | null = null) =>
  new GatewayError({ status: 404, message: `${what} "${id}" was not found in this workspace or organisation; check the id or slug and the workspace_id`, param, code: 'not_found' });
export const conflict = (message: string, param: string | null = null) =>
  new GatewayError({ status: 409, message, param, code: 'conflict', type: 'invalid_request_error' });
export const forbidden = (message: string, code = 'forbidden') => new GatewayError({ status: 403, message, code });
export const unauthorized = (message: string) =>
  new GatewayError({ status: 401, message, code: 'invalid_api_key', headers: { 'www-authenticate': 'Bearer' } });

/** Unique-constraint failures from either database, turned into a 409 by the caller. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
