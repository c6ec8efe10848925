/**
 * Anthropic Messages API wire types (anthropic-version 2023-06-01), only as far as the mappings
 * need them. Unknown fields are tolerated: the API grows new block and event types.
 */
import type { JsonObject } from '../types.js';

export const ANTHROPIC_VERSION = '2023-06-01';
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1';
/** Used when the client sent no max_tokens: Anthropic requires one. */
export const DEFAULT_MAX_TOKENS = 4096;

export interface CacheControl { type: 'ephemeral'; ttl?: '5m' | '1h' }

export interface AnthropicTextBlock { type: 'text'; text: string; cache_control?: CacheControl; citations?: unknown }
export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string } | JsonObject;
  cache_control?: CacheControl;
}
export interface AnthropicToolUseBlock { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: CacheControl; [k: string]: unknown }
export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | Array<AnthropicTextBlock | AnthropicImageBlock | JsonObject>;
  is_error?: boolean;
  cache_control?: CacheControl;
}
export interface AnthropicThinkingBlock { type: 'thinking'; thinking: string; signature: string }
export interface AnthropicRedactedThinkingBlock { type: 'redacted_thinking'; data: string }

export type AnthropicBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | (JsonObject & { type: string });

export interface AnthropicMessageParam { role: 'user' | 'assistant'; content: string | AnthropicBlock[] }

export interface AnthropicTool { name: string; description?: string; input_schema: JsonObject; [k: string]: unknown }

export type AnthropicToolChoice =
  | { type: 'auto' | 'any' | 'none'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  metadata?: { user_id?: string };
  tools?: Array<AnthropicTool | JsonObject>;
  tool_choice?: AnthropicToolChoice;
  thinking?: JsonObject;
  [k: string]: unknown;
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
  [k: string]: unknown;
}

export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
  [k: string]: unknown;
}

export interface AnthropicErrorBody { type: 'error'; error: { type: string; message: string }; request_id?: string | null }

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
