/**
 * Bedrock batch inference records (CreateModelInvocationJob's JSONL): an OpenAI batch line becomes
 * `{recordId, modelInput}` with modelInput the model's own InvokeModel body, and each output record
 * `{recordId, modelInput, modelOutput}` or `{recordId, modelInput, error: {errorCode, errorMessage}}`
 * becomes an OpenAI batch output line, its body mapped by the same functions as the live API. Pure.
 */
import { badRequest } from '../../errors.js';
import { errorLine, outputLine, type OpenAIBatchLine, type OpenAIBatchOutputLine } from '../../cloud-batches/openai-batch.js';
import type { ChatRequest, EmbeddingRequest, JsonObject } from '../types.js';
import { toBedrockConverseRequest } from './converse-request.js';
import { fromBedrockConverseResponse } from './converse-response.js';
import { fromBedrockEmbeddingResponse, toCohereEmbeddingBody, toTitanEmbeddingBody } from './embeddings.js';
import { fromBedrockAnthropicResponse, toBedrockAnthropicBody } from './invoke-anthropic.js';
import { isObject } from './wire.js';

/** The model families whose InvokeModel bodies Portico writes for batch inference. */
export type BedrockBatchFamily = 'anthropic' | 'nova' | 'titan-embed' | 'cohere-embed';

export function bedrockBatchFamily(model: string): BedrockBatchFamily {
  if (/(^|[./:])anthropic\./.test(model)) return 'anthropic';
  if (/(^|[./:])amazon\.nova-/.test(model)) return 'nova';
  if (/(^|[./:])amazon\.titan-embed/.test(model)) return 'titan-embed';
  if (/(^|[./:])cohere\.embed/.test(model)) return 'cohere-embed';
  throw badRequest(
    `bedrock batches: "${model}" is not a model Portico writes batch records for; use an Anthropic (anthropic.*), Amazon Nova (amazon.nova-*), Titan embeddings (amazon.titan-embed-*) or Cohere embeddings (cohere.embed-*) model, or an inference profile of one.`,
    'x-portkey-aws-bedrock-model', 'unsupported_model',
  );
}

const isEmbedding = (f: BedrockBatchFamily) => f === 'titan-embed' || f === 'cohere-embed';

/** Nova's InvokeModel body (schema messages-v1) is Converse's minus the Converse-only members. */
function toNovaInvokeBody(req: ChatRequest): JsonObject {
  const c = toBedrockConverseRequest(req);
  const body: JsonObject = { schemaVersion: 'messages-v1', messages: c.messages };
  if (c.system?.length) body.system = c.system;
  if (c.inferenceConfig && Object.keys(c.inferenceConfig).length) body.inferenceConfig = c.inferenceConfig;
  if (c.toolConfig) body.toolConfig = c.toolConfig;
  return body;
}

/** One OpenAI batch line → one Bedrock record for `model`; errors name the line. */
export function toBedrockBatchRecord(line: OpenAIBatchLine, model: string, family: BedrockBatchFamily, lineNo: number): { recordId: string; modelInput: JsonObject } {
  const wantsEmbedding = line.url === '/v1/embeddings';
  if (wantsEmbedding !== isEmbedding(family)) {
    throw badRequest(`Line ${lineNo} of the batch file is for ${line.url}, but ${model} is ${isEmbedding(family) ? 'an embedding' : 'a chat'} model; one batch file goes to one model.`, 'file', 'invalid_batch_line');
  }
  try {
    const body = { ...line.body, model };
    let modelInput: JsonObject;
    if (family === 'anthropic') modelInput = toBedrockAnthropicBody(body as ChatRequest) as unknown as JsonObject;
    else if (family === 'nova') modelInput = toNovaInvokeBody(body as ChatRequest);
    else {
      const req = body as EmbeddingRequest;
      const input = typeof req.input === 'string' ? req.input : Array.isArray(req.input) && req.input.length === 1 ? req.input[0] : undefined;
      if (family === 'titan-embed') {
        if (typeof input !== 'string') throw badRequest('Titan embeds one text per record: `input` must be a string', 'input');
        modelInput = toTitanEmbeddingBody(model, input, req);
      } else {
        const texts = typeof req.input === 'string' ? [req.input] : req.input;
        if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw badRequest('`input` must be a string or an array of strings', 'input');
        modelInput = toCohereEmbeddingBody(texts as string[], req);
      }
    }
    return { recordId: line.custom_id, modelInput };
  } catch (e) {
    const err = e as { message?: string; status?: number };
    if (err.status === 400) throw badRequest(`Line ${lineNo} of the batch file (custom_id ${JSON.stringify(line.custom_id)}): ${err.message}`, 'file', 'invalid_batch_line');
    throw e;
  }
}

/**
 * The family of an output record by its shape, for when the model is not at hand (a file's content
 * read by id): Anthropic messages, Nova/Converse output, Titan or Cohere embeddings.
 */
function familyOfOutput(out: JsonObject): BedrockBatchFamily | undefined {
  if (out.type === 'message') return 'anthropic';
  if (isObject(out.output)) return 'nova';
  if (Array.isArray(out.embedding)) return 'titan-embed';
  if (out.embeddings !== undefined) return 'cohere-embed';
  return undefined;
}

/** One Bedrock output record → one OpenAI batch output line. `model` names the model in bodies. */
export function fromBedrockBatchRecord(record: unknown, model: string, index: number): OpenAIBatchOutputLine {
  if (!isObject(record)) return errorLine(`batch_req_${index}`, '', 'invalid_record', 'Bedrock wrote a record that is not a JSON object.');
  const customId = typeof record.recordId === 'string' ? record.recordId : '';
  const id = `batch_req_${customId || index}`;
  if (isObject(record.error)) {
    const e = record.error;
    const status = typeof e.errorCode === 'number' ? e.errorCode : Number(e.errorCode) || 500;
    const message = typeof e.errorMessage === 'string' ? e.errorMessage : 'Bedrock reported an error for this record.';
    return errorLine(id, customId, status === 400 ? 'invalid_request' : 'model_error', message, status);
  }
  const out = record.modelOutput;
  const family = isObject(out) ? familyOfOutput(out) : undefined;
  if (!isObject(out) || !family) return errorLine(id, customId, 'invalid_record', 'Bedrock wrote a record without a modelOutput Portico can read.', 502);
  // Read by file id, the job's model is not at hand: Anthropic's answer names its model itself.
  if (!model) model = typeof out.model === 'string' ? out.model : 'bedrock';
  try {
    let body: unknown;
    if (family === 'anthropic') body = fromBedrockAnthropicResponse(out, model);
    else if (family === 'nova') body = fromBedrockConverseResponse(out, model);
    else {
      const input = isObject(record.modelInput) ? record.modelInput : {};
      body = fromBedrockEmbeddingResponse(out, { model, input: (input.inputText as string) ?? (input.texts as string[]) ?? '' } as EmbeddingRequest);
    }
    if (isObject(body) && typeof out.id === 'string' && family === 'anthropic') body.id = out.id;
    return outputLine(id, customId, 200, body);
  } catch (e) {
    return errorLine(id, customId, 'invalid_record', (e as Error).message, 502);
  }
}
