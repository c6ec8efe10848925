import { GatewayError } from '../../errors.js';
import type { EmbeddingRequest, EmbeddingResponse } from '../types.js';

/**
 * Voyage AI embeddings (POST /v1/embeddings): OpenAI's `dimensions` is Voyage's `output_dimension`;
 * Voyage's own fields (input_type, truncation, output_dtype) pass through; `user` has no equivalent.
 */
export function toVoyageEmbeddingRequest(req: EmbeddingRequest): Record<string, unknown> {
  const { dimensions, user: _user, encoding_format, ...rest } = req;
  const body: Record<string, unknown> = { ...rest };
  if (dimensions !== undefined) body.output_dimension = dimensions;
  // Voyage knows base64 or nothing (floats); "float" is its default.
  if (encoding_format === 'base64') body.encoding_format = 'base64';
  return body;
}

/** Voyage's list (usage has total_tokens only) → OpenAI's embeddings response. Pure. */
export function fromVoyageEmbeddingResponse(body: unknown, req: EmbeddingRequest): EmbeddingResponse {
  const b = body as { data?: Array<{ embedding: number[] | string; index: number }>; model?: string; usage?: { total_tokens?: number } };
  if (!Array.isArray(b?.data)) throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider: 'voyage', message: 'voyage returned an embeddings response without data.' });
  const tokens = b.usage?.total_tokens ?? 0;
  return {
    object: 'list',
    data: b.data.map((d) => ({ object: 'embedding', index: d.index, embedding: d.embedding })),
    model: b.model ?? req.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
