import { LEFT_OUT_REASONS, PORTKEY_PROVIDER_IDS } from './portkey-ids.js';
import type { Provider } from './types.js';
import { CLOUD_BATCH_SERVICES } from '../cloud-batches/providers.js';

/** docs/providers.md: what each provider supports, and where each of Portkey's ids stands, from the provider objects themselves. */
export function renderProvidersDoc(providers: Provider[]): string {
  const yes = (b: boolean) => (b ? 'yes' : '—');
  const ids = new Set(providers.map((p) => p.id));
  const served = PORTKEY_PROVIDER_IDS.filter((id) => ids.has(id));
  const lines = [
    '# Providers and capabilities',
    '',
    'Generated from the provider objects in `packages/gateway/src/providers/` by `npm run docs -w @portico/gateway`; a test fails when this file is stale.',
    'Endpoints marked *native* pass the body through unparsed; the others are translated through OpenAI chat.',
    'A request for an operation a provider lacks gets a 400 naming the provider and the operation.',
    'Other `/v1/*` paths (files, batches, audio, images, models) pass through to providers marked `passthrough`, to the same base URL.',
    `\`files, batches\` marks the providers whose own storage and batch APIs serve OpenAI's Files and Batch APIs, translated: ${Object.entries(CLOUD_BATCH_SERVICES).map(([id, what]) => `\`${id}\`: ${what}`).join('; ')} (docs/data-service.md, "Batches on a cloud's own batch API").`,
    '',
    '| Provider id | Name | Endpoints | Streaming | Tools | Vision | Embeddings | Auth | Upstream |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const p of [...providers].sort((a, b) => a.id.localeCompare(b.id))) {
    const native = new Set(p.nativeOperations ?? []);
    // The call stage serves messages and responses for any provider with chat, by translation.
    const ops = new Set([...p.capabilities.endpoints, ...(p.chat ? (['messages', 'responses'] as const) : [])]);
    const endpoints = [...[...ops].map((e) => (native.has(e) ? `${e} (native)` : e)), ...(CLOUD_BATCH_SERVICES[p.id] ? ['files, batches'] : [])].join(', ');
    const c = p.capabilities;
    lines.push(`| \`${p.id}\` | ${p.name} | ${endpoints} | ${yes(c.streaming)} | ${yes(c.tools)} | ${yes(c.vision)} | ${yes(c.embeddings)} | ${c.auth.join(', ')} | ${(c.upstream ?? '—').replace(/\|/g, '\\|')} |`);
  }
  lines.push(
    '',
    "## Portkey's provider ids",
    '',
    `Portkey's open-source gateway accepts ${PORTKEY_PROVIDER_IDS.length} ids as \`x-portkey-provider\` (its \`VALID_PROVIDERS\`, which includes \`portkey\` itself). ` +
      `${served.length} of them are served here; the rest are listed with the reason.`,
    '',
    '| Portkey id | Served | Reason when not |',
    '|---|---|---|',
  );
  for (const id of [...PORTKEY_PROVIDER_IDS].sort()) {
    lines.push(`| \`${id}\` | ${ids.has(id) ? 'yes' : 'no'} | ${ids.has(id) ? '' : LEFT_OUT_REASONS[id] ?? 'NOT EXPLAINED'} |`);
  }
  const extra = [...ids].filter((id) => !(PORTKEY_PROVIDER_IDS as readonly string[]).includes(id)).sort();
  if (extra.length) lines.push('', `Served here but not in Portkey's list: ${extra.map((id) => `\`${id}\``).join(', ')}.`);
  return lines.join('\n') + '\n';
}
