/**
 * Cost estimate for log documents, from the price table in prices.json (USD per 1M tokens).
 * The table is indexed once at module load; a lookup tries a few normalised spellings of the model
 * name (see README.md) and remembers the result, so the hot path is a Map hit.
 */
import type { Usage } from '../providers/types.js';
import table from './prices.json' with { type: 'json' };

export interface Rates {
  input: number;
  output: number;
  cached_input?: number;
  cache_write?: number;
}
export interface ModelPrice extends Rates {
  /** Rates that apply when prompt_tokens exceeds `above` (Gemini 2.5 Pro, Claude Sonnet 4 1M context). */
  long_context?: Rates & { above: number };
}
interface ProviderEntry {
  models?: Record<string, ModelPrice>;
  same_as?: string[];
  free?: boolean;
}
interface PriceTable {
  _meta: Record<string, string>;
  provider_aliases: Record<string, string>;
  providers: Record<string, ProviderEntry>;
}

export interface CostEstimate {
  usd: number;
  /** false when no price is known for this provider and model (usd is then 0). */
  priced: boolean;
}

const data = table as PriceTable;
export const pricingMeta: Readonly<Record<string, string>> = data._meta;

/** provider id → (normalised model key → price); `null` marks free (self-hosted) providers. */
const index = new Map<string, Map<string, ModelPrice> | null>();

function buildIndex(): void {
  const resolve = (id: string, seen: Set<string>): Map<string, ModelPrice> | null => {
    const entry = data.providers[id];
    if (!entry) throw new Error(`prices.json: provider "${id}" is referenced in same_as but not defined`);
    if (entry.free) return null;
    if (seen.has(id)) throw new Error(`prices.json: same_as cycle through "${id}"`);
    seen.add(id);
    const map = new Map<string, ModelPrice>();
    // Borrowed tables first, so the provider's own models win.
    for (const other of entry.same_as ?? []) for (const [k, v] of resolve(other, seen) ?? []) map.set(k, v);
    for (const [k, v] of Object.entries(entry.models ?? {})) map.set(k.toLowerCase(), v);
    seen.delete(id);
    return map;
  };
  for (const id of Object.keys(data.providers)) index.set(id, resolve(id, new Set()));
}
buildIndex();

const REGION_PREFIX = /^(?:us|eu|apac|ap|us-gov|global|jp|au|ca)\./;
const VENDOR_PREFIX = /^(?:anthropic|meta|amazon|mistral|cohere|deepseek|openai|ai21|writer|qwen)\./;
/** Suffixes that name a version or snapshot of the same priced model, most specific first. */
const SUFFIXES = [
  /:\d+$/, // bedrock ":0"
  /-v\d+(?:\.\d+)?$/, // bedrock "-v1", vertex "-v2"
  /-latest$/,
  /-(?:preview|exp)(?:-[\d-]+)?$/, // gemini "-preview-05-20", openai "-preview"
  /-\d{4}-\d{2}-\d{2}$/, // openai "-2024-08-06"
  /-\d{8}$/, // anthropic "-20241022"
  /-\d{4}$/, // openai "-0613", mistral "-2411"
  /-\d{3}$/, // gemini "-002"
];

/**
 * The spellings tried for a model name, in order: the name as given (lower-cased), then with path,
 * region and vendor prefixes removed, then with version and date suffixes removed one at a time.
 */
export function modelNameCandidates(model: string): string[] {
  const out: string[] = [];
  const push = (s: string) => {
    if (s && !out.includes(s)) out.push(s);
  };
  let m = model.trim().toLowerCase();
  push(m);
  const slash = m.lastIndexOf('/'); // models/x, publishers/google/models/x, ARNs, vendor/x
  if (slash >= 0) push((m = m.slice(slash + 1)));
  if (REGION_PREFIX.test(m)) push((m = m.replace(REGION_PREFIX, '')));
  if (VENDOR_PREFIX.test(m)) push((m = m.replace(VENDOR_PREFIX, '')));
  const at = m.indexOf('@'); // vertex "claude-sonnet-4@20250514"
  if (at > 0) push((m = m.slice(0, at)));
  for (let guard = 0; guard < 8; guard++) {
    const rule = SUFFIXES.find((r) => r.test(m));
    if (!rule) break;
    push((m = m.replace(rule, '')));
  }
  return out;
}

const memo = new Map<string, ModelPrice | null | undefined>();
const MEMO_LIMIT = 5000;

/** The price entry for a provider and model; `null` for free (self-hosted) providers, undefined when unknown. */
export function priceFor(provider: string, model: string): ModelPrice | null | undefined {
  const key = `${provider}\u0000${model}`;
  if (memo.has(key)) return memo.get(key);
  const p = provider.trim().toLowerCase();
  const table = index.get(data.provider_aliases[p] ?? p);
  let found: ModelPrice | null | undefined;
  if (table === null) found = null;
  else if (table) {
    for (const c of modelNameCandidates(model)) {
      found = table.get(c);
      if (found) break;
    }
  }
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, found);
  return found;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/**
 * Estimated USD cost of one call. `prompt_tokens` includes cache reads (prompt_tokens_details.cached_tokens)
 * and cache writes (cache_creation_input_tokens), as the provider mappings report them; each part is
 * priced at its own rate. Reasoning tokens are part of completion_tokens. Never throws.
 */
export function estimateCost(provider: string, model: string, usage: Usage): CostEstimate {
  if (typeof provider !== 'string' || typeof model !== 'string' || typeof usage !== 'object' || usage === null) return { usd: 0, priced: false };
  const price = priceFor(provider, model);
  if (price === null) return { usd: 0, priced: true };
  if (!price) return { usd: 0, priced: false };
  const prompt = count(usage.prompt_tokens);
  const cached = Math.min(count(usage.prompt_tokens_details?.cached_tokens), prompt);
  const written = Math.min(count(usage.cache_creation_input_tokens), prompt - cached);
  const uncached = prompt - cached - written;
  const rates: Rates = price.long_context && prompt > price.long_context.above ? price.long_context : price;
  const usd =
    uncached * rates.input +
    cached * (rates.cached_input ?? rates.input) +
    written * (rates.cache_write ?? rates.input) +
    count(usage.completion_tokens) * rates.output;
  // per-1M rates; round away float noise (1e-10 USD is far below any price)
  return { usd: Math.round(usd / 1e6 * 1e10) / 1e10, priced: true };
}
