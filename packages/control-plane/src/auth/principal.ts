import type { IncomingMessage } from 'node:http';

/**
 * Who is calling. An admin request's principal comes from an API key (x-portkey-api-key, or
 * Authorization: Bearer as the SDKs send it) or from a resolver another module registers (the
 * console's cookie session). Roles rank member < workspace_admin < org_admin.
 */
export type Role = 'member' | 'workspace_admin' | 'org_admin';
export const ROLE_RANK: Record<Role, number> = { member: 1, workspace_admin: 2, org_admin: 3 };

export interface Principal {
  organisationId: string;
  /** org_admin for organisation keys and org admins; otherwise the role comes from workspaceRoles. */
  orgRole: 'org_admin' | 'member';
  /** Set when the principal can act only in one workspace (a workspace key). */
  boundWorkspaceId?: string;
  /** Role per workspace id, for principals that are not org admins. */
  workspaceRoles: Map<string, Role>;
  /** Portkey scopes the principal holds; null means every scope its role allows. */
  scopes: string[] | null;
  actorType: 'api_key' | 'user' | string;
  actorId: string;
  /** The API key's id, when the principal is a key. */
  keyId?: string;
  userId?: string;
}

/** Resolves a request to a principal, or undefined when it carries no credential this resolver knows. */
export type PrincipalResolver = (req: IncomingMessage) => Promise<Principal | undefined>;

export function roleIn(principal: Principal, workspaceId: string): Role | undefined {
  if (principal.orgRole === 'org_admin' && !principal.boundWorkspaceId) return 'org_admin';
  if (principal.boundWorkspaceId && principal.boundWorkspaceId !== workspaceId) return undefined;
  return principal.workspaceRoles.get(workspaceId);
}

export function hasScope(principal: Principal, scope: string | undefined): boolean {
  return !scope || principal.scopes === null || principal.scopes.includes(scope);
}
