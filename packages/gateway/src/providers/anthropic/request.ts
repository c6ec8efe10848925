/** OpenAI chat request → Anthropic Messages request. Pure. */
import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatTool, JsonObject } from '../types.js';
import {
  DEFAULT_MAX_TOKENS,
  isObject,
  type AnthropicBlock,
  type AnthropicImageBlock,
  type AnthropicMessageParam,
  type AnthropicRequest,
  type AnthropicTextBlock,
  type AnthropicToolChoice,
} from './wire.js';

/** Anthropic-only request fields a client may send inside an OpenAI-shaped body; passed through as they are. */
const ANTHROPIC_NATIVE_FIELDS = ['top_k', 'thinking', 'cache_control', 'container', 'inference_geo', 'output_config', 'mcp_servers', 'context_management'];
/** Content block types that only Anthropic uses; a client that sends them means them verbatim. */
const ANTHROPIC_NATIVE_BLOCKS = new Set(['image', 'document', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', 'search_result', 'server_tool_use']);
const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

export function toAnthropicRequest(req: ChatRequest): AnthropicRequest {
  if (typeof req.n === 'number' && req.n > 1) {
    throw badRequest('anthropic returns one choice per request; remove `n` or set it to 1', 'n');
  }
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessageParam[] = [];
  req.messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(...textBlocks(m.content, `messages[${i}].content`));
      return;
    }
    const blocks = toBlocks(m, i);
    if (blocks.length === 0) return; // Anthropic rejects empty turns; an empty assistant turn carries nothing.
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const prev = turns[turns.length - 1];
    // Anthropic wants alternating roles: tool results and a following user message share one user turn.
    if (prev && prev.role === role) (prev.content as AnthropicBlock[]).push(...blocks);
    else turns.push({ role, content: blocks });
  });

  const out: AnthropicRequest = { model: req.model, max_tokens: maxTokens(req), messages: turns.map(compactTurn) };
  if (system.length > 0) out.system = system.every((b) => !b.cache_control && !b.citations) ? system.map((b) => b.text).join('\n\n') : system;
  const stop = req.stop === undefined || req.stop === null ? [] : Array.isArray(req.stop) ? req.stop : [req.stop];
  if (stop.length > 0) out.stop_sequences = stop;
  if (req.stream) out.stream = true;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  const userId = typeof req.user === 'string' ? req.user : isObject(req.metadata) && typeof req.metadata.user_id === 'string' ? req.metadata.user_id : undefined;
  if (userId) out.metadata = { user_id: userId };
  if (req.tools && req.tools.length > 0) out.tools = req.tools.map(toTool);
  const choice = toToolChoice(req);
  if (choice) out.tool_choice = choice;
  const format = toOutputFormat(req.response_format);
  if (format) out.output_config = { ...(isObject(req.output_config) ? req.output_config : {}), format };
  for (const f of ANTHROPIC_NATIVE_FIELDS) {
    if (req[f] !== undefined && out[f] === undefined) out[f] = req[f];
  }
  if (req.service_tier === 'auto' || req.service_tier === 'standard_only') out.service_tier = req.service_tier;
  return out;
}

function maxTokens(req: ChatRequest): number {
  const given = req.max_tokens ?? req.max_completion_tokens;
  if (typeof given === 'number') return given;
  // Extended thinking needs max_tokens above its budget.
  const budget = isObject(req.thinking) && typeof req.thinking.budget_tokens === 'number' ? req.thinking.budget_tokens : 0;
  return budget >= DEFAULT_MAX_TOKENS ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS;
}

/** A turn that is a single text block goes out as a plain string, as most clients send it. */
function compactTurn(t: AnthropicMessageParam): AnthropicMessageParam {
  const c = t.content as AnthropicBlock[];
  if (c.length === 1 && c[0].type === 'text' && Object.keys(c[0]).length === 2) return { role: t.role, content: (c[0] as AnthropicTextBlock).text };
  return t;
}

function toBlocks(m: ChatMessage, i: number): AnthropicBlock[] {
  const where = `messages[${i}]`;
  switch (m.role) {
    case 'user':
      return contentBlocks(m.content, `${where}.content`);
    case 'assistant': {
      const blocks: AnthropicBlock[] = [];
      // Signed thinking must come first and go back verbatim when tools are used with extended thinking.
      if (Array.isArray(m.thinking_blocks)) blocks.push(...(m.thinking_blocks as AnthropicBlock[]));
      blocks.push(...contentBlocks(m.content, `${where}.content`));
      (m.tool_calls ?? []).forEach((tc, j) => {
        blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `${where}.tool_calls[${j}].function.arguments`) });
      });
      return blocks;
    }
    case 'tool': {
      if (!m.tool_call_id) throw badRequest(`${where}: a tool message needs tool_call_id, the id of the assistant tool call it answers`, `${where}.tool_call_id`);
      const content = typeof m.content === 'string' ? m.content : contentBlocks(m.content, `${where}.content`).filter((b) => b.type === 'text' || b.type === 'image');
      return [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: content as AnthropicBlock[] | string }];
    }
    default:
      throw badRequest(`${where}.role "${m.role}" is not supported for anthropic; use tool messages with tool_call_id instead of legacy function messages`, `${where}.role`);
  }
}

function parseArguments(args: string, param: string): unknown {
  if (!args || !args.trim()) return {};
  try {
    const v: unknown = JSON.parse(args);
    if (isObject(v)) return v;
  } catch {
    // fall through to the error below
  }
  throw badRequest(`${param} must be a JSON object string (Anthropic's tool_use input is an object)`, param);
}

function textBlocks(content: ChatMessage['content'], param: string): AnthropicTextBlock[] {
  return contentBlocks(content, param).map((b) => {
    if (b.type !== 'text') throw badRequest(`${param}: system and developer messages may contain only text for anthropic`, param);
    return b as AnthropicTextBlock;
  });
}

function contentBlocks(content: ChatMessage['content'], param: string): AnthropicBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw badRequest(`${param} must be a string or an array of content parts`, param);
  const out: AnthropicBlock[] = [];
  content.forEach((p, j) => {
    const b = toBlock(p, `${param}[${j}]`);
    if (b) out.push(b);
  });
  return out;
}

function toBlock(p: ChatContentPart, param: string): AnthropicBlock | undefined {
  if (!isObject(p)) throw badRequest(`${param} must be a content part object`, param);
  const cache = isObject(p.cache_control) ? { cache_control: p.cache_control as unknown as AnthropicTextBlock['cache_control'] } : {};
  if (p.type === 'text') {
    if (typeof p.text !== 'string') throw badRequest(`${param}.text must be a string`, `${param}.text`);
    return p.text === '' ? undefined : { type: 'text', text: p.text, ...cache };
  }
  if (p.type === 'image_url') {
    const url = isObject(p.image_url) ? p.image_url.url : p.image_url;
    if (typeof url !== 'string') throw badRequest(`${param}.image_url.url must be a string (an https URL or a data: URL)`, `${param}.image_url.url`);
    return { ...imageBlock(url, `${param}.image_url.url`), ...cache };
  }
  if (p.type === 'file' && isObject(p.file) && typeof p.file.file_data === 'string') {
    const m = DATA_URL.exec(p.file.file_data);
    if (!m) throw badRequest(`${param}.file.file_data must be a base64 data: URL`, `${param}.file.file_data`);
    return { type: 'document', source: { type: 'base64', media_type: m[1], data: m[2] }, ...cache };
  }
  if (ANTHROPIC_NATIVE_BLOCKS.has(p.type)) return p as AnthropicBlock;
  throw badRequest(`${param}: content part type "${p.type}" is not supported by anthropic; use text, image_url or file (PDF)`, `${param}.type`);
}

function imageBlock(url: string, param: string): AnthropicImageBlock {
  const m = DATA_URL.exec(url);
  if (m) return { type: 'image', source: { type: 'base64', media_type: m[1], data: m[2] } };
  if (url.startsWith('data:')) throw badRequest(`${param}: data URLs must be base64-encoded (data:image/png;base64,...)`, param);
  if (!/^https?:\/\//i.test(url)) throw badRequest(`${param} must be an http(s) URL or a base64 data: URL`, param);
  return { type: 'image', source: { type: 'url', url } };
}

function toTool(tool: ChatTool, i: number): JsonObject {
  const t = tool as unknown as JsonObject;
  if (t.type !== 'function' || !isObject(t.function)) {
    // Anthropic server tools (web_search_..., bash_...) are sent in Anthropic's own shape.
    if (typeof t.type === 'string' && typeof t.name === 'string') return t;
    throw badRequest(`tools[${i}] must be {"type":"function","function":{...}}`, `tools[${i}]`);
  }
  const f = tool.function;
  if (typeof f.name !== 'string' || !f.name) throw badRequest(`tools[${i}].function.name is required`, `tools[${i}].function.name`);
  const schema = isObject(f.parameters) ? f.parameters : { type: 'object', properties: {} };
  const out: JsonObject = { name: f.name, input_schema: schema.type ? schema : { type: 'object', ...schema } };
  if (typeof f.description === 'string') out.description = f.description;
  if (typeof f.strict === 'boolean') out.strict = f.strict;
  if (isObject(t.cache_control)) out.cache_control = t.cache_control;
  return out;
}

function toToolChoice(req: ChatRequest): AnthropicToolChoice | undefined {
  const c = req.tool_choice;
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (c === undefined || c === null) return req.parallel_tool_calls === false && req.tools?.length ? { type: 'auto', ...noParallel } : undefined;
  if (c === 'auto') return { type: 'auto', ...noParallel };
  if (c === 'none') return { type: 'none' };
  if (c === 'required') return { type: 'any', ...noParallel };
  if (isObject(c) && isObject(c.function) && typeof c.function.name === 'string') return { type: 'tool', name: c.function.name, ...noParallel };
  throw badRequest('tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}', 'tool_choice');
}

/** response_format json_schema → Anthropic structured outputs; json_object has no Anthropic equivalent and is left to the prompt. */
function toOutputFormat(rf: unknown): JsonObject | undefined {
  if (!isObject(rf) || rf.type !== 'json_schema' || !isObject(rf.json_schema)) return undefined;
  const schema = rf.json_schema.schema;
  if (!isObject(schema)) throw badRequest('response_format.json_schema.schema must be a JSON Schema object', 'response_format.json_schema.schema');
  return { type: 'json_schema', schema };
}
