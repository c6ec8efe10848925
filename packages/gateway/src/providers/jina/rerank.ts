import type { RerankRequest, RerankResponse } from '../types.js';
import { requireResults, withDocuments } from '../rerank-documents.js';

/** Portkey rerank request → Jina POST /v1/rerank (documents as given: strings, or objects for multimodal rerankers). Pure. */
export function toJinaRerankRequest(req: RerankRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, query: req.query, documents: req.documents };
  if (req.top_n !== undefined) body.top_n = req.top_n;
  if (req.return_documents !== undefined) body.return_documents = req.return_documents;
  return body;
}

/** Jina {model, usage:{total_tokens}, results:[{index, relevance_score, document?}]} → Portkey's rerank response. Pure. */
export function fromJinaRerankResponse(body: unknown, req: RerankRequest): RerankResponse {
  const b = body as { results?: unknown; model?: string; usage?: { total_tokens?: number } };
  const results = requireResults('jina', b.results).map((r) => {
    const doc = r.document;
    const document = typeof doc === 'string' ? { text: doc } : doc && typeof doc === 'object' ? (doc as { text?: string }) : undefined;
    return { index: r.index as number, relevance_score: Number(r.relevance_score), ...(document ? { document } : {}) };
  });
  return {
    object: 'list',
    results: withDocuments(req, results),
    model: b.model ?? req.model,
    ...(typeof b.usage?.total_tokens === 'number' ? { usage: { total_tokens: b.usage.total_tokens } } : {}),
    provider: 'jina',
  };
}
