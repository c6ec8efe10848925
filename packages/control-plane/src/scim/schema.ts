/**
 * What /scim/v2 says about itself (RFC 7643 §5–7): ServiceProviderConfig, ResourceTypes and
 * Schemas. Identity providers read these to learn that PATCH and filtering work and how many
 * results a page holds; the attribute lists are the ones Portico stores and returns.
 */
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RT_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/** Largest page (count is capped to it, as RFC 7644 §3.4.2.4 allows). */
export const MAX_RESULTS = 200;
export const MAX_OPERATIONS = 100;
/** Members one group may hold. */
export const MAX_GROUP_MEMBERS = 10_000;
export const USER_BODY_LIMIT = 64 * 1024;
export const GROUP_BODY_LIMIT = 1024 * 1024;

type Attr = Record<string, unknown>;
const attr = (name: string, o: Partial<{ type: string; multiValued: boolean; required: boolean; caseExact: boolean; mutability: string; returned: string; uniqueness: string; subAttributes: Attr[]; referenceTypes: string[]; canonicalValues: string[] }> = {}): Attr => ({
  name, type: o.type ?? 'string', multiValued: o.multiValued ?? false, description: '', required: o.required ?? false, caseExact: o.caseExact ?? false,
  mutability: o.mutability ?? 'readWrite', returned: o.returned ?? 'default', uniqueness: o.uniqueness ?? 'none',
  ...(o.subAttributes ? { subAttributes: o.subAttributes } : {}), ...(o.referenceTypes ? { referenceTypes: o.referenceTypes } : {}), ...(o.canonicalValues ? { canonicalValues: o.canonicalValues } : {}),
});
const multi = (name: string, types: string[]) => attr(name, { type: 'complex', multiValued: true, subAttributes: [attr('value'), attr('display'), attr('type', { canonicalValues: types }), attr('primary', { type: 'boolean' })] });

const USER_ATTRIBUTES: Attr[] = [
  attr('userName', { required: true, uniqueness: 'server' }),
  attr('name', { type: 'complex', subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => attr(n)) }),
  ...['displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone'].map((n) => attr(n)),
  attr('profileUrl', { type: 'reference', referenceTypes: ['external'] }),
  attr('active', { type: 'boolean' }),
  attr('password', { mutability: 'writeOnly', returned: 'never' }),
  multi('emails', ['work', 'home', 'other']), multi('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']), multi('ims', []), multi('photos', ['photo', 'thumbnail']),
  attr('addresses', { type: 'complex', multiValued: true, subAttributes: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => attr(n)) }),
  attr('groups', { type: 'complex', multiValued: true, mutability: 'readOnly', subAttributes: [attr('value', { mutability: 'readOnly' }), attr('$ref', { type: 'reference', referenceTypes: ['Group'], mutability: 'readOnly' }), attr('display', { mutability: 'readOnly' })] }),
  multi('entitlements', []), multi('roles', []), multi('x509Certificates', []),
];
const GROUP_ATTRIBUTES: Attr[] = [
  attr('displayName', { required: true, uniqueness: 'server' }),
  attr('members', { type: 'complex', multiValued: true, subAttributes: [attr('value', { mutability: 'immutable' }), attr('$ref', { type: 'reference', referenceTypes: ['User'], mutability: 'immutable' }), attr('display'), attr('type', { canonicalValues: ['User'] })] }),
];
const ENTERPRISE_ATTRIBUTES: Attr[] = [
  ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => attr(n)),
  attr('manager', { type: 'complex', subAttributes: [attr('value'), attr('$ref', { type: 'reference', referenceTypes: ['User'] }), attr('displayName', { mutability: 'readOnly' })] }),
];

/** Top-level attributes a User body may carry (lower-case → canonical name); anything else is refused by name. */
export const USER_ATTRIBUTE_NAMES = new Map([...USER_ATTRIBUTES.map((a) => a.name as string), 'id', 'externalId', 'meta', 'schemas'].map((n) => [n.toLowerCase(), n]));
export const GROUP_ATTRIBUTE_NAMES = new Map([...GROUP_ATTRIBUTES.map((a) => a.name as string), 'id', 'externalId', 'meta', 'schemas'].map((n) => [n.toLowerCase(), n]));

const meta = (base: string, resourceType: string, path: string) => ({ resourceType, location: `${base}/${path}` });

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A SCIM token an organisation admin creates with POST /v1/admin/scim-tokens', primary: true }],
    meta: meta(base, 'ServiceProviderConfig', 'ServiceProviderConfig'),
  };
}

export function resourceTypes(base: string) {
  return [
    { schemas: [RT_SCHEMA], id: 'User', name: 'User', endpoint: '/Users', description: 'A member of the organisation', schema: USER_SCHEMA, schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }], meta: meta(base, 'ResourceType', 'ResourceTypes/User') },
    { schemas: [RT_SCHEMA], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A group whose members a mapping (POST /v1/scim/workspaces) makes workspace members', schema: GROUP_SCHEMA, meta: meta(base, 'ResourceType', 'ResourceTypes/Group') },
  ];
}

export function schemas(base: string) {
  return [
    { schemas: [SCHEMA_SCHEMA], id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES, meta: meta(base, 'Schema', `Schemas/${USER_SCHEMA}`) },
    { schemas: [SCHEMA_SCHEMA], id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES, meta: meta(base, 'Schema', `Schemas/${GROUP_SCHEMA}`) },
    { schemas: [SCHEMA_SCHEMA], id: ENTERPRISE_USER_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User', attributes: ENTERPRISE_ATTRIBUTES, meta: meta(base, 'Schema', `Schemas/${ENTERPRISE_USER_SCHEMA}`) },
  ];
}
