import type { RerankRequest, RerankResponse } from '../types.js';
import { documentTexts, requireResults, withDocuments } from '../rerank-documents.js';

export interface CohereRerankRequest {
  model: string;
  query: string;
  documents: string[];
  top_n?: number;
  max_tokens_per_doc?: number;
  priority?: number;
}

/** Portkey rerank request → Cohere POST /v2/rerank body (documents as strings). Pure. */
export function toCohereRerankRequest(req: RerankRequest): CohereRerankRequest {
  const body: CohereRerankRequest = { model: req.model, query: req.query, documents: documentTexts('cohere', req) };
  if (req.top_n !== undefined) body.top_n = req.top_n;
  if (req.max_tokens_per_doc !== undefined) body.max_tokens_per_doc = req.max_tokens_per_doc;
  if (req.priority !== undefined) body.priority = req.priority;
  return body;
}

/** Cohere {id, results:[{index, relevance_score}], meta:{billed_units:{search_units}}} → Portkey's rerank response. Pure. */
export function fromCohereRerankResponse(body: unknown, req: RerankRequest): RerankResponse {
  const b = body as { id?: string; results?: unknown; meta?: { billed_units?: { search_units?: number } } };
  const results = requireResults('cohere', b.results).map((r) => ({ index: r.index as number, relevance_score: Number(r.relevance_score) }));
  const searchUnits = b.meta?.billed_units?.search_units;
  return {
    ...(b.id ? { id: b.id } : {}),
    object: 'list',
    results: withDocuments(req, results),
    model: req.model,
    ...(typeof searchUnits === 'number' ? { usage: { search_units: searchUnits } } : {}),
    provider: 'cohere',
  };
}
