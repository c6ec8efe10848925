import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { estimateCost, modelNameCandidates, priceFor, pricingMeta } from '../../src/pricing/index.js';
import type { Usage } from '../../src/providers/types.js';

const M = 1_000_000;
const usage = (prompt: number, completion: number, extra: Partial<Usage> = {}): Usage => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, ...extra });

interface Rates { input: number; output: number; cached_input?: number; cache_write?: number; above?: number }
interface Table { _meta: Record<string, string>; provider_aliases: Record<string, string>; providers: Record<string, { models?: Record<string, Rates & { long_context?: Rates }>; same_as?: string[]; free?: boolean }> }
const raw = JSON.parse(fs.readFileSync(new URL('../../src/pricing/prices.json', import.meta.url), 'utf8')) as Table;

describe('prices.json', () => {
  it('has a dated source note', () => {
    expect(pricingMeta.unit).toMatch(/per 1,000,000 tokens/);
    expect(pricingMeta.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(pricingMeta.source).toMatch(/openai\.com/);
  });

  it('is well formed: non-negative rates, cache reads cheaper than input, references resolve', () => {
    const problems: string[] = [];
    const checkRates = (where: string, r: Rates) => {
      for (const k of ['input', 'output'] as const) if (typeof r[k] !== 'number' || !(r[k] >= 0)) problems.push(`${where}.${k} must be a number >= 0`);
      if (r.cached_input !== undefined && !(r.cached_input >= 0 && r.cached_input <= r.input)) problems.push(`${where}.cached_input must be between 0 and input`);
      if (r.cache_write !== undefined && !(r.cache_write >= r.input)) problems.push(`${where}.cache_write must be >= input`);
      const known = new Set(['input', 'output', 'cached_input', 'cache_write', 'long_context', 'above']);
      for (const k of Object.keys(r)) if (!known.has(k)) problems.push(`${where}: unknown field ${k}`);
    };
    for (const [pid, p] of Object.entries(raw.providers)) {
      for (const ref of p.same_as ?? []) if (!raw.providers[ref]) problems.push(`${pid}.same_as: unknown provider ${ref}`);
      for (const [mid, r] of Object.entries(p.models ?? {})) {
        if (mid !== mid.toLowerCase()) problems.push(`${pid}/${mid}: keys are lower-case`);
        checkRates(`${pid}/${mid}`, r);
        if (r.long_context) {
          checkRates(`${pid}/${mid}.long_context`, r.long_context);
          if (!(typeof r.long_context.above === 'number' && r.long_context.above > 0)) problems.push(`${pid}/${mid}.long_context.above must be > 0`);
          if (!(r.long_context.input >= r.input)) problems.push(`${pid}/${mid}: long-context input must not be cheaper`);
        }
      }
    }
    for (const [alias, target] of Object.entries(raw.provider_aliases)) if (!raw.providers[target]) problems.push(`alias ${alias} → unknown ${target}`);
    expect(problems).toEqual([]);
  });

  it('covers the model families the gateway routes to', () => {
    const must: Array<[string, string]> = [
      ['openai', 'gpt-4o'], ['openai', 'gpt-4o-mini'], ['openai', 'gpt-4.1'], ['openai', 'gpt-4.1-mini'], ['openai', 'gpt-4.1-nano'],
      ['openai', 'o1'], ['openai', 'o3'], ['openai', 'o3-mini'], ['openai', 'o4-mini'], ['openai', 'text-embedding-3-small'],
      ['anthropic', 'claude-3-5-sonnet'], ['anthropic', 'claude-3-7-sonnet'], ['anthropic', 'claude-sonnet-4'], ['anthropic', 'claude-opus-4'],
      ['google', 'gemini-1.5-pro'], ['google', 'gemini-2.0-flash'], ['google', 'gemini-2.5-pro'], ['google', 'gemini-2.5-flash'],
      ['mistral-ai', 'mistral-large-latest'], ['groq', 'llama-3.3-70b-versatile'], ['together-ai', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
      ['deepseek', 'deepseek-chat'], ['deepseek', 'deepseek-reasoner'], ['bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0'],
      ['azure-openai', 'gpt-4o'], ['vertex-ai', 'gemini-2.5-pro'], ['vertex-ai', 'claude-sonnet-4@20250514'], ['cohere', 'command-r-plus'],
    ];
    expect(must.filter(([p, m]) => !priceFor(p, m)).map((x) => x.join('/'))).toEqual([]);
  });
});

describe('model name normalisation', () => {
  const cases: Array<[string, string, string]> = [
    // provider, model as sent/returned, expected table key (via its price)
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai', 'gpt-4-0613', 'gpt-4'],
    ['openai', 'gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['openai', 'o3-mini-2025-01-31', 'o3-mini'],
    ['openai', 'chatgpt-4o-latest', 'chatgpt-4o'],
    ['openai', 'GPT-4.1', 'gpt-4.1'],
    ['azure-openai', 'gpt-4o-2024-11-20', 'gpt-4o'],
    ['anthropic', 'claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
    ['anthropic', 'claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['vertex-ai', 'claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'],
    ['vertex-ai', 'publishers/google/models/gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['google', 'models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['google', 'gemini-2.5-flash-lite-preview-06-17', 'gemini-2.5-flash-lite'],
    ['google', 'gemini-1.5-pro-002', 'gemini-1.5-pro'],
    ['bedrock', 'anthropic.claude-3-haiku-20240307-v1:0', 'claude-3-haiku'],
    ['bedrock', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4'],
    ['bedrock', 'global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5'],
    ['bedrock', 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0', 'claude-3-7-sonnet'],
    ['bedrock', 'amazon.nova-pro-v1:0', 'nova-pro'],
    ['bedrock', 'amazon.titan-embed-text-v2:0', 'titan-embed-text-v2'],
    ['bedrock', 'meta.llama3-3-70b-instruct-v1:0', 'llama3-3-70b-instruct'],
    ['mistral-ai', 'mistral-large-2411', 'mistral-large'],
    ['mistral', 'mistral-small-latest', 'mistral-small'],
    ['openrouter', 'anthropic/claude-3-5-sonnet', 'claude-3-5-sonnet'],
  ];

  it.each(cases)('%s %s → %s', (provider, model, key) => {
    const table = raw.providers[provider] ?? raw.providers[raw.provider_aliases[provider]];
    const owners = [table, ...(table.same_as ?? []).map((s) => raw.providers[s])];
    const expected = owners.map((o) => o.models?.[key]).find(Boolean);
    expect(expected, `test table names a key that is not in prices.json: ${key}`).toBeDefined();
    expect(priceFor(provider, model)).toEqual(expected);
  });

  it('keeps an exact dated entry ahead of its family', () => {
    expect(priceFor('openai', 'gpt-4o-2024-05-13')).toEqual({ input: 5, output: 15 });
    expect(priceFor('openai', 'gpt-4o-2024-08-06')?.input).toBe(2.5);
    expect(priceFor('bedrock', 'mistral.mistral-large-2402-v1:0')).toEqual({ input: 4, output: 12 });
  });

  it('lists the candidates in order, most specific first', () => {
    expect(modelNameCandidates('us.anthropic.claude-3-5-haiku-20241022-v1:0')).toEqual([
      'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      'anthropic.claude-3-5-haiku-20241022-v1:0',
      'claude-3-5-haiku-20241022-v1:0',
      'claude-3-5-haiku-20241022-v1',
      'claude-3-5-haiku-20241022',
      'claude-3-5-haiku',
    ]);
  });

  it('does not borrow across providers that do not share prices', () => {
    expect(priceFor('groq', 'gpt-4o')).toBeUndefined();
    expect(priceFor('anthropic', 'gpt-4o')).toBeUndefined();
    expect(priceFor('fireworks-ai', 'accounts/fireworks/models/llama-v3p1-8b-instruct')).toBeUndefined();
  });
});

describe('estimateCost', () => {
  it('prices input and output per million tokens', () => {
    expect(estimateCost('openai', 'gpt-4o', usage(M, M))).toEqual({ usd: 12.5, priced: true });
    expect(estimateCost('openai', 'gpt-4o-mini', usage(1000, 500))).toEqual({ usd: 0.00045, priced: true });
    expect(estimateCost('openai', 'text-embedding-3-small', { prompt_tokens: 2000, completion_tokens: 0, total_tokens: 2000 })).toEqual({ usd: 0.00004, priced: true });
  });

  it('prices cache reads and writes at their own rates (both are part of prompt_tokens)', () => {
    // OpenAI: 1M prompt of which 400k cached
    expect(estimateCost('openai', 'gpt-4.1', usage(M, 0, { prompt_tokens_details: { cached_tokens: 400_000 } })).usd).toBeCloseTo(0.6 * 2 + 0.4 * 0.5, 10);
    // Anthropic: 100k uncached + 200k read + 300k written, 10k out
    const u = usage(600_000, 10_000, { prompt_tokens_details: { cached_tokens: 200_000 }, cache_creation_input_tokens: 300_000 });
    expect(estimateCost('anthropic', 'claude-3-5-sonnet-20241022', u).usd).toBeCloseTo(0.1 * 3 + 0.2 * 0.3 + 0.3 * 3.75 + 0.01 * 15, 10);
    // same call through Bedrock costs the same
    expect(estimateCost('bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0', u)).toEqual(estimateCost('anthropic', 'claude-3-5-sonnet', u));
  });

  it('switches to long-context rates above the threshold', () => {
    expect(estimateCost('google', 'gemini-2.5-pro', usage(200_000, M)).usd).toBeCloseTo(0.2 * 1.25 + 10, 10);
    expect(estimateCost('google', 'gemini-2.5-pro', usage(200_001, M)).usd).toBeCloseTo(0.200001 * 2.5 + 15, 10);
  });

  it('treats self-hosted providers as free and unknown models as unpriced', () => {
    expect(estimateCost('ollama', 'llama3.2:3b', usage(5000, 5000))).toEqual({ usd: 0, priced: true });
    expect(estimateCost('openai', 'gpt-99-ultra', usage(5000, 5000))).toEqual({ usd: 0, priced: false });
    expect(estimateCost('no-such-provider', 'gpt-4o', usage(5000, 5000))).toEqual({ usd: 0, priced: false });
  });

  it('never throws on odd input', () => {
    const odd: unknown[] = [null, undefined, {}, { prompt_tokens: -5, completion_tokens: Number.NaN }, { prompt_tokens: 'x' }, { prompt_tokens: 10, prompt_tokens_details: null }];
    for (const u of odd) {
      const r = estimateCost('openai', 'gpt-4o', u as Usage);
      expect(r.usd).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(r.usd)).toBe(true);
    }
    expect(estimateCost(undefined as unknown as string, 'gpt-4o', usage(1, 1)).priced).toBe(false);
    expect(estimateCost('openai', 42 as unknown as string, usage(1, 1)).priced).toBe(false);
    // more cached tokens than prompt tokens (a provider bug) is clamped, not negative
    expect(estimateCost('openai', 'gpt-4o', usage(100, 0, { prompt_tokens_details: { cached_tokens: 1000 } })).usd).toBeCloseTo(100 * 1.25 / M, 12);
  });

  it('is cheap enough for the hot path', () => {
    const u = usage(1234, 567, { prompt_tokens_details: { cached_tokens: 100 } });
    const models = ['gpt-4o-2024-08-06', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'gpt-4o-mini', 'unknown-model'];
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) estimateCost(i % 2 ? 'openai' : 'bedrock', models[i % 4], u);
    expect(performance.now() - t0).toBeLessThan(1500);
  });
});
