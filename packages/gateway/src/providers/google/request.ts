/** OpenAI chat request → Gemini GenerateContentRequest. Pure. */
import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatToolCall, JsonObject } from '../types.js';
import { isObject, toGeminiSchema } from './schema.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest } from './types.js';

/** reasoning_effort → thinkingBudget (tokens). "none" turns thinking off where the model allows it. */
const EFFORT_BUDGET: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576 };

const EXT_MIME: Record<string, string> = {
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', heif: 'image/heif',
  pdf: 'application/pdf', mp3: 'audio/mp3', wav: 'audio/wav', mp4: 'video/mp4', txt: 'text/plain',
};

export function toGeminiRequest(req: ChatRequest): GeminiRequest {
  if (!Array.isArray(req.messages) || req.messages.length === 0) {
    throw badRequest('messages must be a non-empty array.', 'messages');
  }
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();

  req.messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m, where));
        return;
      case 'user':
        contents.push({ role: 'user', parts: userParts(m, where) });
        return;
      case 'assistant':
        contents.push({ role: 'model', parts: assistantParts(m, where, toolNames) });
        return;
      case 'tool':
      case 'function': {
        const part = functionResponsePart(m, where, toolNames);
        // Gemini wants all responses to one model turn in a single user turn.
        const last = contents[contents.length - 1];
        if (last && last.role === 'user' && last.parts.every((p) => p.functionResponse)) last.parts.push(part);
        else contents.push({ role: 'user', parts: [part] });
        return;
      }
      default:
        throw badRequest(`${where}.role "${String((m as ChatMessage).role)}" is not supported; use system, developer, user, assistant or tool.`, `${where}.role`);
    }
  });
  if (contents.length === 0) throw badRequest('messages needs at least one user or assistant message; Gemini cannot answer a system prompt alone.', 'messages');

  const out: GeminiRequest = { contents };
  if (system.length) out.systemInstruction = { parts: system };
  const tools = toGeminiTools(req);
  if (tools) out.tools = tools;
  const toolConfig = toGeminiToolConfig(req);
  if (toolConfig) out.toolConfig = toolConfig;
  const gen = toGenerationConfig(req);
  if (Object.keys(gen).length) out.generationConfig = gen;
  if (Array.isArray(req.safety_settings)) out.safetySettings = req.safety_settings;
  else if (Array.isArray(req.safetySettings)) out.safetySettings = req.safetySettings;
  if (typeof req.cached_content === 'string') out.cachedContent = req.cached_content;
  return out;
}

function textParts(m: ChatMessage, where: string): GeminiPart[] {
  if (typeof m.content === 'string') return m.content ? [{ text: m.content }] : [];
  if (Array.isArray(m.content)) {
    return m.content.map((p, j) => {
      if (p.type !== 'text' || typeof p.text !== 'string') {
        throw badRequest(`${where}.content[${j}] is a ${p.type} part; Gemini system instructions take text only.`, `${where}.content`);
      }
      return { text: p.text };
    });
  }
  return [];
}

function userParts(m: ChatMessage, where: string): GeminiPart[] {
  if (typeof m.content === 'string') return [{ text: m.content }];
  if (!Array.isArray(m.content) || m.content.length === 0) {
    throw badRequest(`${where}.content must be a non-empty string or array of content parts.`, `${where}.content`);
  }
  return m.content.map((p, j) => contentPart(p, `${where}.content[${j}]`));
}

function contentPart(p: ChatContentPart, where: string): GeminiPart {
  if (p.type === 'text' && typeof p.text === 'string') return { text: p.text };
  if (p.type === 'image_url') {
    const iu = p.image_url as { url?: unknown } | string | undefined;
    const url = typeof iu === 'string' ? iu : iu?.url;
    if (typeof url !== 'string') throw badRequest(`${where}.image_url.url must be a string.`, where);
    return mediaPart(url, where);
  }
  if (p.type === 'input_audio' && isObject(p.input_audio)) {
    const a = p.input_audio as { data?: unknown; format?: unknown };
    if (typeof a.data !== 'string') throw badRequest(`${where}.input_audio.data must be base64 text.`, where);
    return { inlineData: { mimeType: `audio/${typeof a.format === 'string' ? a.format : 'wav'}`, data: a.data } };
  }
  if (p.type === 'file' && isObject(p.file)) {
    const f = p.file as { file_data?: unknown; file_id?: unknown; filename?: unknown };
    if (typeof f.file_data === 'string') return mediaPart(f.file_data, where);
    if (typeof f.file_id === 'string') return { fileData: withMime(f.file_id, typeof f.filename === 'string' ? f.filename : f.file_id) };
  }
  throw badRequest(`${where} has type "${p.type}", which Gemini cannot take; use text, image_url, input_audio or file.`, where);
}

/** data: URLs are sent inline; http(s)/gs:// URLs by reference as fileData. */
function mediaPart(url: string, where: string): GeminiPart {
  if (url.startsWith('data:')) {
    const m = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
    if (!m) throw badRequest(`${where}: data URL must be base64 encoded (data:<mime>;base64,<data>).`, where);
    return { inlineData: { mimeType: m[1], data: m[2] } };
  }
  if (/^(https?|gs):\/\//i.test(url)) return { fileData: withMime(url, url) };
  throw badRequest(`${where}: URL must be a data: URL or an http(s):// or gs:// URL.`, where);
}

function withMime(uri: string, name: string): { fileUri: string; mimeType?: string } {
  const ext = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(name)?.[1]?.toLowerCase();
  const mimeType = ext ? EXT_MIME[ext] : undefined;
  return mimeType ? { fileUri: uri, mimeType } : { fileUri: uri };
}

function assistantParts(m: ChatMessage, where: string, toolNames: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (typeof m.content === 'string' && m.content) parts.push({ text: m.content });
  else if (Array.isArray(m.content)) {
    for (const p of m.content) if (p.type === 'text' && typeof p.text === 'string' && p.text) parts.push({ text: p.text });
  }
  for (const [k, tc] of (m.tool_calls ?? []).entries()) {
    parts.push(functionCallPart(tc, `${where}.tool_calls[${k}]`));
    toolNames.set(tc.id, tc.function.name);
  }
  // Gemini rejects a model turn without parts.
  if (parts.length === 0) parts.push({ text: '' });
  return parts;
}

function functionCallPart(tc: ChatToolCall, where: string): GeminiPart {
  let args: unknown = {};
  const raw = tc.function?.arguments;
  if (typeof raw === 'string' && raw.trim()) {
    try {
      args = JSON.parse(raw);
    } catch {
      throw badRequest(`${where}.function.arguments is not valid JSON; Gemini needs the arguments as a JSON object.`, `${where}.function.arguments`);
    }
  }
  if (!isObject(args)) throw badRequest(`${where}.function.arguments must encode a JSON object.`, `${where}.function.arguments`);
  const part: GeminiPart = { functionCall: { name: tc.function.name, args } };
  // Thought signatures must travel back with the call on thinking models (Google's own OpenAI layer uses this field).
  const sig = (tc as ChatToolCall & { extra_content?: { google?: { thought_signature?: unknown } } }).extra_content?.google?.thought_signature;
  if (typeof sig === 'string') part.thoughtSignature = sig;
  return part;
}

function functionResponsePart(m: ChatMessage, where: string, toolNames: Map<string, string>): GeminiPart {
  const name = (m.tool_call_id && toolNames.get(m.tool_call_id)) || m.name;
  if (!name) {
    throw badRequest(`${where}.tool_call_id "${m.tool_call_id ?? ''}" matches no earlier assistant tool call; Gemini needs the function name for every tool result.`, `${where}.tool_call_id`);
  }
  const text = typeof m.content === 'string' ? m.content
    : Array.isArray(m.content) ? m.content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('') : '';
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Plain text result: keep it as a string.
  }
  return { functionResponse: { name, response: isObject(value) ? value : { result: value } } };
}

function toGeminiTools(req: ChatRequest): GeminiRequest['tools'] {
  if (!req.tools?.length) return undefined;
  const decls = req.tools.map((t, i) => {
    if (t.type !== 'function' || !t.function?.name) {
      throw badRequest(`tools[${i}] must be {"type":"function","function":{"name":...}}; Gemini supports function tools only.`, `tools[${i}]`);
    }
    const d: { name: string; description?: string; parameters?: ReturnType<typeof toGeminiSchema> } = { name: t.function.name };
    if (t.function.description) d.description = t.function.description;
    const params = t.function.parameters;
    if (params !== undefined) {
      const s = toGeminiSchema(params, `tools[${i}].function.parameters`);
      // Gemini rejects OBJECT parameters with no properties; a function without arguments has none.
      if (!(s.type === 'OBJECT' && !s.properties && !s.anyOf)) d.parameters = s;
    }
    return d;
  });
  return [{ functionDeclarations: decls }];
}

function toGeminiToolConfig(req: ChatRequest): GeminiRequest['toolConfig'] {
  const tc = req.tool_choice;
  if (tc === undefined || !req.tools?.length) return undefined;
  if (tc === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (tc === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (tc === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  if (isObject(tc) && tc.type === 'function' && typeof tc.function?.name === 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [tc.function.name] } };
  }
  throw badRequest('tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}.', 'tool_choice');
}

function toGenerationConfig(req: ChatRequest): GeminiGenerationConfig {
  const g: GeminiGenerationConfig = {};
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (typeof max === 'number') g.maxOutputTokens = max;
  if (typeof req.temperature === 'number') g.temperature = req.temperature;
  if (typeof req.top_p === 'number') g.topP = req.top_p;
  if (typeof req.top_k === 'number') g.topK = req.top_k;
  if (req.stop !== undefined && req.stop !== null) g.stopSequences = Array.isArray(req.stop) ? req.stop : [req.stop];
  if (typeof req.n === 'number' && req.n !== 1) g.candidateCount = req.n;
  if (typeof req.seed === 'number') g.seed = req.seed;
  if (typeof req.presence_penalty === 'number') g.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number') g.frequencyPenalty = req.frequency_penalty;
  if (req.logprobs === true) {
    g.responseLogprobs = true;
    if (typeof req.top_logprobs === 'number') g.logprobs = req.top_logprobs;
  }
  const rf = req.response_format as JsonObject | undefined;
  if (isObject(rf)) {
    if (rf.type === 'json_object') g.responseMimeType = 'application/json';
    else if (rf.type === 'json_schema') {
      const js = rf.json_schema as JsonObject | undefined;
      if (!isObject(js) || !isObject(js.schema)) throw badRequest('response_format.json_schema.schema must be a JSON Schema object.', 'response_format.json_schema.schema');
      g.responseMimeType = 'application/json';
      g.responseSchema = toGeminiSchema(js.schema, 'response_format.json_schema.schema');
    } else if (rf.type !== 'text') {
      throw badRequest(`response_format.type "${String(rf.type)}" is not supported; use text, json_object or json_schema.`, 'response_format.type');
    }
  }
  const thinking = toThinkingConfig(req);
  if (thinking) g.thinkingConfig = thinking;
  return g;
}

/** Portkey/Anthropic-style `thinking` or OpenAI `reasoning_effort` → thinkingConfig. */
function toThinkingConfig(req: ChatRequest): GeminiGenerationConfig['thinkingConfig'] {
  const t = req.thinking as { type?: unknown; budget_tokens?: unknown; include_thoughts?: unknown } | undefined;
  if (isObject(t)) {
    if (t.type === 'disabled') return { thinkingBudget: 0 };
    const out: { includeThoughts?: boolean; thinkingBudget?: number } = { includeThoughts: t.include_thoughts !== false };
    if (typeof t.budget_tokens === 'number') out.thinkingBudget = t.budget_tokens;
    return out;
  }
  const effort = req.reasoning_effort;
  if (typeof effort === 'string') {
    const budget = EFFORT_BUDGET[effort];
    if (budget === undefined) throw badRequest(`reasoning_effort "${effort}" is not one of ${Object.keys(EFFORT_BUDGET).join(', ')}.`, 'reasoning_effort');
    return budget === 0 ? { thinkingBudget: 0 } : { includeThoughts: true, thinkingBudget: budget };
  }
  return undefined;
}
