import { randomUUID } from 'node:crypto';
import { createWorkspaceRow } from '../../src/bootstrap.js';
import type { Database } from '../../src/db/types.js';
import { newScimToken } from '../../src/scim/token.js';

/** What an identity provider does on the wire: plain fetch with SCIM JSON and a bearer token. */
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ScimAnswer {
  status: number;
  type: string | null;
  body: any;
}

export async function scim(base: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimAnswer> {
  const res = await fetch(`${base}/scim/v2${path}`, {
    method,
    headers: { accept: 'application/scim+json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, type: res.headers.get('content-type'), body: parsed };
}

export const userBody = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER], userName, name: { givenName: userName.split('@')[0], familyName: 'Tester' }, emails: [{ primary: true, value: userName, type: 'work' }], displayName: userName.split('@')[0], active: true, ...extra,
});

/** A second organisation (with its default workspace and a SCIM token), made in the database: the API serves one bootstrap organisation. */
export async function secondOrganisation(db: Database): Promise<{ organisationId: string; token: string }> {
  const organisationId = randomUUID();
  const now = new Date().toISOString();
  const t = newScimToken();
  await db.transaction(async (tx) => {
    await tx.run(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, [organisationId, 'Other', now]);
    await createWorkspaceRow(tx, organisationId, { id: randomUUID(), slug: 'default', name: 'Default', isDefault: true });
    await tx.run(`INSERT INTO scim_tokens (id, organisation_id, name, token_hash, created_at) VALUES (?, ?, 'other idp', ?, ?)`, [t.id, organisationId, t.hash, now]);
  });
  return { organisationId, token: t.token };
}
