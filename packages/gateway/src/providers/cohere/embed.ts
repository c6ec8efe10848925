import { badRequest } from '../../errors.js';
import type { EmbeddingRequest, EmbeddingResponse } from '../types.js';
import { cohereError } from './response.js';

export interface CohereEmbedRequest {
  model: string;
  texts: string[];
  input_type: string;
  embedding_types: string[];
  output_dimension?: number;
  truncate?: string;
}

const INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering'];

/** OpenAI embeddings request → Cohere /v2/embed body. `input_type` defaults to search_document. Pure. */
export function toCohereEmbedRequest(req: EmbeddingRequest): CohereEmbedRequest {
  const input = req.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || !texts.every((x) => typeof x === 'string')) {
    throw badRequest('Cohere embeds text only: input must be a string or an array of strings, not token ids.', 'input');
  }
  const inputType = req.input_type ?? 'search_document';
  if (typeof inputType !== 'string' || !INPUT_TYPES.includes(inputType)) {
    throw badRequest(`input_type must be one of ${INPUT_TYPES.join(', ')} for Cohere text embeddings.`, 'input_type');
  }
  // base64 is produced from the floats on the way back, so Cohere is always asked for floats.
  const body: CohereEmbedRequest = { model: req.model, texts: texts as string[], input_type: inputType, embedding_types: ['float'] };
  if (typeof req.dimensions === 'number') body.output_dimension = req.dimensions;
  if (typeof req.truncate === 'string') body.truncate = req.truncate;
  return body;
}

/** Cohere v2 embed response (embeddings by type) → OpenAI embeddings response. Pure. */
export function fromCohereEmbedResponse(body: unknown, req: EmbeddingRequest): EmbeddingResponse {
  const r = body as { embeddings?: { float?: number[][] }; meta?: { billed_units?: { input_tokens?: number } } } | undefined;
  const floats = r?.embeddings?.float;
  if (!Array.isArray(floats)) throw cohereError('cohere returned an embed response without embeddings.float; check that the target speaks Cohere API v2.');
  const base64 = req.encoding_format === 'base64';
  const tokens = r?.meta?.billed_units?.input_tokens ?? 0;
  return {
    object: 'list',
    data: floats.map((e, index) => ({ object: 'embedding', index, embedding: base64 ? Buffer.from(new Float32Array(e).buffer).toString('base64') : e })),
    model: req.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
