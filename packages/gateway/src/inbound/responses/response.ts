/**
 * OpenAI chat completion → Responses API `Response` object, plus the pieces the stream encoder shares:
 * ids, the echoed request fields, usage and status mapping, and the error body.
 */
import { randomBytes } from 'node:crypto';
import type { GatewayError } from '../../errors.js';
import type { ChatCompletion, FinishReason, JsonObject, Usage } from '../../providers/types.js';
import type { OutputItem, ResponsesEcho, ResponsesResponse, ResponsesUsage } from './types.js';

/** `prefix_` + 48 hex chars, the shape OpenAI uses for resp_/msg_/fc_/rs_ ids. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('hex')}`;
}

function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Echoed tools in the Response schema's shape (FunctionTool requires `parameters` and `strict`). */
function echoTools(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t) => {
    if (!isObj(t) || t.type !== 'function') return t;
    return { ...t, parameters: t.parameters ?? null, strict: typeof t.strict === 'boolean' ? t.strict : null };
  });
}

/** The Response object around `output`, echoing the request. Status and timestamps are set by the caller. */
export function baseResponse(echo: ResponsesEcho, id: string, createdAt: number, model: string): ResponsesResponse {
  const text: ResponsesResponse['text'] = { format: isObj(echo.text?.format) ? echo.text.format : { type: 'text' } };
  if (typeof echo.text?.verbosity === 'string') text.verbosity = echo.text.verbosity;
  const r: ResponsesResponse = {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: typeof echo.instructions === 'string' ? echo.instructions : null,
    max_output_tokens: typeof echo.max_output_tokens === 'number' ? echo.max_output_tokens : null,
    model,
    output: [],
    parallel_tool_calls: echo.parallel_tool_calls !== false,
    previous_response_id: typeof echo.previous_response_id === 'string' ? echo.previous_response_id : null,
    reasoning: { effort: typeof echo.reasoning?.effort === 'string' ? echo.reasoning.effort : null, summary: null },
    store: echo.store === true,
    temperature: typeof echo.temperature === 'number' ? echo.temperature : null,
    text,
    tool_choice: echo.tool_choice ?? 'auto',
    tools: echoTools(echo.tools),
    top_p: typeof echo.top_p === 'number' ? echo.top_p : null,
    truncation: 'disabled',
    metadata: isObj(echo.metadata) ? (echo.metadata as Record<string, string>) : {},
  };
  if (typeof echo.user === 'string') r.user = echo.user;
  if (typeof echo.service_tier === 'string') r.service_tier = echo.service_tier;
  if (typeof echo.top_logprobs === 'number') r.top_logprobs = echo.top_logprobs;
  return r;
}

const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0);

export function toResponsesUsage(u: Usage): ResponsesUsage {
  const input = int(u.prompt_tokens);
  const output = int(u.completion_tokens);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: int(u.prompt_tokens_details?.cached_tokens), cache_write_tokens: int(u.cache_creation_input_tokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: int(u.completion_tokens_details?.reasoning_tokens) },
    total_tokens: typeof u.total_tokens === 'number' ? int(u.total_tokens) : input + output,
  };
}

/** finish_reason → Response status; length and content_filter end a response as incomplete. */
export function statusFor(finish: FinishReason | undefined): Pick<ResponsesResponse, 'status' | 'incomplete_details'> {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/**
 * Builds a complete Responses API `Response` from a chat completion. `echo` is the client's Responses
 * request body (model plus the fields the Response echoes back). Only the first choice is used:
 * the Responses API has no `n`.
 */
export function toResponsesResponse(res: ChatCompletion, echo: ResponsesEcho): ResponsesResponse {
  const created = typeof res.created === 'number' && res.created > 0 ? Math.floor(res.created) : nowSeconds();
  const r = baseResponse(echo, newId('resp'), created, res.model || echo.model);
  const choice = res.choices?.[0];
  const { status, incomplete_details } = statusFor(choice?.finish_reason ?? 'stop');
  const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
  const output: OutputItem[] = [];
  const msg = choice?.message;
  if (msg) {
    if (typeof msg.reasoning_content === 'string' && msg.reasoning_content !== '') {
      output.push({ type: 'reasoning', id: newId('rs'), status: itemStatus, summary: [], content: [{ type: 'reasoning_text', text: msg.reasoning_content }] });
    }
    const content: Array<{ type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] } | { type: 'refusal'; refusal: string }> = [];
    if (typeof msg.content === 'string' && msg.content !== '') content.push({ type: 'output_text', text: msg.content, annotations: [], logprobs: [] });
    if (typeof msg.refusal === 'string' && msg.refusal !== '') content.push({ type: 'refusal', refusal: msg.refusal });
    if (content.length > 0) output.push({ type: 'message', id: newId('msg'), role: 'assistant', status: itemStatus, content });
    for (const call of msg.tool_calls ?? []) {
      output.push({
        type: 'function_call',
        id: newId('fc'),
        call_id: call.id || newId('call'),
        name: call.function?.name ?? '',
        arguments: call.function?.arguments ?? '',
        status: itemStatus,
      });
    }
  }
  r.status = status;
  r.incomplete_details = incomplete_details;
  r.completed_at = status === 'completed' ? nowSeconds() : null;
  r.output = output;
  if (res.usage) r.usage = toResponsesUsage(res.usage);
  return r;
}

/** The error body for /v1/responses: OpenAI's error shape, with param and code present (null when unknown). */
export function toResponsesError(err: GatewayError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message: err.message, type: err.type, param: err.param ?? null, code: err.code ?? null } };
}

/** A GatewayError as a Response `error` (its code must be one of the Responses error codes). */
export function responseErrorFor(err: GatewayError): { code: string; message: string } {
  const code = err.status === 429 ? 'rate_limit_exceeded' : err.status === 400 || err.status === 422 ? 'invalid_prompt' : 'server_error';
  return { code, message: err.message };
}
