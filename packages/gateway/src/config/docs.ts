import { SETTINGS, type SettingSpec } from './settings.js';

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

/** docs/providers.md lives with the providers; re-exported for the docs script and the drift test. */
export { renderProvidersDoc } from '../providers/provider-docs.js';
