/**
 * Embeddings on Bedrock through InvokeModel: Amazon Titan (`amazon.titan-embed-*`, one `inputText` per
 * call) and Cohere (`cohere.embed-*`, a batch of `texts` with an `input_type`) → OpenAI EmbeddingResponse.
 * Pure.
 */
import { badRequest, GatewayError } from '../../errors.js';
import type { EmbeddingRequest, EmbeddingResponse, JsonObject, ProviderTarget, UpstreamRequest } from '../types.js';
import { bedrockFoundationModel, bedrockModelUrl } from './endpoint.js';
import { isObject } from './wire.js';

export type BedrockEmbeddingFamily = 'titan' | 'cohere';
const COHERE_MAX_TEXTS = 96;
const COHERE_INPUT_TYPES = ['search_document', 'search_query', 'classification', 'clustering'];

export function bedrockEmbeddingFamily(model: string): BedrockEmbeddingFamily {
  if (/(^|[./:])amazon\.titan-embed/.test(model)) return 'titan';
  if (/(^|[./:])cohere\.embed/.test(model)) return 'cohere';
  throw badRequest(`bedrock: embeddings support amazon.titan-embed-* and cohere.embed-* models, and "${model}" is neither`, 'model');
}

function inputs(req: EmbeddingRequest): string[] {
  const list = typeof req.input === 'string' ? [req.input] : req.input;
  if (!Array.isArray(list) || list.length === 0) throw badRequest('bedrock: `input` must be a non-empty string or array of strings', 'input');
  return list.map((v, i) => {
    if (typeof v !== 'string') throw badRequest(`bedrock: input[${i}] is not a string; Bedrock embedding models take text, not token ids`, `input[${i}]`);
    return v;
  });
}

/** The InvokeModel body for one Titan input. */
export function toTitanEmbeddingBody(model: string, text: string, req: EmbeddingRequest): JsonObject {
  const body: JsonObject = { inputText: text };
  if (req.dimensions !== undefined) {
    if (/titan-embed-text-v2/.test(model)) body.dimensions = req.dimensions;
    else if (/titan-embed-image/.test(model)) body.embeddingConfig = { outputEmbeddingLength: req.dimensions };
    else throw badRequest(`bedrock: ${model} has a fixed size; remove \`dimensions\` or use amazon.titan-embed-text-v2:0`, 'dimensions');
  }
  if (typeof req.normalize === 'boolean' && /titan-embed-text-v2/.test(model)) body.normalize = req.normalize;
  return body;
}

export function toCohereEmbeddingBody(texts: string[], req: EmbeddingRequest): JsonObject {
  if (texts.length > COHERE_MAX_TEXTS) throw badRequest(`bedrock: Cohere embeds at most ${COHERE_MAX_TEXTS} texts per request, and this has ${texts.length}; split the input`, 'input');
  const inputType = req.input_type ?? 'search_document';
  if (typeof inputType !== 'string' || !COHERE_INPUT_TYPES.includes(inputType)) {
    throw badRequest(`bedrock: input_type must be one of ${COHERE_INPUT_TYPES.join(', ')}`, 'input_type');
  }
  const body: JsonObject = { texts, input_type: inputType };
  if (typeof req.truncate === 'string') body.truncate = req.truncate;
  return body;
}

function invoke(target: ProviderTarget, model: string, body: JsonObject): UpstreamRequest {
  return {
    method: 'POST',
    url: bedrockModelUrl(target, model, 'invoke'),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  };
}

/** All upstream calls for one embeddings request: one per input for Titan, one batch for Cohere. */
export function toBedrockEmbeddingRequests(req: EmbeddingRequest, target: ProviderTarget): UpstreamRequest[] {
  const texts = inputs(req);
  const foundation = bedrockFoundationModel(target, req.model);
  if (bedrockEmbeddingFamily(foundation) === 'cohere') return [invoke(target, req.model, toCohereEmbeddingBody(texts, req))];
  return texts.map((t) => invoke(target, req.model, toTitanEmbeddingBody(foundation, t, req)));
}

/** The single-call form the OperationMapping contract allows; Titan with several inputs needs the fan-out above. */
export function toBedrockEmbeddingRequest(req: EmbeddingRequest, target: ProviderTarget): UpstreamRequest {
  const all = toBedrockEmbeddingRequests(req, target);
  if (all.length !== 1) {
    throw badRequest(`bedrock: ${req.model} embeds one input per call; send one input per request, or use a cohere.embed-* model for batches`, 'input');
  }
  return all[0]!;
}

function badBody(what: string): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', provider: 'bedrock', message: `bedrock error: the embedding response has no ${what}; check the model is an embedding model` });
}

function encode(vec: number[], req: EmbeddingRequest): number[] | string {
  if (req.encoding_format !== 'base64') return vec;
  const f = new Float32Array(vec);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}

/**
 * Maps the bodies of the calls from toBedrockEmbeddingRequests, in the same order, with their response
 * headers: InvokeModel reports input tokens in X-Amzn-Bedrock-Input-Token-Count, the only count Cohere gives.
 */
export function fromBedrockEmbeddingResponses(bodies: unknown[], req: EmbeddingRequest, headers: Array<Record<string, string>> = []): EmbeddingResponse {
  const data: EmbeddingResponse['data'] = [];
  let tokens = 0;
  for (const [i, body] of bodies.entries()) {
    if (!isObject(body)) throw badBody('JSON object');
    if (Array.isArray(body.embedding)) {
      data.push({ object: 'embedding', index: data.length, embedding: encode(body.embedding as number[], req) });
      if (typeof body.inputTextTokenCount === 'number') tokens += body.inputTextTokenCount;
      continue;
    }
    const e = body.embeddings;
    const vectors = Array.isArray(e) ? e : isObject(e) && Array.isArray(e.float) ? e.float : undefined;
    if (!vectors) throw badBody('"embedding" or "embeddings"');
    for (const v of vectors) data.push({ object: 'embedding', index: data.length, embedding: encode(v as number[], req) });
    const meta = isObject(body.meta) && isObject(body.meta.billed_units) ? body.meta.billed_units.input_tokens : undefined;
    const counted = Number(headers[i]?.['x-amzn-bedrock-input-token-count']);
    if (typeof meta === 'number') tokens += meta;
    else if (Number.isInteger(counted) && counted >= 0) tokens += counted;
  }
  return { object: 'list', data, model: req.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export function fromBedrockEmbeddingResponse(body: unknown, req: EmbeddingRequest, headers?: Record<string, string>): EmbeddingResponse {
  return fromBedrockEmbeddingResponses([body], req, headers ? [headers] : []);
}
