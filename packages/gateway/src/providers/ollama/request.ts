import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, EmbeddingRequest, JsonObject, ProviderTarget } from '../types.js';

export const OLLAMA_DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

/** Base URL without trailing slash; a custom host given as `.../api` or `.../v1` still works. */
export function ollamaBaseUrl(target: ProviderTarget): string {
  const base = (target.customHost || OLLAMA_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return base.replace(/\/(api|v1)$/, '');
}

/** Ollama needs no auth; a key is sent as a bearer token for Ollama behind a proxy or ollama.com. */
export function ollamaHeaders(target: ProviderTarget): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey) h.authorization = `Bearer ${target.apiKey}`;
  return h;
}

export interface OllamaToolCall { function: { name: string; arguments: JsonObject; index?: number } }
export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  thinking?: string;
  tool_name?: string;
}
export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: Array<{ type: 'function'; function: { name: string; description?: string; parameters: JsonObject } }>;
  format?: 'json' | JsonObject;
  options?: JsonObject;
  think?: boolean | string;
  keep_alive?: string | number;
  logprobs?: boolean;
  top_logprobs?: number;
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** Text of a content value; image parts are collected separately. */
function splitContent(content: ChatMessage['content'], where: string): { text: string; images: string[] } {
  if (content == null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part: ChatContentPart, i) => {
    if (part.type === 'text') texts.push(String((part as { text?: unknown }).text ?? ''));
    else if (part.type === 'image_url') {
      const raw = (part as { image_url?: { url?: unknown } | string }).image_url;
      const url = typeof raw === 'string' ? raw : String(raw?.url ?? '');
      const m = DATA_URL.exec(url);
      if (!m) {
        throw badRequest(
          `${where}.content[${i}].image_url.url: Ollama takes images inline only. Send the image as a base64 data URL (data:image/png;base64,...) instead of a link.`,
          `${where}.content[${i}].image_url.url`,
        );
      }
      images.push(m[2]);
    } else {
      throw badRequest(`${where}.content[${i}].type "${part.type}" is not supported by Ollama; use text or image_url parts.`, `${where}.content[${i}].type`);
    }
  });
  return { text: texts.join('\n'), images };
}

function parseArguments(args: string, where: string): JsonObject {
  if (args.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as JsonObject;
  } catch {
    // fall through to the error below
  }
  throw badRequest(`${where}.function.arguments must be a JSON object encoded as a string (Ollama sends tool arguments as objects).`, `${where}.function.arguments`);
}

function toOllamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  // tool_call_id → function name, so tool results can name their tool as Ollama expects.
  const toolNames = new Map<string, string>();
  return messages.map((m, i): OllamaMessage => {
    const where = `messages[${i}]`;
    const { text, images } = splitContent(m.content, where);
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text };
      case 'user': {
        const out: OllamaMessage = { role: 'user', content: text };
        if (images.length) out.images = images;
        return out;
      }
      case 'assistant': {
        const out: OllamaMessage = { role: 'assistant', content: text };
        if (images.length) out.images = images;
        if (typeof m.reasoning_content === 'string' && m.reasoning_content) out.thinking = m.reasoning_content;
        if (m.tool_calls?.length) {
          out.tool_calls = m.tool_calls.map((tc, j) => {
            toolNames.set(tc.id, tc.function.name);
            return { function: { name: tc.function.name, arguments: parseArguments(tc.function.arguments ?? '', `${where}.tool_calls[${j}]`) } };
          });
        }
        return out;
      }
      case 'tool':
      case 'function': {
        const out: OllamaMessage = { role: 'tool', content: text };
        const name = m.role === 'function' ? m.name : m.tool_call_id ? toolNames.get(m.tool_call_id) : undefined;
        if (name) out.tool_name = name;
        return out;
      }
      default:
        throw badRequest(`${where}.role "${String(m.role)}" is not supported by Ollama; use system, user, assistant or tool.`, `${where}.role`);
    }
  });
}

function toFormat(rf: unknown): OllamaChatRequest['format'] | undefined {
  if (!rf || typeof rf !== 'object') return undefined;
  const f = rf as { type?: string; json_schema?: { schema?: JsonObject } };
  if (f.type === 'json_object') return 'json';
  if (f.type === 'json_schema') {
    if (!f.json_schema?.schema) throw badRequest('response_format.json_schema.schema is required for type json_schema.', 'response_format.json_schema.schema');
    return f.json_schema.schema;
  }
  return undefined;
}

/** OpenAI reasoning_effort → Ollama think; an explicit `think` in the request wins. */
function toThink(req: ChatRequest): boolean | string | undefined {
  const think = req.think;
  if (typeof think === 'boolean' || typeof think === 'string') return think;
  const effort = req.reasoning_effort;
  if (typeof effort !== 'string') return undefined;
  if (effort === 'none') return false;
  if (effort === 'minimal') return 'low';
  return effort;
}

/** OpenAI chat request → Ollama native /api/chat body. Pure. */
export function toOllamaChatRequest(req: ChatRequest, opts: { stream: boolean }): OllamaChatRequest {
  if (typeof req.n === 'number' && req.n > 1) throw badRequest('Ollama returns one choice per request; remove n or set it to 1.', 'n');
  const body: OllamaChatRequest = { model: req.model, messages: toOllamaMessages(req.messages), stream: opts.stream };
  if (req.tools?.length && req.tool_choice !== 'none') {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.function.name,
        ...(t.function.description ? { description: t.function.description } : {}),
        parameters: t.function.parameters ?? { type: 'object', properties: {} },
      },
    }));
  }
  const format = toFormat(req.response_format);
  if (format !== undefined) body.format = format;

  const options: JsonObject = {};
  const extra = typeof req.options === 'object' && req.options ? (req.options as JsonObject) : {};
  if (req.temperature != null) options.temperature = req.temperature;
  if (req.top_p != null) options.top_p = req.top_p;
  if (typeof req.top_k === 'number') options.top_k = req.top_k;
  const maxTokens = req.max_tokens ?? req.max_completion_tokens;
  if (maxTokens != null) options.num_predict = maxTokens;
  if (req.stop != null) options.stop = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (typeof req.seed === 'number') options.seed = req.seed;
  if (typeof req.frequency_penalty === 'number') options.frequency_penalty = req.frequency_penalty;
  if (typeof req.presence_penalty === 'number') options.presence_penalty = req.presence_penalty;
  Object.assign(options, extra); // Ollama-native options (num_ctx, min_p...) given by the caller win
  if (Object.keys(options).length) body.options = options;

  const think = toThink(req);
  if (think !== undefined) body.think = think;
  if (typeof req.keep_alive === 'string' || typeof req.keep_alive === 'number') body.keep_alive = req.keep_alive;
  if (req.logprobs === true) body.logprobs = true;
  if (typeof req.top_logprobs === 'number') body.top_logprobs = req.top_logprobs;
  return body;
}

export interface OllamaEmbedRequest { model: string; input: string | string[]; dimensions?: number; truncate?: boolean; keep_alive?: string }

/** OpenAI embeddings request → Ollama /api/embed body. Pure. */
export function toOllamaEmbedRequest(req: EmbeddingRequest): OllamaEmbedRequest {
  const input = req.input;
  const isText = typeof input === 'string' || (Array.isArray(input) && input.every((x) => typeof x === 'string'));
  if (!isText) throw badRequest('Ollama embeds text only: input must be a string or an array of strings, not token ids.', 'input');
  const body: OllamaEmbedRequest = { model: req.model, input: input as string | string[] };
  if (typeof req.dimensions === 'number') body.dimensions = req.dimensions;
  if (typeof req.truncate === 'boolean') body.truncate = req.truncate;
  if (typeof req.keep_alive === 'string') body.keep_alive = req.keep_alive;
  return body;
}
