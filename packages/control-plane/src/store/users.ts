import { randomUUID } from 'node:crypto';
import type { Sql } from '../db/types.js';

/**
 * Users join through invites. acceptInvite is what a sign-in flow (the console's OIDC login) calls
 * when someone with a pending invite signs in: it makes the user, with the invite's organisation
 * role and workspace memberships, in one transaction.
 */
export interface InviteRow {
  id: string;
  organisation_id: string;
  email: string;
  role: string;
  workspaces: string;
  status: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
}

export async function acceptInvite(tx: Sql, organisation: string, email: string, names: { first_name?: string; last_name?: string } = {}): Promise<string | undefined> {
  const invite = await tx.get<InviteRow>(
    `SELECT * FROM invites WHERE organisation_id = ? AND lower(email) = lower(?) AND status = 'pending' AND expires_at > ? ORDER BY created_at DESC`,
    [organisation, email, new Date().toISOString()],
  );
  if (!invite) return undefined;
  const now = new Date().toISOString();
  const existing = await tx.get<{ id: string }>(`SELECT id FROM users WHERE organisation_id = ? AND lower(email) = lower(?)`, [organisation, email]);
  const userId = existing?.id ?? randomUUID();
  if (!existing) {
    await tx.run(`INSERT INTO users (id, organisation_id, email, first_name, last_name, role, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [userId, organisation, invite.email, names.first_name ?? null, names.last_name ?? null, invite.role, now, now]);
  }
  for (const w of JSON.parse(invite.workspaces) as Array<{ id: string; role: string }>) {
    await tx.run(`DELETE FROM workspace_members WHERE workspace_id = ? AND user_id = ?`, [w.id, userId]);
    await tx.run(`INSERT INTO workspace_members (workspace_id, user_id, role, created_at, last_updated_at) VALUES (?, ?, ?, ?, ?)`, [w.id, userId, w.role, now, now]);
  }
  await tx.run(`UPDATE invites SET status = 'accepted' WHERE id = ?`, [invite.id]);
  return userId;
}
