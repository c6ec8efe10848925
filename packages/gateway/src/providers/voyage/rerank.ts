import type { RerankRequest, RerankResponse } from '../types.js';
import { documentTexts, requireResults, withDocuments } from '../rerank-documents.js';

/** Portkey rerank request → Voyage POST /v1/rerank (top_n is Voyage's top_k). Pure. */
export function toVoyageRerankRequest(req: RerankRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, query: req.query, documents: documentTexts('voyage', req) };
  if (req.top_n !== undefined) body.top_k = req.top_n;
  if (req.return_documents !== undefined) body.return_documents = req.return_documents;
  if (req.truncation !== undefined) body.truncation = req.truncation;
  return body;
}

/** Voyage {object:"list", data:[{index, relevance_score, document?}], model, usage:{total_tokens}} → Portkey's rerank response. Pure. */
export function fromVoyageRerankResponse(body: unknown, req: RerankRequest): RerankResponse {
  const b = body as { data?: unknown; model?: string; usage?: { total_tokens?: number } };
  const results = requireResults('voyage', b.data).map((r) => ({
    index: r.index as number,
    relevance_score: Number(r.relevance_score),
    ...(typeof r.document === 'string' ? { document: { text: r.document } } : {}),
  }));
  return {
    object: 'list',
    results: withDocuments(req, results),
    model: b.model ?? req.model,
    ...(typeof b.usage?.total_tokens === 'number' ? { usage: { total_tokens: b.usage.total_tokens } } : {}),
    provider: 'voyage',
  };
}
