/**
 * Vertex AI batch prediction lines (batchPredictionJobs, JSONL on Cloud Storage): an OpenAI batch line
 * becomes `{custom_id, request}` with request the model's own body (Gemini's GenerateContentRequest,
 * or Claude's Messages body with anthropic_version vertex-2023-10-16), and each prediction line
 * `{custom_id, request, response, status}` becomes an OpenAI batch output line, its body mapped by
 * the same functions as the live API. Pure.
 */
import { badRequest } from '../../errors.js';
import { errorLine, outputLine, type OpenAIBatchLine, type OpenAIBatchOutputLine } from '../../cloud-batches/openai-batch.js';
import { fromAnthropicResponse } from '../anthropic/response.js';
import { toGeminiRequest } from '../google/request.js';
import { fromGeminiResponse } from '../google/response.js';
import type { ChatRequest, JsonObject } from '../types.js';
import { toVertexAnthropicRequest } from './anthropic.js';
import { isVertexAnthropicModel } from './target.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The bare model name: gemini-2.0-flash-001 from publishers/google/models/gemini-2.0-flash-001. */
export function bareVertexModel(model: string): string {
  return model.replace(/^projects\/[^/]+\/locations\/[^/]+\//, '').replace(/^publishers\/[^/]+\/models\//, '').replace(/^models\//, '');
}

/** The publisher model resource batchPredictionJobs takes: publishers/{google|anthropic}/models/M. */
export function vertexPublisherModel(model: string): string {
  const bare = bareVertexModel(model);
  if (!/^[a-zA-Z0-9._@-]+$/.test(bare)) throw badRequest(`"${model.slice(0, 80)}" is not a Vertex AI model name such as gemini-2.0-flash-001 or claude-3-5-sonnet-v2@20241022.`, 'model');
  return `publishers/${isVertexAnthropicModel(bare) ? 'anthropic' : 'google'}/models/${bare}`;
}

/** One OpenAI batch line → one Vertex batch prediction line for `model`; errors name the line. */
export function toVertexBatchLine(line: OpenAIBatchLine, model: string, lineNo: number): JsonObject {
  if (line.url !== '/v1/chat/completions') {
    throw badRequest(`Line ${lineNo} of the batch file is for ${line.url}; Vertex AI batch prediction through Portico takes /v1/chat/completions lines.`, 'file', 'invalid_batch_line');
  }
  try {
    const req = { ...line.body, model: bareVertexModel(model) } as ChatRequest;
    const request = isVertexAnthropicModel(bareVertexModel(model)) ? withoutStream(toVertexAnthropicRequest(req, false)) : (toGeminiRequest(req) as unknown as JsonObject);
    return { custom_id: line.custom_id, request };
  } catch (e) {
    const err = e as { message?: string; status?: number };
    if (err.status === 400) throw badRequest(`Line ${lineNo} of the batch file (custom_id ${JSON.stringify(line.custom_id)}): ${err.message}`, 'file', 'invalid_batch_line');
    throw e;
  }
}

function withoutStream(body: Record<string, unknown>): JsonObject {
  const { stream: _s, ...rest } = body;
  return rest;
}

/** One prediction line → one OpenAI batch output line. */
export function fromVertexBatchLine(row: unknown, model: string, index: number): OpenAIBatchOutputLine {
  if (!isObject(row)) return errorLine(`batch_req_${index}`, '', 'invalid_record', 'Vertex AI wrote a prediction line that is not a JSON object.');
  const customId = typeof row.custom_id === 'string' ? row.custom_id : '';
  const id = `batch_req_${customId || index}`;
  if (typeof row.status === 'string' && row.status !== '') return errorLine(id, customId, 'model_error', row.status.slice(0, 2000), 500);
  const res = row.response;
  if (!isObject(res)) return errorLine(id, customId, 'invalid_record', 'Vertex AI wrote a prediction line without a response.', 502);
  try {
    const name = bareVertexModel(model);
    const body = res.type === 'message' ? { ...fromAnthropicResponse(res), model: name } : fromGeminiResponse(res, name, 'vertex-ai');
    return outputLine(id, customId, 200, body);
  } catch (e) {
    return errorLine(id, customId, 'invalid_record', (e as Error).message, 502);
  }
}
