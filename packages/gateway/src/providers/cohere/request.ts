import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, JsonObject, ProviderTarget } from '../types.js';

export const COHERE_DEFAULT_BASE_URL = 'https://api.cohere.com';

/** Base URL without trailing slash or version; the paths add /v2/... */
export function cohereBaseUrl(target: ProviderTarget): string {
  return (target.customHost || COHERE_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v[12]$/, '');
}

export function cohereHeaders(target: ProviderTarget, stream = false): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
  if (target.apiKey) h.authorization = `Bearer ${target.apiKey}`;
  return h;
}

type CohereUserPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } };
export interface CohereToolCall { id: string; type: 'function'; function: { name: string; arguments: string } }
export type CohereMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string | CohereUserPart[] }
  | { role: 'assistant'; content?: string | Array<{ type: 'text'; text: string } | { type: 'thinking'; thinking: string }>; tool_calls?: CohereToolCall[]; tool_plan?: string }
  | { role: 'tool'; tool_call_id: string; content: string | Array<{ type: 'text'; text: string }> };

export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream: boolean;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: JsonObject } }>;
  strict_tools?: boolean;
  tool_choice?: 'REQUIRED' | 'NONE';
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  k?: number;
  p?: number;
  logprobs?: boolean;
  response_format?: { type: 'text' } | { type: 'json_object'; json_schema?: JsonObject };
  [cohereOnly: string]: unknown;
}

/** Cohere-only request fields a caller may set; Cohere rejects any field it does not know (422). */
const COHERE_NATIVE_FIELDS = ['documents', 'citation_options', 'safety_mode', 'thinking', 'priority'] as const;

function textOf(content: ChatMessage['content'], where: string): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((p: ChatContentPart, i) => {
      if (p.type !== 'text') throw badRequest(`${where}.content[${i}]: only text parts are allowed in this Cohere message role.`, `${where}.content[${i}].type`);
      return String((p as { text?: unknown }).text ?? '');
    })
    .join('\n');
}

function userContent(content: ChatMessage['content'], where: string): string | CohereUserPart[] {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content.map((p: ChatContentPart, i): CohereUserPart => {
    if (p.type === 'text') return { type: 'text', text: String((p as { text?: unknown }).text ?? '') };
    if (p.type === 'image_url') {
      const raw = (p as { image_url?: { url?: unknown; detail?: unknown } | string }).image_url;
      const url = typeof raw === 'string' ? raw : String(raw?.url ?? '');
      const detail = typeof raw === 'object' && typeof raw?.detail === 'string' ? raw.detail : undefined;
      return { type: 'image_url', image_url: detail ? { url, detail } : { url } };
    }
    throw badRequest(`${where}.content[${i}].type "${p.type}" is not supported by Cohere; use text or image_url parts.`, `${where}.content[${i}].type`);
  });
}

function toCohereMessage(m: ChatMessage, i: number): CohereMessage {
  const where = `messages[${i}]`;
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOf(m.content, where) };
    case 'user':
      return { role: 'user', content: userContent(m.content, where) };
    case 'assistant': {
      const text = textOf(m.content, where);
      if (m.tool_calls?.length) {
        // Cohere calls the text that comes with tool calls its tool plan.
        const out: CohereMessage = { role: 'assistant', tool_calls: m.tool_calls.map((tc) => ({ id: tc.id, type: 'function', function: { name: tc.function.name, arguments: tc.function.arguments || '{}' } })) };
        if (text) out.tool_plan = text;
        return out;
      }
      if (typeof m.reasoning_content === 'string' && m.reasoning_content) {
        return { role: 'assistant', content: [{ type: 'thinking', thinking: m.reasoning_content }, { type: 'text', text }] };
      }
      return { role: 'assistant', content: text };
    }
    case 'tool':
      if (!m.tool_call_id) throw badRequest(`${where}.tool_call_id is required on tool messages: it names the assistant tool call this result answers.`, `${where}.tool_call_id`);
      return { role: 'tool', tool_call_id: m.tool_call_id, content: textOf(m.content, where) };
    default:
      throw badRequest(`${where}.role "${String(m.role)}" is not supported by Cohere; use system, user, assistant or tool.`, `${where}.role`);
  }
}

/** OpenAI chat request → Cohere v2 /v2/chat body. Pure. */
export function toCohereChatRequest(req: ChatRequest, opts: { stream: boolean }): CohereChatRequest {
  if (typeof req.n === 'number' && req.n > 1) throw badRequest('Cohere returns one choice per request; remove n or set it to 1.', 'n');
  const body: CohereChatRequest = { model: req.model, messages: req.messages.map(toCohereMessage), stream: opts.stream };

  let tools = req.tools;
  const choice = req.tool_choice;
  if (choice && typeof choice === 'object') {
    // Cohere cannot force one named tool; offering only that tool and requiring a call does the same.
    tools = (tools ?? []).filter((t) => t.function.name === choice.function.name);
    if (!tools.length) throw badRequest(`tool_choice names function "${choice.function.name}", which is not in tools.`, 'tool_choice');
    body.tool_choice = 'REQUIRED';
  } else if (choice === 'required') body.tool_choice = 'REQUIRED';
  else if (choice === 'none') body.tool_choice = 'NONE';
  if (tools?.length) {
    body.tools = tools.map((t) => ({
      type: 'function',
      function: { name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), parameters: t.function.parameters ?? { type: 'object', properties: {} } },
    }));
    if (tools.some((t) => t.function.strict === true)) body.strict_tools = true;
  }

  const maxTokens = req.max_tokens ?? req.max_completion_tokens;
  if (maxTokens != null) body.max_tokens = maxTokens;
  if (req.stop != null) body.stop_sequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.p = req.top_p;
  if (typeof req.top_k === 'number') body.k = req.top_k;
  if (typeof req.seed === 'number') body.seed = req.seed;
  if (typeof req.frequency_penalty === 'number') body.frequency_penalty = req.frequency_penalty;
  if (typeof req.presence_penalty === 'number') body.presence_penalty = req.presence_penalty;
  if (req.logprobs === true) body.logprobs = true;

  const rf = req.response_format as { type?: string; json_schema?: { schema?: JsonObject } } | undefined;
  if (rf?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (rf?.type === 'json_schema') body.response_format = { type: 'json_object', ...(rf.json_schema?.schema ? { json_schema: rf.json_schema.schema } : {}) };

  if (typeof req.reasoning_effort === 'string' && req.thinking === undefined) {
    body.thinking = { type: req.reasoning_effort === 'none' ? 'disabled' : 'enabled' };
  }
  for (const k of COHERE_NATIVE_FIELDS) if (req[k] !== undefined) body[k] = req[k];
  return body;
}
