/** Bedrock Converse wire shapes (restJson1, member names as in the Smithy model). */
import type { JsonObject } from '../types.js';

export type ConverseImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ConverseImageBlock {
  format: ConverseImageFormat;
  source: { bytes: string } | { s3Location: { uri: string; bucketOwner?: string } };
}

export interface ConverseToolUseBlock { toolUseId: string; name: string; input: unknown }

export type ConverseToolResultContent = { text: string } | { json: unknown } | { image: ConverseImageBlock };

export interface ConverseToolResultBlock { toolUseId: string; content: ConverseToolResultContent[]; status?: 'success' | 'error' }

export interface ConverseReasoningBlock {
  reasoningText?: { text: string; signature?: string };
  redactedContent?: string;
}

export type ConverseContentBlock =
  | { text: string }
  | { image: ConverseImageBlock }
  | { toolUse: ConverseToolUseBlock }
  | { toolResult: ConverseToolResultBlock }
  | { reasoningContent: ConverseReasoningBlock }
  | { cachePoint: { type: 'default' } }
  | JsonObject;

export interface ConverseMessage { role: 'user' | 'assistant'; content: ConverseContentBlock[] }

export interface ConverseTool { toolSpec: { name: string; description?: string; inputSchema: { json: unknown }; strict?: boolean } }

export type ConverseToolChoice = { auto: JsonObject } | { any: JsonObject } | { tool: { name: string } };

export interface ConverseRequest {
  messages: ConverseMessage[];
  system?: Array<{ text: string } | JsonObject>;
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  toolConfig?: { tools: ConverseTool[]; toolChoice?: ConverseToolChoice };
  additionalModelRequestFields?: JsonObject;
  [k: string]: unknown;
}

export interface ConverseTokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
  [k: string]: unknown;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
