/**
 * The slice of the OpenAI Responses API that translation to chat needs. Loosely typed on purpose:
 * bodies arrive as unknown JSON and are checked field by field in request.ts.
 */
import type { JsonObject } from '../../providers/types.js';

/**
 * Request fields echoed back on the Response object. Pass the client's original Responses body
 * (after `fromResponsesRequest` accepted it); extra fields are ignored.
 */
export interface ResponsesEcho {
  model: string;
  instructions?: string | null;
  max_output_tokens?: number | null;
  metadata?: Record<string, string> | null;
  parallel_tool_calls?: boolean | null;
  temperature?: number | null;
  top_p?: number | null;
  tool_choice?: unknown;
  tools?: unknown[] | null;
  text?: { format?: JsonObject; verbosity?: string | null } | null;
  reasoning?: { effort?: string | null; summary?: string | null } | null;
  user?: string | null;
  service_tier?: string | null;
  top_logprobs?: number | null;
  [k: string]: unknown;
}

export type ResponseStatus = 'completed' | 'incomplete' | 'in_progress' | 'failed';

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface OutputTextPart { type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] }
export interface RefusalPart { type: 'refusal'; refusal: string }
export interface ReasoningTextPart { type: 'reasoning_text'; text: string }

export interface MessageItem {
  type: 'message';
  id: string;
  role: 'assistant';
  status: 'in_progress' | 'completed' | 'incomplete';
  content: Array<OutputTextPart | RefusalPart>;
}
export interface ReasoningItem {
  type: 'reasoning';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  summary: Array<{ type: 'summary_text'; text: string }>;
  content: ReasoningTextPart[];
}
export interface FunctionCallItem {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}
export type OutputItem = MessageItem | ReasoningItem | FunctionCallItem;

/** A Responses API `Response` object (the fields the gateway fills). */
export interface ResponsesResponse {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: JsonObject; verbosity?: string | null };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: 'disabled';
  usage?: ResponsesUsage;
  user?: string;
  metadata: Record<string, string>;
  service_tier?: string | null;
  top_logprobs?: number | null;
}
