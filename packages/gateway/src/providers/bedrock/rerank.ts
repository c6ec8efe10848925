/**
 * Bedrock rerank: POST /rerank on bedrock-agent-runtime (SigV4 service name `bedrock`, like the runtime),
 * with inline text sources and a BEDROCK_RERANKING_MODEL configuration naming the model by ARN. Pure.
 */
import type { RerankRequest, RerankResponse, UpstreamRequest, ProviderTarget } from '../types.js';
import { documentTexts, requireResults, withDocuments } from '../rerank-documents.js';
import { bedrockRegion } from './endpoint.js';

/** A model id becomes its foundation-model ARN in the target's region; an ARN stays as given. */
export function bedrockRerankModelArn(model: string, region: string): string {
  return model.startsWith('arn:') ? model : `arn:aws:bedrock:${region}::foundation-model/${model}`;
}

export function toBedrockRerankRequest(req: RerankRequest, target: ProviderTarget): UpstreamRequest {
  const region = bedrockRegion(target);
  const base = target.customHost ? target.customHost.replace(/\/+$/, '') : `https://bedrock-agent-runtime.${region}.amazonaws.com`;
  const bedrockRerankingConfiguration: Record<string, unknown> = { modelConfiguration: { modelArn: bedrockRerankModelArn(req.model, region) } };
  if (req.top_n !== undefined) bedrockRerankingConfiguration.numberOfResults = req.top_n;
  const body = {
    queries: [{ type: 'TEXT', textQuery: { text: req.query } }],
    sources: documentTexts('bedrock', req).map((text) => ({ type: 'INLINE', inlineDocumentSource: { type: 'TEXT', textDocument: { text } } })),
    rerankingConfiguration: { type: 'BEDROCK_RERANKING_MODEL', bedrockRerankingConfiguration },
  };
  return { method: 'POST', url: `${base}/rerank`, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) };
}

/** Bedrock {results:[{index, relevanceScore, document?}]} → Portkey's rerank response. */
export function fromBedrockRerankResponse(body: unknown, req: RerankRequest): RerankResponse {
  const results = requireResults('bedrock', (body as { results?: unknown })?.results).map((r) => ({ index: r.index as number, relevance_score: Number(r.relevanceScore) }));
  return { object: 'list', results: withDocuments(req, results), model: req.model, provider: 'bedrock' };
}
