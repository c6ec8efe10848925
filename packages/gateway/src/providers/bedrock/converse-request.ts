/** OpenAI chat request → Bedrock Converse / ConverseStream request body. Pure. */
import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, JsonObject } from '../types.js';
import {
  isObject,
  type ConverseContentBlock,
  type ConverseImageBlock,
  type ConverseImageFormat,
  type ConverseMessage,
  type ConverseRequest,
  type ConverseTool,
  type ConverseToolChoice,
} from './wire.js';

/** OpenAI fields that are either mapped below or have no Bedrock meaning; never forwarded to the model. */
const OPENAI_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop',
  'tools', 'tool_choice', 'user', 'n', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'logit_bias',
  'seed', 'response_format', 'parallel_tool_calls', 'metadata', 'store', 'service_tier', 'reasoning_effort', 'modalities',
  'audio', 'prediction', 'web_search_options', 'functions', 'function_call', 'verbosity', 'prompt_cache_key',
  'safety_identifier', 'additionalModelRequestFields', 'additional_model_request_fields',
]);
/** Converse's own top-level members, accepted verbatim from clients that know them. */
const CONVERSE_NATIVE_FIELDS = ['guardrailConfig', 'performanceConfig', 'requestMetadata', 'additionalModelResponseFieldPaths', 'promptVariables', 'outputConfig', 'serviceTier'];

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;
const IMAGE_FORMATS: Record<string, ConverseImageFormat> = {
  'image/png': 'png', 'image/jpeg': 'jpeg', 'image/jpg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp',
};

export function toBedrockConverseRequest(req: ChatRequest): ConverseRequest {
  if (typeof req.n === 'number' && req.n > 1) throw badRequest('bedrock returns one choice per request; remove `n` or set it to 1', 'n');
  if (!Array.isArray(req.messages)) throw badRequest('bedrock: `messages` must be an array of chat messages', 'messages');
  const system: Array<{ text: string }> = [];
  const messages: ConverseMessage[] = [];
  req.messages.forEach((m, i) => {
    if (m.role === 'system' || m.role === 'developer') {
      for (const text of textsOf(m.content, `messages[${i}].content`)) if (text.trim() !== '') system.push({ text });
      return;
    }
    const blocks = toBlocks(m, i);
    if (blocks.length === 0) return; // Bedrock rejects empty and blank content; such a turn carries nothing.
    const role = m.role === 'assistant' ? 'assistant' : 'user';
    const prev = messages[messages.length - 1];
    // Converse wants alternating roles: tool results and the next user message share one user turn.
    if (prev && prev.role === role) prev.content.push(...blocks);
    else messages.push({ role, content: blocks });
  });

  const out: ConverseRequest = { messages };
  if (system.length > 0) out.system = system;
  const inference = inferenceConfig(req);
  if (inference) out.inferenceConfig = inference;
  const toolConfig = toToolConfig(req, messages);
  if (toolConfig) out.toolConfig = toolConfig;
  const output = outputConfig(req.response_format);
  if (output) out.outputConfig = output;
  for (const f of CONVERSE_NATIVE_FIELDS) if (req[f] !== undefined) out[f] = req[f];

  const extra: JsonObject = {};
  for (const [k, v] of Object.entries(req)) if (!OPENAI_FIELDS.has(k) && !CONVERSE_NATIVE_FIELDS.includes(k) && v !== undefined) extra[k] = v;
  for (const explicit of [req.additional_model_request_fields, req.additionalModelRequestFields]) if (isObject(explicit)) Object.assign(extra, explicit);
  if (Object.keys(extra).length > 0) out.additionalModelRequestFields = extra;
  return out;
}

function inferenceConfig(req: ChatRequest): ConverseRequest['inferenceConfig'] {
  const cfg: NonNullable<ConverseRequest['inferenceConfig']> = {};
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (typeof max === 'number') cfg.maxTokens = max;
  if (typeof req.temperature === 'number') cfg.temperature = req.temperature;
  if (typeof req.top_p === 'number') cfg.topP = req.top_p;
  const stop = req.stop == null ? [] : Array.isArray(req.stop) ? req.stop : [req.stop];
  const nonEmpty = stop.filter((s) => typeof s === 'string' && s !== '');
  if (nonEmpty.length > 0) cfg.stopSequences = nonEmpty;
  return Object.keys(cfg).length > 0 ? cfg : undefined;
}

function textsOf(content: ChatMessage['content'], where: string): string[] {
  if (content == null) return [];
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) throw badRequest(`bedrock: ${where} must be a string or an array of content parts`, where);
  return content.map((p, j) => {
    if (p.type === 'text' && typeof p.text === 'string') return p.text;
    throw badRequest(`bedrock: ${where}[${j}] has type "${p.type}", but only text parts are allowed here`, `${where}[${j}]`);
  });
}

function toBlocks(m: ChatMessage, i: number): ConverseContentBlock[] {
  const where = `messages[${i}]`;
  if (m.role === 'tool' || m.role === 'function') {
    const id = m.tool_call_id ?? (m.role === 'function' ? m.name : undefined);
    if (!id) throw badRequest(`bedrock: ${where} is a tool message without tool_call_id; set it to the id of the tool call it answers`, `${where}.tool_call_id`);
    const texts = typeof m.content === 'string' || m.content == null ? [m.content ?? ''] : textsOf(m.content, `${where}.content`);
    const content = texts.filter((t) => t !== '').map((text) => ({ text }));
    // A tool result with no content is valid in OpenAI; Bedrock needs at least one block.
    return [{ toolResult: { toolUseId: id, content: content.length > 0 ? content : [{ text: '' }] } }];
  }
  // Reasoning must come first in an assistant turn, as the model produced it.
  const blocks: ConverseContentBlock[] = m.role === 'assistant' ? reasoningBlocks(m) : [];
  if (typeof m.content === 'string') {
    if (m.content.trim() !== '') blocks.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    m.content.forEach((p, j) => {
      const b = toPart(p, `${where}.content[${j}]`);
      if (b) blocks.push(b);
    });
  } else if (m.content != null) {
    throw badRequest(`bedrock: ${where}.content must be a string or an array of content parts`, `${where}.content`);
  }
  if (m.role === 'assistant' && Array.isArray(m.tool_calls)) {
    m.tool_calls.forEach((c, j) => {
      blocks.push({ toolUse: { toolUseId: c.id, name: c.function.name, input: parseArguments(c.function.arguments, `${where}.tool_calls[${j}].function.arguments`) } });
    });
  }
  return blocks;
}

function toPart(p: ChatContentPart, where: string): ConverseContentBlock | undefined {
  if (p.type === 'text') {
    const text = (p as { text?: unknown }).text;
    if (typeof text !== 'string') throw badRequest(`bedrock: ${where}.text must be a string`, where);
    return text.trim() === '' ? undefined : { text };
  }
  if (p.type === 'file') return { document: toDocument(p as JsonObject, where) };
  if (p.type === 'image_url') {
    const url = (p as { image_url?: { url?: unknown } }).image_url?.url;
    if (typeof url !== 'string') throw badRequest(`bedrock: ${where}.image_url.url must be a string`, where);
    return { image: toImage(url, where) };
  }
  // Converse-native blocks ({type:'cachePoint'|'document'|...}) pass through as the single member they name.
  const { type, ...rest } = p as JsonObject & { type: string };
  if (['cachePoint', 'document', 'video', 'guardContent', 'reasoningContent'].includes(type)) {
    const inner = rest[type];
    return { [type]: isObject(inner) ? inner : rest };
  }
  throw badRequest(`bedrock: ${where} has content type "${type}", which Bedrock Converse does not accept; send text, image_url or file parts`, where);
}

function toImage(url: string, where: string): ConverseImageBlock {
  const m = DATA_URL.exec(url);
  if (m) {
    const format = IMAGE_FORMATS[m[1]!.toLowerCase()];
    if (!format) throw badRequest(`bedrock: ${where} is a ${m[1]} image; Bedrock accepts png, jpeg, gif and webp`, where);
    return { format, source: { bytes: m[2]!.replace(/\s+/g, '') } };
  }
  if (url.startsWith('s3://')) {
    const ext = /\.([a-z]+)$/i.exec(url)?.[1]?.toLowerCase();
    const format = ext === 'jpg' ? 'jpeg' : (ext as ConverseImageFormat | undefined);
    if (!format || !Object.values(IMAGE_FORMATS).includes(format)) {
      throw badRequest(`bedrock: ${where} names an S3 object without a .png/.jpeg/.gif/.webp extension, so its format is unknown`, where);
    }
    return { format, source: { s3Location: { uri: url } } };
  }
  throw badRequest(`bedrock: ${where} is an image URL, but Bedrock does not fetch URLs; send the image as a base64 data URL (data:image/png;base64,...) or an s3:// URI`, where);
}

const DOC_FORMATS: Record<string, string> = {
  'application/pdf': 'pdf', 'text/csv': 'csv', 'application/msword': 'doc', 'text/html': 'html', 'text/plain': 'txt', 'text/markdown': 'md',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx', 'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
};

/** OpenAI file part {file:{file_data:"data:...;base64,...", filename}} → Converse document block. */
function toDocument(p: JsonObject, where: string): JsonObject {
  const file = isObject(p.file) ? p.file : {};
  const m = typeof file.file_data === 'string' ? DATA_URL.exec(file.file_data) : null;
  if (!m) throw badRequest(`bedrock: ${where} must carry file.file_data as a base64 data URL; Bedrock cannot fetch file ids`, where);
  const format = DOC_FORMATS[m[1]!.toLowerCase()];
  if (!format) throw badRequest(`bedrock: ${where} is ${m[1]}; Bedrock documents are pdf, csv, doc, docx, xls, xlsx, html, txt or md`, where);
  // Bedrock allows letters, digits, single spaces, hyphens, parentheses and brackets in document names.
  const base = typeof file.filename === 'string' ? file.filename.replace(/\.[^.]*$/, '') : 'document';
  const name = base.replace(/[^A-Za-z0-9\s\-()[\]]/g, '-').replace(/\s+/g, ' ').trim().slice(0, 200) || 'document';
  return { format, name, source: { bytes: m[2]!.replace(/\s+/g, '') } };
}

/** Signed thinking from an earlier turn (Anthropic-shaped, as the gateway returns it) → reasoningContent blocks. */
function reasoningBlocks(m: ChatMessage): ConverseContentBlock[] {
  if (!Array.isArray(m.thinking_blocks)) return [];
  return (m.thinking_blocks as unknown[]).flatMap((b): ConverseContentBlock[] => {
    if (!isObject(b)) return [];
    if (b.type === 'thinking' && typeof b.thinking === 'string') {
      const reasoningText: { text: string; signature?: string } = { text: b.thinking };
      if (typeof b.signature === 'string' && b.signature !== '') reasoningText.signature = b.signature;
      return [{ reasoningContent: { reasoningText } }];
    }
    if (b.type === 'redacted_thinking' && typeof b.data === 'string') return [{ reasoningContent: { redactedContent: b.data } }];
    return [];
  });
}

function parseArguments(args: string, where: string): unknown {
  if (args === '' || args == null) return {};
  try {
    return JSON.parse(args);
  } catch {
    throw badRequest(`bedrock: ${where} is not valid JSON; Bedrock needs tool call arguments as a JSON object`, where);
  }
}

function toToolConfig(req: ChatRequest, messages: ConverseMessage[]): ConverseRequest['toolConfig'] {
  const tools: ConverseTool[] = (req.tools ?? []).map((t, i) => {
    if (t.type !== 'function' || !t.function?.name) throw badRequest(`bedrock: tools[${i}] must be {"type":"function","function":{"name":...}}`, `tools[${i}]`);
    const spec: ConverseTool['toolSpec'] = { name: t.function.name, inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } } };
    if (t.function.description) spec.description = t.function.description;
    if (typeof t.function.strict === 'boolean') spec.strict = t.function.strict;
    return { toolSpec: spec };
  });
  // Converse rejects toolUse/toolResult blocks without a toolConfig; declare the tools the history used.
  if (tools.length === 0) {
    const used = new Set<string>();
    for (const m of messages) for (const b of m.content) if ('toolUse' in b && isObject(b.toolUse)) used.add(String(b.toolUse.name));
    const hasResults = messages.some((m) => m.content.some((b) => 'toolResult' in b));
    if (used.size === 0 && !hasResults) return undefined;
    for (const name of used) tools.push({ toolSpec: { name, inputSchema: { json: { type: 'object' } } } });
    if (tools.length === 0) return undefined;
    return { tools };
  }
  const choice = req.tool_choice;
  if (choice === undefined || choice === 'auto') return { tools, toolChoice: { auto: {} } };
  if (choice === 'none') {
    // Converse has no "none": drop the tools, unless the history's tool blocks need them declared.
    const historyUsesTools = messages.some((m) => m.content.some((b) => 'toolUse' in b || 'toolResult' in b));
    return historyUsesTools ? { tools } : undefined;
  }
  if (choice === 'required') return { tools, toolChoice: { any: {} } };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string') {
    return { tools, toolChoice: { tool: { name: choice.function.name } } satisfies ConverseToolChoice };
  }
  throw badRequest('bedrock: tool_choice must be "auto", "none", "required" or {"type":"function","function":{"name":...}}', 'tool_choice');
}

function outputConfig(format: unknown): JsonObject | undefined {
  if (!isObject(format) || format.type !== 'json_schema' || !isObject(format.json_schema)) return undefined;
  const js = format.json_schema;
  if (!isObject(js.schema)) throw badRequest('bedrock: response_format.json_schema.schema must be a JSON Schema object', 'response_format');
  const jsonSchema: JsonObject = { schema: JSON.stringify(js.schema) };
  if (typeof js.name === 'string') jsonSchema.name = js.name;
  if (typeof js.description === 'string') jsonSchema.description = js.description;
  return { textFormat: { type: 'json_schema', structure: { jsonSchema } } };
}
