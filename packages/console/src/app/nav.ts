import type { Session } from '../api/types.js';

export interface NavItem {
  id: string;
  label: string;
  /** Roles that see the item; the API enforces the same rules, this only hides what would be refused. */
  roles: Session['role'][];
}

const ALL: Session['role'][] = ['org_admin', 'workspace_admin', 'member'];
const ADMINS: Session['role'][] = ['org_admin', 'workspace_admin'];

export const NAV: NavItem[] = [
  { id: 'overview', label: 'Overview', roles: ALL },
  { id: 'logs', label: 'Logs', roles: ALL },
  { id: 'keys', label: 'API keys', roles: ADMINS },
  { id: 'credentials', label: 'Credentials', roles: ADMINS },
  { id: 'configs', label: 'Configs', roles: ALL },
  { id: 'prompts', label: 'Prompts', roles: ALL },
  { id: 'guardrails', label: 'Guardrails', roles: ADMINS },
  { id: 'workspaces', label: 'Workspaces', roles: ADMINS },
  { id: 'exports', label: 'Exports', roles: ALL },
];

/** Screens reached from another screen rather than the menu, and whose rules they follow. */
const UNDER: Record<string, string> = { traces: 'logs', account: 'overview' };

export function canSee(session: Session, id: string): boolean {
  const navId = UNDER[id] ?? id;
  return NAV.find((n) => n.id === navId)?.roles.includes(session.role) ?? false;
}

/** Admins (org or workspace) may change management entities; members only read. */
export function canEdit(session: Session): boolean {
  return session.role !== 'member';
}
