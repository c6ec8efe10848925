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

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * OpenAI's Responses API usage (input_tokens includes cached ones, as prompt_tokens does) → chat usage,
 * with the cached and reasoning counts kept in the details that pricing reads.
 */
export function usageFromResponsesApi(u: unknown): Usage | undefined {
  if (!isRecord(u) || (typeof u.input_tokens !== 'number' && typeof u.output_tokens !== 'number')) return undefined;
  const prompt = count(u.input_tokens);
  const completion = count(u.output_tokens);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: typeof u.total_tokens === 'number' ? u.total_tokens : prompt + completion };
  // The Realtime API names the details input_token_details / output_token_details.
  const inputDetails = u.input_tokens_details ?? u.input_token_details;
  const cached = isRecord(inputDetails) ? inputDetails.cached_tokens : undefined;
  if (typeof cached === 'number') usage.prompt_tokens_details = { cached_tokens: cached };
  const outputDetails = u.output_tokens_details ?? u.output_token_details;
  const reasoning = isRecord(outputDetails) ? outputDetails.reasoning_tokens : undefined;
  if (typeof reasoning === 'number') usage.completion_tokens_details = { reasoning_tokens: reasoning };
  return usage;
}

/**
 * The usage in a body of OpenAI's own APIs, as a provider that speaks them natively returns it:
 * chat, completions and embeddings carry chat usage as is; the Responses API its own shape.
 */
export function usageFromOpenAIBody(op: string, body: unknown): Usage | undefined {
  const u = isRecord(body) ? body.usage : undefined;
  if (!isRecord(u)) return undefined;
  if (op === 'responses' || typeof u.prompt_tokens !== 'number') return usageFromResponsesApi(u);
  return u as Usage;
}
