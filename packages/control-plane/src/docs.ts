import { GATEWAY_SCOPE_OF } from './auth/scopes.js';
import { ENV_DOCS } from './env.js';
import type { Route } from './http/router.js';
import { allRoutes } from './routes/index.js';

/**
 * The generated parts of docs/control-plane.md: the API table (from the route table), the
 * environment table and the scope mapping. scripts/gen-docs.ts writes them; a test fails when the
 * document drifts from the code.
 */
const who = (r: Route) => {
  const a = r.access;
  if (a.kind === 'public') return 'anyone';
  if (a.kind === 'client') return 'gateway (client-auth key)';
  if (a.kind === 'scim') return 'identity provider (SCIM token)';
  const role = a.role === 'org_admin' ? 'org admin' : a.role === 'workspace_admin' ? 'workspace admin' : 'member';
  return `${role}${a.scope ? ` · \`${a.scope}\`` : ''}`;
};

export function apiTable(): string {
  const rows = allRoutes().map((r) => `| \`${r.method}\` | \`${r.path.replace(/:([A-Za-z-]+)/g, '{$1}')}\` | ${who(r)} | ${r.summary.replace(/\|/g, '\\|')} |`);
  return ['| Method | Path | Who (role · scope) | What |', '|---|---|---|---|', ...rows].join('\n');
}

export function envTable(): string {
  return ['| Variable | Default | What |', '|---|---|---|', ...ENV_DOCS.map(([n, d, w]) => `| \`${n}\` | ${d} | ${w} |`)].join('\n');
}

export function scopeTable(): string {
  const byGateway = new Map<string, string[]>();
  for (const [portkey, gateway] of Object.entries(GATEWAY_SCOPE_OF)) byGateway.set(gateway, [...(byGateway.get(gateway) ?? []), portkey]);
  const what: Record<string, string> = {
    completions: 'chat, completions, embeddings, responses, messages, prompt completions and render, files, batches, every pass-through path',
    logs: 'GET /v1/logs and /v1/logs/{id} (log documents with bodies)',
  };
  return ['| Portkey scope(s) | Gateway scope | Lets the key call |', '|---|---|---|', ...[...byGateway].map(([g, ps]) => `| ${ps.map((p) => `\`${p}\``).join(', ')} | \`${g}\` | ${what[g] ?? ''} |`)].join('\n');
}

export const SECTIONS: Record<string, () => string> = { 'api-table': apiTable, 'env-table': envTable, 'scope-table': scopeTable };

/** Replaces each <!-- name:start --> … <!-- name:end --> block with its generated text. */
export function render(doc: string): string {
  let out = doc;
  for (const [name, make] of Object.entries(SECTIONS)) {
    const re = new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(out)) throw new Error(`docs/control-plane.md lacks the ${name} markers`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}\n${make()}\n${b}`);
  }
  return out;
}
