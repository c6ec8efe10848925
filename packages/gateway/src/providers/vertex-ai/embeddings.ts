/**
 * OpenAI embeddings ↔ Vertex AI text embeddings (publishers/google/models/M:predict), which take a
 * batch of instances: {instances:[{content}], parameters:{outputDimensionality}} →
 * {predictions:[{embeddings:{values, statistics:{token_count}}}]}. Pure.
 */
import { GatewayError } from '../../errors.js';
import type { EmbeddingRequest, EmbeddingResponse } from '../types.js';
import { embeddingTexts, floatsToBase64 } from '../google/embeddings.js';
import { isObject } from '../google/schema.js';

export interface VertexPredictEmbedRequest {
  instances: Array<{ content: string; task_type?: string; title?: string }>;
  parameters?: { outputDimensionality?: number; autoTruncate?: boolean };
}

export function toVertexEmbedRequest(req: EmbeddingRequest): VertexPredictEmbedRequest {
  const instances = embeddingTexts(req.input).map((content) => {
    const inst: { content: string; task_type?: string } = { content };
    if (typeof req.task_type === 'string') inst.task_type = req.task_type;
    return inst;
  });
  const out: VertexPredictEmbedRequest = { instances };
  if (typeof req.dimensions === 'number') out.parameters = { outputDimensionality: req.dimensions };
  return out;
}

export function fromVertexEmbedResponse(body: unknown, req: EmbeddingRequest): EmbeddingResponse {
  const preds = isObject(body) && Array.isArray(body.predictions) ? body.predictions : undefined;
  if (!preds?.length) throw bad('the predict response holds no predictions');
  let tokens = 0;
  const data = preds.map((p, index) => {
    const emb = isObject(p) && isObject(p.embeddings) ? p.embeddings : undefined;
    if (!emb || !Array.isArray(emb.values)) throw bad(`prediction ${index} has no embeddings.values`);
    const stats = isObject(emb.statistics) ? emb.statistics : {};
    if (typeof stats.token_count === 'number') tokens += stats.token_count;
    const values = emb.values.map(Number);
    return { object: 'embedding' as const, index, embedding: req.encoding_format === 'base64' ? floatsToBase64(values) : values };
  });
  return { object: 'list', data, model: req.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

function bad(what: string): GatewayError {
  return new GatewayError({ status: 502, provider: 'vertex-ai', type: 'upstream_error', message: `vertex-ai error: ${what}; retry, or report it if it persists.` });
}
