import Mustache from 'mustache';
import type { Sql } from '../db/types.js';
import { invalid } from '../http/errors.js';

/**
 * Prompt and partial templates are Mustache. A template must parse, and every partial it includes
 * ({{>slug}}) must exist in the workspace (or organisation-wide), so the gateway never meets a
 * template it cannot render.
 */
type Token = [string, string, number, number, Token[]?, ...unknown[]];

function partialNames(tokens: Token[], out: Set<string>): Set<string> {
  for (const t of tokens) {
    if (t[0] === '>') out.add(t[1]);
    if (Array.isArray(t[4])) partialNames(t[4] as Token[], out);
  }
  return out;
}

export function templatePartials(template: string, param = 'string'): string[] {
  try {
    return [...partialNames(Mustache.parse(template) as unknown as Token[], new Set())];
  } catch (e) {
    throw invalid(`${param} is not a valid Mustache template: ${(e as Error).message}`, param, 'invalid_template');
  }
}

export async function checkPartials(tx: Sql, organisation: string, workspaceId: string, template: string, param = 'string'): Promise<void> {
  for (const name of templatePartials(template, param)) {
    const row = await tx.get<{ workspace_id: string | null }>(`SELECT workspace_id FROM resources WHERE organisation_id = ? AND kind = 'partial' AND (slug = ? OR id = ?)`, [organisation, name, name]);
    if (!row || (row.workspace_id && row.workspace_id !== workspaceId)) {
      throw invalid(`${param} includes the partial {{>${name}}}, which does not exist in this workspace; create it with POST /v1/prompts/partials or fix the name`, param, 'missing_partial');
    }
  }
}
