import { GatewayError, badRequest } from '../errors.js';
import type { RerankRequest, RerankResponse } from './types.js';

/**
 * Pure helpers shared by the rerank mappings: providers that take plain strings get each document's
 * text, and providers that do not echo documents get them back from the request when asked.
 */

/** The documents as strings: a string stays, an object gives its `text`; anything else is a 400. */
export function documentTexts(provider: string, req: RerankRequest): string[] {
  return req.documents.map((d, i) => {
    if (typeof d === 'string') return d;
    if (typeof d.text === 'string') return d.text;
    throw badRequest(`${provider} reranks text: documents[${i}] must be a string or an object with a string "text"`, `documents[${i}]`);
  });
}

/** Results sorted best first, each with its document from the request when return_documents is true. */
export function withDocuments(req: RerankRequest, results: RerankResponse['results']): RerankResponse['results'] {
  const sorted = [...results].sort((a, b) => b.relevance_score - a.relevance_score);
  if (!req.return_documents) return sorted.map(({ index, relevance_score }) => ({ index, relevance_score }));
  return sorted.map((r) => {
    if (r.document) return r;
    const d = req.documents[r.index];
    return { ...r, document: typeof d === 'string' ? { text: d } : d };
  });
}

/** Reads a result list the provider documents; a malformed one is a 502 naming the provider. */
export function requireResults(provider: string, list: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(list) || !list.every((r) => r && typeof r === 'object' && typeof (r as { index?: unknown }).index === 'number')) {
    throw new GatewayError({ status: 502, type: 'upstream_error', code: 'invalid_upstream_response', provider, message: `${provider} returned a rerank response without a results list.` });
  }
  return list as Array<Record<string, unknown>>;
}
