import type { Usage } from './types.js';

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Usage from providers whose input count excludes cache reads and writes (Anthropic, Bedrock Converse).
 * OpenAI's prompt_tokens includes them, so both are added in and reported again in the details.
 */
export function usageWithCacheCounts(input: unknown, output: unknown, cacheRead: unknown, cacheWrite: unknown): Usage {
  const read = count(cacheRead);
  const write = count(cacheWrite);
  const prompt = count(input) + read + write;
  const completion = count(output);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: read } };
  if (write > 0) usage.cache_creation_input_tokens = write;
  return usage;
}
