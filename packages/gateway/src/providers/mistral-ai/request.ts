import { createHash } from 'node:crypto';
import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, EmbeddingRequest, JsonObject, ProviderTarget } from '../types.js';

export const MISTRAL_DEFAULT_BASE_URL = 'https://api.mistral.ai/v1';

/** API base including /v1; a custom host given with or without /v1 works. */
export function mistralBaseUrl(target: ProviderTarget): string {
  const base = (target.customHost || MISTRAL_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return base.endsWith('/v1') ? base : `${base}/v1`;
}

export function mistralHeaders(target: ProviderTarget, stream = false): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
  if (target.apiKey) h.authorization = `Bearer ${target.apiKey}`;
  return h;
}

/**
 * OpenAI request fields that Mistral does not have. Mistral rejects unknown fields (422), so these are
 * dropped (or renamed below); any other field, such as Mistral's own safe_prompt, passes through.
 */
export const OPENAI_ONLY_FIELDS = new Set([
  'stream', 'stream_options', 'user', 'logprobs', 'top_logprobs', 'logit_bias', 'store', 'modalities', 'audio', 'seed',
  'max_completion_tokens', 'functions', 'function_call', 'verbosity', 'web_search_options', 'safety_identifier',
  'prompt_cache_retention', 'service_tier', 'top_k',
]);
const MISTRAL_SERVICE_TIERS = new Set(['auto', 'standard_only']);

const MISTRAL_ID = /^[a-zA-Z0-9]{9}$/;
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Mistral accepts only 9-character alphanumeric tool call ids. Ids from other providers (call_...) are
 * mapped to one deterministically, so a call and its tool result still match.
 */
export function toMistralToolCallId(id: string): string {
  if (MISTRAL_ID.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; i < 9; i++) out += ALNUM[digest[i] % ALNUM.length];
  return out;
}

type Part = JsonObject & { type: string };

function mapPart(p: ChatContentPart): Part {
  if (p.type === 'text') return { type: 'text', text: String((p as { text?: unknown }).text ?? '') };
  if (p.type === 'image_url') {
    const raw = (p as { image_url?: { url?: unknown; detail?: unknown } | string }).image_url;
    if (typeof raw === 'string') return { type: 'image_url', image_url: raw };
    const detail = typeof raw?.detail === 'string' ? raw.detail : undefined;
    return { type: 'image_url', image_url: detail ? { url: String(raw?.url ?? ''), detail } : { url: String(raw?.url ?? '') } };
  }
  if (p.type === 'input_audio') {
    const a = (p as { input_audio?: { data?: unknown } | string }).input_audio;
    return { type: 'input_audio', input_audio: typeof a === 'string' ? a : String(a?.data ?? '') };
  }
  return p as Part; // Mistral's own chunk types (document_url, file, ...) pass through
}

function content(c: ChatMessage['content']): string | Part[] | null {
  if (c == null) return null;
  return typeof c === 'string' ? c : c.map(mapPart);
}

function toMistralMessage(m: ChatMessage, i: number, names: Map<string, string>): JsonObject {
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: content(m.content) ?? '' };
    case 'user':
      return { role: 'user', content: content(m.content) };
    case 'assistant': {
      let c = content(m.content);
      if (typeof m.reasoning_content === 'string' && m.reasoning_content) {
        const rest: Part[] = c == null ? [] : typeof c === 'string' ? [{ type: 'text', text: c }] : c;
        c = [{ type: 'thinking', thinking: [{ type: 'text', text: m.reasoning_content }] }, ...rest];
      }
      const out: JsonObject = { role: 'assistant', content: c };
      if (m.tool_calls?.length) {
        out.tool_calls = m.tool_calls.map((tc) => {
          names.set(tc.id, tc.function.name);
          return { id: toMistralToolCallId(tc.id), type: 'function', function: { name: tc.function.name, arguments: tc.function.arguments ?? '{}' } };
        });
      }
      if (m.prefix === true) out.prefix = true;
      return out;
    }
    case 'tool':
    case 'function': {
      const out: JsonObject = { role: 'tool', content: content(m.content) ?? '' };
      if (m.tool_call_id) out.tool_call_id = toMistralToolCallId(m.tool_call_id);
      const name = m.name ?? (m.tool_call_id ? names.get(m.tool_call_id) : undefined);
      if (name) out.name = name;
      return out;
    }
    default:
      throw badRequest(`messages[${i}].role "${String(m.role)}" is not supported by Mistral; use system, user, assistant or tool.`, `messages[${i}].role`);
  }
}

/** Copies the fields Mistral understands: known OpenAI ones are renamed or dropped, unknown ones pass. */
function passThrough(req: JsonObject, skip: Set<string>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(req)) if (!skip.has(k) && !OPENAI_ONLY_FIELDS.has(k) && v !== undefined) out[k] = v;
  if (typeof req.seed === 'number' && out.random_seed === undefined) out.random_seed = req.seed;
  if (req.max_tokens == null && typeof req.max_completion_tokens === 'number') out.max_tokens = req.max_completion_tokens;
  if (typeof req.service_tier === 'string' && MISTRAL_SERVICE_TIERS.has(req.service_tier)) out.service_tier = req.service_tier;
  return out;
}

/** OpenAI chat request → Mistral /v1/chat/completions body. Pure. */
export function toMistralChatRequest(req: ChatRequest, opts: { stream: boolean }): JsonObject {
  const body = passThrough(req, new Set(['messages', 'tools', 'tool_choice', 'prediction']));
  const names = new Map<string, string>();
  body.messages = req.messages.map((m, i) => toMistralMessage(m, i, names));
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => {
      const fn: JsonObject = { name: t.function.name, parameters: t.function.parameters ?? { type: 'object', properties: {} } };
      if (t.function.description) fn.description = t.function.description;
      if (typeof t.function.strict === 'boolean') fn.strict = t.function.strict;
      const type = (t as { type?: string }).type;
      return type === 'function' || type === undefined ? { type: 'function', function: fn } : t; // Mistral built-in tools pass through
    });
  }
  if (req.tool_choice !== undefined) body.tool_choice = req.tool_choice === 'required' ? 'any' : req.tool_choice;
  const prediction = req.prediction as { type?: string; content?: unknown } | undefined;
  if (prediction && typeof prediction === 'object') {
    const c = prediction.content;
    const text = typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: unknown }) => String(p?.text ?? '')).join('') : '';
    body.prediction = { type: 'content', content: text };
  }
  body.stream = opts.stream;
  return body;
}

/** OpenAI completions request (prompt + suffix) → Mistral FIM /v1/fim/completions body. Pure. */
export function toMistralFimRequest(req: JsonObject & { model: string; prompt: string | string[] }, opts: { stream: boolean }): JsonObject {
  const prompt = Array.isArray(req.prompt) ? (req.prompt.length === 1 ? req.prompt[0] : undefined) : req.prompt;
  if (typeof prompt !== 'string') throw badRequest('Mistral FIM completes one prompt per request: prompt must be a string (or an array of exactly one string).', 'prompt');
  if (typeof req.n === 'number' && req.n > 1) throw badRequest('Mistral FIM returns one choice per request; remove n or set it to 1.', 'n');
  if (req.echo === true) throw badRequest('Mistral FIM cannot echo the prompt; remove echo.', 'echo');
  const body = passThrough(req, new Set(['prompt', 'n', 'echo', 'best_of', 'presence_penalty', 'frequency_penalty']));
  body.prompt = prompt;
  body.stream = opts.stream;
  return body;
}

/** OpenAI embeddings request → Mistral /v1/embeddings body. Pure. */
export function toMistralEmbeddingsRequest(req: EmbeddingRequest): JsonObject {
  const body = passThrough(req, new Set(['dimensions']));
  if (typeof req.dimensions === 'number') body.output_dimension = req.dimensions;
  return body;
}
