/**
 * Anthropic models on Vertex AI: rawPredict / streamRawPredict on publishers/anthropic/models/M.
 * The body is Anthropic's Messages format with anthropic_version "vertex-2023-10-16" and no model
 * field (the model is in the URL). Reuses the anthropic provider's pure mappings.
 */
import { toAnthropicRequest } from '../anthropic/index.js';
import type { ChatRequest } from '../types.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

export function toVertexAnthropicRequest(req: ChatRequest, stream: boolean): Record<string, unknown> {
  const { model: _model, ...body } = toAnthropicRequest({ ...req, stream });
  const out: Record<string, unknown> = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body };
  if (!stream) delete out.stream;
  return out;
}
