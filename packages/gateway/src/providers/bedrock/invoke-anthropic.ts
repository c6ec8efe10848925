/**
 * InvokeModel / InvokeModelWithResponseStream with Anthropic's messages body on Bedrock. Reuses the
 * Anthropic provider's pure mappings and adapts them to Bedrock: `anthropic_version` in the body, no
 * `model` (it is in the path) and no `stream` (the operation decides). Pure.
 */
import { GatewayError } from '../../errors.js';
import { toAnthropicRequest } from '../anthropic/request.js';
import { fromAnthropicResponse } from '../anthropic/response.js';
import type { AnthropicRequest } from '../anthropic/wire.js';
import type { ChatCompletion, ChatRequest } from '../types.js';
import { isObject } from './wire.js';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** Top-level Anthropic API fields that Bedrock's InvokeModel rejects as extraneous keys. */
const NOT_ON_BEDROCK = ['model', 'stream', 'metadata', 'service_tier', 'container', 'mcp_servers', 'inference_geo'];

export type BedrockAnthropicBody = Omit<AnthropicRequest, 'model'> & { anthropic_version: string; anthropic_beta?: string[] };

export function toBedrockAnthropicBody(req: ChatRequest): BedrockAnthropicBody {
  const a: Record<string, unknown> = { ...toAnthropicRequest(req) };
  for (const k of NOT_ON_BEDROCK) delete a[k];
  const body = { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...a } as BedrockAnthropicBody;
  // Beta features travel in the body on Bedrock, not in an anthropic-beta header.
  const beta = req.anthropic_beta;
  if (typeof beta === 'string' && beta !== '') body.anthropic_beta = beta.split(',').map((b) => b.trim()).filter(Boolean);
  else if (Array.isArray(beta)) body.anthropic_beta = beta.filter((b): b is string => typeof b === 'string');
  return body;
}

export function fromBedrockAnthropicResponse(body: unknown, model: string): ChatCompletion {
  if (!isObject(body) || body.type !== 'message' || !Array.isArray(body.content)) {
    throw new GatewayError({
      status: 502,
      type: 'upstream_error',
      provider: 'bedrock',
      message: 'bedrock error: the InvokeModel response is not an Anthropic message (expected {"type":"message","content":[...]}); check the model is an Anthropic model',
    });
  }
  // Bedrock's model field is the Anthropic name; report what the client asked for, like Converse does.
  return { ...fromAnthropicResponse(body), model };
}
