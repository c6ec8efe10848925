import type { GatewayKey } from '@portico/contract';
import { GatewayError } from '@portico/contract';

/** Who is calling: the key's id, scopes and workspace (none for an organisation-level key). */
export interface Principal {
  keyId: string;
  organisation?: string;
  /** Absent: organisation-level, may read every workspace. */
  workspace?: string;
  scopes: string[];
  /** The presented key, kept only in memory to call the gateway on the caller's behalf. */
  apiKey?: string;
  /** The key's default routing config, which the gateway applies when a request names none. */
  defaultConfig?: string;
}

export function principalOf(key: GatewayKey, apiKey: string): Principal {
  return { keyId: key.id, organisation: key.organisation, workspace: key.workspace, scopes: key.scopes?.length ? key.scopes : ['completions'], apiKey, defaultConfig: key.defaults?.config };
}

/** Embedded mode (no control plane): everyone is organisation-level, with every scope. */
export function openPrincipal(apiKey?: string): Principal {
  return { keyId: 'embedded', scopes: ['completions', 'logs', 'admin'], apiKey };
}

export function requireScope(p: Principal, scope: string): void {
  if (p.scopes.includes(scope) || p.scopes.includes('admin')) return;
  throw new GatewayError({ status: 403, code: 'missing_scope', message: `This API key lacks the "${scope}" scope needed here; use a key that has it.` });
}

/** Whether a resource of `workspace` is visible to the caller. */
export function canSee(p: Principal, workspace: string | undefined | null): boolean {
  return p.workspace === undefined || p.workspace === (workspace ?? undefined);
}
