import { GatewayError } from '@portico/contract';

/**
 * SCIM's own error shape (RFC 7644 §3.12), which identity providers parse: under /scim/v2 every
 * error, including the server's own (401, 404, 405, 413, 415), is rendered this way instead of the
 * Admin API's {"error":{...}}. A scimType travels in GatewayError's code.
 */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

const SCIM_TYPES = new Set(['invalidFilter', 'tooMany', 'uniqueness', 'mutability', 'invalidSyntax', 'invalidPath', 'noTarget', 'invalidValue', 'invalidVers', 'sensitive']);
export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export const scimError = (status: number, detail: string, scimType?: ScimType) => new GatewayError({ status, message: detail, code: scimType ?? null });
export const scimBad = (detail: string, scimType: ScimType = 'invalidValue') => scimError(400, detail, scimType);
export const scimNotFound = (what: 'User' | 'Group' | 'ResourceType' | 'Schema', id: string) => scimError(404, `${what} ${JSON.stringify(id.slice(0, 100))} not found`);

/** Whether a path belongs to the SCIM service (and so answers in SCIM's error shape). */
export const SCIM_BASE = '/scim/v2';
export const isScimPath = (path: string) => path === SCIM_BASE || path.startsWith(`${SCIM_BASE}/`);

export function scimErrorBody(e: GatewayError): { schemas: string[]; status: string; scimType?: string; detail: string } {
  const scimType = e.code === 'invalid_json' ? 'invalidSyntax' : e.code;
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(e.status), ...(scimType && SCIM_TYPES.has(scimType) ? { scimType } : {}), detail: e.message };
}
