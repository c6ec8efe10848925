/** OpenAI embeddings ↔ Gemini embedContent / batchEmbedContents. Pure. */
import { badRequest, GatewayError } from '../../errors.js';
import type { EmbeddingRequest, EmbeddingResponse } from '../types.js';
import { isObject } from './schema.js';

export interface GeminiEmbedContentRequest {
  model?: string;
  content: { parts: Array<{ text: string }> };
  taskType?: string;
  title?: string;
  outputDimensionality?: number;
}

export type GeminiEmbedRequest =
  | { method: 'embedContent'; body: GeminiEmbedContentRequest }
  | { method: 'batchEmbedContents'; body: { requests: GeminiEmbedContentRequest[] } };

/** Strips an optional "models/" prefix: callers send either form. */
export function geminiModelName(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

/** One string → embedContent; a list → batchEmbedContents (each sub-request names the model, as the API requires). */
export function toGeminiEmbedRequest(req: EmbeddingRequest): GeminiEmbedRequest {
  const model = geminiModelName(req.model);
  const texts = embeddingTexts(req.input);
  const one = (text: string): GeminiEmbedContentRequest => {
    const r: GeminiEmbedContentRequest = { content: { parts: [{ text }] } };
    if (typeof req.dimensions === 'number') r.outputDimensionality = req.dimensions;
    if (typeof req.task_type === 'string') r.taskType = req.task_type;
    return r;
  };
  if (typeof req.input === 'string') return { method: 'embedContent', body: one(texts[0]) };
  return { method: 'batchEmbedContents', body: { requests: texts.map((t) => ({ model: `models/${model}`, ...one(t) })) } };
}

export function embeddingTexts(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string')) return input as string[];
  throw badRequest('input must be a string or a non-empty array of strings; Gemini does not accept token arrays.', 'input');
}

export function fromGeminiEmbedResponse(body: unknown, req: EmbeddingRequest, provider = 'google'): EmbeddingResponse {
  const values: unknown[] = isObject(body) && isObject(body.embedding) ? [body.embedding]
    : isObject(body) && Array.isArray(body.embeddings) ? body.embeddings : [];
  if (values.length === 0) throw badUpstream(provider, 'the embedding response holds no embeddings');
  const data = values.map((e, index) => {
    const v = isObject(e) ? e.values : undefined;
    if (!Array.isArray(v)) throw badUpstream(provider, `embedding ${index} has no values array`);
    return { object: 'embedding' as const, index, embedding: v.map(Number) };
  });
  if (req.encoding_format === 'base64') {
    for (const d of data) d.embedding = floatsToBase64(d.embedding as number[]) as unknown as number[];
  }
  // Gemini's embedContent reports no token usage.
  return { object: 'list', data, model: req.model, usage: { prompt_tokens: 0, total_tokens: 0 } };
}

/** OpenAI's base64 encoding: little-endian float32. */
export function floatsToBase64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

function badUpstream(provider: string, what: string): GatewayError {
  return new GatewayError({ status: 502, provider, type: 'upstream_error', message: `${provider} error: ${what}; retry, or report it if it persists.` });
}
