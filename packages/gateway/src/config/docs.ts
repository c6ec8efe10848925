import { SETTINGS, type SettingSpec } from './settings.js';
import type { Provider } from '../providers/types.js';

/** docs/environment.md, generated from the settings table so the two cannot drift. */
export function renderEnvironmentDoc(): string {
  const lines = [
    '# Environment variables',
    '',
    'Generated from `packages/gateway/src/config/settings.ts` by `npm run docs -w @portico/gateway`; a test fails when this file is stale.',
    'The gateway rejects a bad value at start, naming the variable.',
    '',
    '| Variable | Default | Allowed | Description |',
    '|---|---|---|---|',
  ];
  let group = '';
  for (const s of SETTINGS as readonly SettingSpec[]) {
    if (s.group !== group) {
      group = s.group;
      lines.push(`| **${group}** | | | |`);
    }
    const allowed = s.values ? s.values.map((v) => `\`${v}\``).join(', ') : s.kind === 'int' ? `integer${s.min !== undefined ? ` ≥ ${s.min}` : ''}` : s.kind === 'secret' ? 'secret' : s.kind;
    lines.push(`| \`${s.name}\` | ${s.default ? `\`${s.default}\`` : '—'} | ${allowed} | ${s.description.replace(/\|/g, '\\|')} |`);
  }
  return lines.join('\n') + '\n';
}

/** docs/providers.md: what each provider supports, generated from the provider objects themselves. */
export function renderProvidersDoc(providers: Provider[]): string {
  const yes = (b: boolean) => (b ? 'yes' : '—');
  const lines = [
    '# Providers and capabilities',
    '',
    'Generated from the provider objects in `packages/gateway/src/providers/` by `npm run docs -w @portico/gateway`; a test fails when this file is stale.',
    'Endpoints marked *native* pass the body through unparsed; the others are translated through OpenAI chat.',
    'A request for an operation a provider lacks gets a 400 naming the provider and the operation.',
    '',
    '| Provider id | Name | Endpoints | Streaming | Tools | Vision | Embeddings | Auth |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const p of [...providers].sort((a, b) => a.id.localeCompare(b.id))) {
    const native = new Set(p.nativeOperations ?? []);
    // The call stage serves messages and responses for any provider with chat, by translation.
    const ops = new Set([...p.capabilities.endpoints, ...(p.chat ? (['messages', 'responses'] as const) : [])]);
    const endpoints = [...ops].map((e) => (native.has(e) ? `${e} (native)` : e)).join(', ');
    const c = p.capabilities;
    lines.push(`| \`${p.id}\` | ${p.name} | ${endpoints} | ${yes(c.streaming)} | ${yes(c.tools)} | ${yes(c.vision)} | ${yes(c.embeddings)} | ${c.auth.join(', ')} |`);
  }
  return lines.join('\n') + '\n';
}
