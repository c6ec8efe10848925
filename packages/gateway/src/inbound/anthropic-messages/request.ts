/** Anthropic Messages request (inbound /v1/messages) → OpenAI chat request, for any provider. Pure. */
import { badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatTool, ChatToolCall, JsonObject } from '../../providers/types.js';

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fromAnthropicMessagesRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw badRequest('the request body must be a JSON object (Anthropic Messages API)');
  const { model, max_tokens: maxTokens, messages } = body;
  if (typeof model !== 'string' || !model) throw badRequest('model: field required (a model name string)', 'model');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 0) {
    throw badRequest('max_tokens: field required (a non-negative integer; the Messages API has no default)', 'max_tokens');
  }
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest('messages: field required (a non-empty array of {role, content})', 'messages');

  const out: ChatMessage[] = [];
  if (body.system !== undefined && body.system !== null) out.push({ role: 'system', content: systemContent(body.system) });
  messages.forEach((m, i) => out.push(...fromMessage(m, i)));

  const req: ChatRequest = { model, messages: out, max_tokens: maxTokens };
  if (body.stream === true) {
    req.stream = true;
    // The Anthropic encoder needs usage for message_delta.
    req.stream_options = { include_usage: true };
  } else if (body.stream !== undefined && body.stream !== false) throw badRequest('stream: must be a boolean', 'stream');
  for (const k of ['temperature', 'top_p'] as const) {
    if (body[k] === undefined) continue;
    if (typeof body[k] !== 'number') throw badRequest(`${k}: must be a number`, k);
    req[k] = body[k] as number;
  }
  if (body.stop_sequences !== undefined) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) throw badRequest('stop_sequences: must be an array of strings', 'stop_sequences');
    if (body.stop_sequences.length > 0) req.stop = body.stop_sequences as string[];
  }
  if (body.metadata !== undefined) {
    if (!isObject(body.metadata)) throw badRequest('metadata: must be an object such as {"user_id": "..."}', 'metadata');
    if (typeof body.metadata.user_id === 'string') req.user = body.metadata.user_id;
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw badRequest('tools: must be an array', 'tools');
    if (body.tools.length > 0) req.tools = body.tools.map(toTool);
  }
  if (body.tool_choice !== undefined) applyToolChoice(req, body.tool_choice);
  // Anthropic-style fields that translated providers may understand; others ignore them.
  if (body.thinking !== undefined) {
    if (!isObject(body.thinking) || typeof body.thinking.type !== 'string') throw badRequest('thinking: must be an object such as {"type":"enabled","budget_tokens":2048}', 'thinking');
    req.thinking = body.thinking;
  }
  // top_k is dropped: OpenAI-style upstreams reject it, and native Anthropic traffic never comes this way.
  return req;
}

function systemContent(system: unknown): string | ChatContentPart[] {
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw badRequest('system: must be a string or an array of text blocks', 'system');
  return system.map((b, j) => {
    if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') throw badRequest(`system.${j}: must be a text block {"type":"text","text":...}`, `system.${j}`);
    return b.cache_control ? { type: 'text', text: b.text, cache_control: b.cache_control } : { type: 'text', text: b.text };
  });
}

function fromMessage(m: unknown, i: number): ChatMessage[] {
  const where = `messages.${i}`;
  if (!isObject(m)) throw badRequest(`${where}: must be an object {role, content}`, where);
  if (m.role !== 'user' && m.role !== 'assistant') {
    throw badRequest(`${where}.role: must be "user" or "assistant" (put system prompts in the top-level system field)`, `${where}.role`);
  }
  if (typeof m.content === 'string') return [{ role: m.role, content: m.content }];
  if (!Array.isArray(m.content)) throw badRequest(`${where}.content: field required (a string or an array of content blocks)`, `${where}.content`);
  const blocks = m.content as unknown[];
  return m.role === 'assistant' ? [fromAssistant(blocks, where)] : fromUser(blocks, where);
}

function fromUser(blocks: unknown[], where: string): ChatMessage[] {
  const toolMsgs: ChatMessage[] = [];
  const parts: ChatContentPart[] = [];
  blocks.forEach((b, j) => {
    const at = `${where}.content.${j}`;
    if (!isObject(b) || typeof b.type !== 'string') throw badRequest(`${at}: must be a content block with a type`, at);
    if (b.type === 'tool_result') {
      if (typeof b.tool_use_id !== 'string') throw badRequest(`${at}.tool_use_id: field required`, `${at}.tool_use_id`);
      const { text, images } = toolResultContent(b.content, at);
      const content = b.is_error === true ? `Error: ${text}` : text;
      toolMsgs.push({ role: 'tool', tool_call_id: b.tool_use_id, content });
      // OpenAI tool messages carry only text; images in a tool result follow as user content.
      parts.push(...images);
      return;
    }
    parts.push(toPart(b, at));
  });
  if (parts.length === 0) return toolMsgs;
  const onlyText = parts.length === 1 && parts[0].type === 'text' && !('cache_control' in parts[0]);
  return [...toolMsgs, { role: 'user', content: onlyText ? (parts[0] as { text: string }).text : parts }];
}

function toolResultContent(content: unknown, at: string): { text: string; images: ChatContentPart[] } {
  if (content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw badRequest(`${at}.content: must be a string or an array of blocks`, `${at}.content`);
  const texts: string[] = [];
  const images: ChatContentPart[] = [];
  content.forEach((b, k) => {
    const p = toPart(b, `${at}.content.${k}`);
    if (p.type === 'text') texts.push((p as { text: string }).text);
    else images.push(p);
  });
  return { text: texts.join('\n'), images };
}

function toPart(b: unknown, at: string): ChatContentPart {
  if (!isObject(b) || typeof b.type !== 'string') throw badRequest(`${at}: must be a content block with a type`, at);
  const cache = b.cache_control ? { cache_control: b.cache_control } : {};
  if (b.type === 'text') {
    if (typeof b.text !== 'string') throw badRequest(`${at}.text: field required`, `${at}.text`);
    return { type: 'text', text: b.text, ...cache };
  }
  const src = isObject(b.source) ? b.source : undefined;
  if (b.type === 'image') {
    if (src?.type === 'base64' && typeof src.media_type === 'string' && typeof src.data === 'string') {
      return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` }, ...cache };
    }
    if (src?.type === 'url' && typeof src.url === 'string') return { type: 'image_url', image_url: { url: src.url }, ...cache };
    throw badRequest(`${at}.source: must be {"type":"base64","media_type","data"} or {"type":"url","url"}`, `${at}.source`);
  }
  if (b.type === 'document') {
    if (src?.type === 'base64' && typeof src.media_type === 'string' && typeof src.data === 'string') {
      const filename = typeof b.title === 'string' ? b.title : 'document.pdf';
      return { type: 'file', file: { filename, file_data: `data:${src.media_type};base64,${src.data}` } };
    }
    if (src?.type === 'text' && typeof src.data === 'string') return { type: 'text', text: src.data };
    throw badRequest(`${at}.source: only base64 and text document sources can be translated for this provider`, `${at}.source`);
  }
  throw badRequest(`${at}.type: "${b.type}" blocks cannot be translated for this provider; use text, image, document, tool_use or tool_result`, `${at}.type`);
}

function fromAssistant(blocks: unknown[], where: string): ChatMessage {
  let text = '';
  let reasoning = '';
  const thinking: JsonObject[] = [];
  const calls: ChatToolCall[] = [];
  blocks.forEach((b, j) => {
    const at = `${where}.content.${j}`;
    if (!isObject(b) || typeof b.type !== 'string') throw badRequest(`${at}: must be a content block with a type`, at);
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || typeof b.name !== 'string') throw badRequest(`${at}: tool_use needs id and name`, at);
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    } else if (b.type === 'thinking') {
      if (typeof b.thinking === 'string') reasoning += b.thinking;
      thinking.push(b);
    } else if (b.type === 'redacted_thinking') thinking.push(b);
    else throw badRequest(`${at}.type: "${b.type}" is not supported in assistant turns here; use text, tool_use or thinking`, `${at}.type`);
  });
  const msg: ChatMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (calls.length > 0) msg.tool_calls = calls;
  if (reasoning) msg.reasoning_content = reasoning;
  if (thinking.length > 0) msg.thinking_blocks = thinking;
  return msg;
}

function toTool(t: unknown, i: number): ChatTool {
  const at = `tools.${i}`;
  if (!isObject(t)) throw badRequest(`${at}: must be an object {name, input_schema}`, at);
  if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
    throw badRequest(`${at}: Anthropic server tool "${String(t.type)}" only runs on Anthropic; use a custom tool {name, input_schema}`, `${at}.type`);
  }
  if (typeof t.name !== 'string' || !t.name) throw badRequest(`${at}.name: field required`, `${at}.name`);
  if (!isObject(t.input_schema)) throw badRequest(`${at}.input_schema: field required (a JSON Schema object)`, `${at}.input_schema`);
  const fn: ChatTool['function'] = { name: t.name, parameters: t.input_schema };
  if (typeof t.description === 'string') fn.description = t.description;
  if (typeof t.strict === 'boolean') fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function applyToolChoice(req: ChatRequest, c: unknown): void {
  if (!isObject(c) || typeof c.type !== 'string') throw badRequest('tool_choice: must be {"type":"auto"|"any"|"tool"|"none"}', 'tool_choice');
  if (c.type === 'auto') req.tool_choice = 'auto';
  else if (c.type === 'any') req.tool_choice = 'required';
  else if (c.type === 'none') req.tool_choice = 'none';
  else if (c.type === 'tool') {
    if (typeof c.name !== 'string') throw badRequest('tool_choice.name: field required when type is "tool"', 'tool_choice.name');
    req.tool_choice = { type: 'function', function: { name: c.name } };
  } else throw badRequest(`tool_choice.type: "${c.type}" is not one of auto, any, tool, none`, 'tool_choice.type');
  if (c.disable_parallel_tool_use === true && c.type !== 'none') req.parallel_tool_calls = false;
}
