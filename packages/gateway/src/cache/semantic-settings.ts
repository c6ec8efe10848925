import { semanticEmbeddingSchema, type SemanticEmbedding } from '@portico/contract';

/**
 * SEMANTIC_CACHE_EMBEDDING: the operator's embedding target, in the shape of cache.semantic.embedding.
 * Throws an Error naming the bad field (never echoing the value: it may hold an api_key).
 */
export function parseSemanticEmbedding(json: string): SemanticEmbedding {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('SEMANTIC_CACHE_EMBEDDING is not valid JSON; expected {"provider" or "virtual_key", "model", ...}');
  }
  const parsed = semanticEmbeddingSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `.${issue.path.join('.')}` : '';
  const unknown = issue.code === 'unrecognized_keys' ? `: unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}` : `: ${issue.message}`;
  throw new Error(`SEMANTIC_CACHE_EMBEDDING${where}${unknown}`);
}
