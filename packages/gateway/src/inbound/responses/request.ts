/**
 * Responses API request → OpenAI chat request, for providers without a native /v1/responses.
 * Translation itself is stateless: the pipeline puts the history of a previous_response_id the gateway
 * kept in front of `input` (responses-stage.ts). Other stored state (conversation, item references,
 * stored prompts, background) is refused with a 400 that says where it is available.
 */
import { GatewayError, badRequest } from '../../errors.js';
import type { ChatContentPart, ChatMessage, ChatRequest, ChatTool, ChatToolCall, JsonObject } from '../../providers/types.js';

const STATELESS =
  'the gateway keeps no such state when it translates the Responses API for this provider; ' +
  'send the full conversation in `input` (or continue with previous_response_id), or route to a provider with a native Responses API (openai, azure-openai)';

function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function optString(body: JsonObject, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${key} must be a string, got ${typeName(v)}`, key);
  return v;
}

function optNumber(body: JsonObject, key: string, min: number, max: number, integer = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw badRequest(`${key} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${JSON.stringify(v)}`, key);
  }
  return v;
}

function optBool(body: JsonObject, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`${key} must be a boolean, got ${typeName(v)}`, key);
  return v;
}

// ---------- input ----------

function contentPart(part: unknown, where: string, role: string): ChatContentPart {
  if (!isObj(part)) throw badRequest(`${where} must be an object with a "type", got ${typeName(part)}`, where);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (typeof part.text !== 'string') throw badRequest(`${where}.text must be a string`, `${where}.text`);
      return { type: 'text', text: part.text };
    case 'refusal':
      if (typeof part.refusal !== 'string') throw badRequest(`${where}.refusal must be a string`, `${where}.refusal`);
      return { type: 'text', text: part.refusal };
    case 'input_image': {
      if (role === 'assistant') throw badRequest(`${where}: assistant messages cannot contain input_image`, where);
      if (typeof part.image_url !== 'string' || part.image_url === '') {
        throw badRequest(
          `${where}.image_url must be an http(s) or data: URL; file_id images need the provider's file storage, which translated providers lack`,
          `${where}.image_url`,
        );
      }
      const image_url: { url: string; detail?: string } = { url: part.image_url };
      // chat knows low/high/auto; Responses' "original" (full resolution) is closest to high
      if (part.detail === 'low' || part.detail === 'high' || part.detail === 'auto') image_url.detail = part.detail;
      else if (part.detail === 'original') image_url.detail = 'high';
      return { type: 'image_url', image_url };
    }
    case 'input_file': {
      if (typeof part.file_url === 'string') {
        throw badRequest(`${where}.file_url is not supported when translating to chat; send the file inline as file_data (a base64 data: URL)`, `${where}.file_url`);
      }
      const file: JsonObject = {};
      if (typeof part.file_data === 'string') file.file_data = part.file_data;
      if (typeof part.file_id === 'string') file.file_id = part.file_id;
      if (typeof part.filename === 'string') file.filename = part.filename;
      if (!file.file_data && !file.file_id) throw badRequest(`${where} needs file_data or file_id`, where);
      return { type: 'file', file };
    }
    default:
      throw badRequest(`${where}.type must be one of input_text, input_image, input_file (output_text/refusal in assistant messages), got ${JSON.stringify(part.type)}`, `${where}.type`);
  }
}

function messageFromItem(item: JsonObject, where: string): ChatMessage {
  const role = item.role;
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw badRequest(`${where}.role must be one of user, assistant, system, developer, got ${JSON.stringify(role)}`, `${where}.role`);
  }
  const c = item.content;
  if (typeof c === 'string') return { role, content: c };
  if (!Array.isArray(c)) throw badRequest(`${where}.content must be a string or an array of content parts, got ${typeName(c)}`, `${where}.content`);
  const parts = c.map((p, i) => contentPart(p, `${where}.content[${i}]`, role));
  // Assistant and system turns are text-only in chat: join their parts.
  if (role !== 'user') {
    const nonText = parts.find((p) => p.type !== 'text');
    if (nonText) throw badRequest(`${where}: ${role} messages can only contain text when translated to chat, got ${nonText.type}`, `${where}.content`);
    return { role, content: parts.map((p) => (p as { text: string }).text).join('') };
  }
  return { role, content: parts };
}

/** Appends a tool call to the trailing assistant turn (parallel calls and text+calls share one chat message). */
function pushToolCall(messages: ChatMessage[], call: ChatToolCall): void {
  const last = messages[messages.length - 1];
  if (last && last.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    if (last.content === '') last.content = null;
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

function toolOutput(output: unknown, where: string): string | ChatContentPart[] {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw badRequest(`${where}.output must be a string or an array of content parts`, `${where}.output`);
  return output.map((p, i) => contentPart(p, `${where}.output[${i}]`, 'tool'));
}

function inputMessages(input: unknown): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) throw badRequest(`input must be a string or an array of input items, got ${typeName(input)}`, 'input');
  const messages: ChatMessage[] = [];
  input.forEach((item, i) => {
    const where = `input[${i}]`;
    if (!isObj(item)) throw badRequest(`${where} must be an object, got ${typeName(item)}`, where);
    const type = item.type ?? 'message';
    switch (type) {
      case 'message':
        messages.push(messageFromItem(item, where));
        return;
      case 'function_call': {
        if (typeof item.call_id !== 'string' || item.call_id === '') throw badRequest(`${where}.call_id must be a non-empty string`, `${where}.call_id`);
        if (typeof item.name !== 'string' || item.name === '') throw badRequest(`${where}.name must be a non-empty string`, `${where}.name`);
        if (typeof item.arguments !== 'string') throw badRequest(`${where}.arguments must be a JSON string`, `${where}.arguments`);
        pushToolCall(messages, { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string' || item.call_id === '') throw badRequest(`${where}.call_id must be a non-empty string`, `${where}.call_id`);
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: toolOutput(item.output, where) });
        return;
      }
      case 'reasoning':
        // Reasoning items belong to the model that produced them; chat has no place to replay them.
        return;
      case 'item_reference':
        // The pipeline replaced every reference to an item the gateway kept; this one names none.
        throw new GatewayError({
          status: 404, type: 'invalid_request_error', param: `${where}.id`, code: 'item_not_found',
          message: `${where}: item_reference ${JSON.stringify(item.id)} names no item of a response this gateway kept for your workspace; it may have expired (RESPONSES_STORE_TTL_S), been deleted, or come from a response created with store: false. Send the item itself instead.`,
        });
      default:
        throw badRequest(
          `${where}.type ${JSON.stringify(type)} is not supported when translating to chat (supported: message, function_call, function_call_output, reasoning); the provider must support it natively`,
          `${where}.type`,
        );
    }
  });
  return messages;
}

// ---------- tools ----------

function functionTool(t: JsonObject, where: string): ChatTool {
  if (typeof t.name !== 'string' || t.name === '') throw badRequest(`${where}.name must be a non-empty string`, `${where}.name`);
  const fn: ChatTool['function'] = { name: t.name };
  if (typeof t.description === 'string') fn.description = t.description;
  if (t.parameters !== undefined && t.parameters !== null) {
    if (!isObj(t.parameters)) throw badRequest(`${where}.parameters must be a JSON Schema object`, `${where}.parameters`);
    fn.parameters = t.parameters;
  }
  if (typeof t.strict === 'boolean') fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function translateTools(tools: unknown): ChatTool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw badRequest(`tools must be an array, got ${typeName(tools)}`, 'tools');
  return tools.map((t, i) => {
    const where = `tools[${i}]`;
    if (!isObj(t)) throw badRequest(`${where} must be an object`, where);
    if (t.type === 'function') return functionTool(t, where);
    throw badRequest(
      `${where}: the built-in tool ${JSON.stringify(t.type)} cannot be translated to chat; the provider must support it natively ` +
        `(route to openai or azure-openai, which serve /v1/responses directly), or define it as a function tool`,
      `${where}.type`,
      'unsupported_tool',
    );
  });
}

type ChatToolChoice = ChatRequest['tool_choice'];

function translateToolChoice(choice: unknown, tools: ChatTool[] | undefined): { tool_choice?: ChatToolChoice; tools?: ChatTool[] } {
  if (choice === undefined || choice === null) return { tools };
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { tool_choice: choice, tools };
  if (!isObj(choice)) throw badRequest(`tool_choice must be "none", "auto", "required" or an object, got ${JSON.stringify(choice)}`, 'tool_choice');
  if (choice.type === 'function') {
    if (typeof choice.name !== 'string') throw badRequest('tool_choice.name must be the name of a function tool', 'tool_choice.name');
    return { tool_choice: { type: 'function', function: { name: choice.name } }, tools };
  }
  if (choice.type === 'allowed_tools') {
    // Chat providers rarely support allowed_tools: narrow the tool list instead, which means the same.
    if (choice.mode !== 'auto' && choice.mode !== 'required') throw badRequest('tool_choice.mode must be "auto" or "required"', 'tool_choice.mode');
    if (!Array.isArray(choice.tools)) throw badRequest('tool_choice.tools must be an array', 'tool_choice.tools');
    const names = new Set(choice.tools.map((t, i) => {
      if (!isObj(t) || t.type !== 'function' || typeof t.name !== 'string') {
        throw badRequest(`tool_choice.tools[${i}] must be {"type":"function","name":...} when translating to chat`, `tool_choice.tools[${i}]`);
      }
      return t.name;
    }));
    return { tool_choice: choice.mode, tools: (tools ?? []).filter((t) => names.has(t.function.name)) };
  }
  throw badRequest(
    `tool_choice of type ${JSON.stringify(choice.type)} refers to a built-in tool, which the provider must support natively; use "auto", "required", "none" or {"type":"function","name":...}`,
    'tool_choice.type',
  );
}

// ---------- text.format ----------

function responseFormat(text: unknown): JsonObject | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObj(text)) throw badRequest('text must be an object', 'text');
  const f = text.format;
  if (f === undefined || f === null) return undefined;
  if (!isObj(f)) throw badRequest('text.format must be an object', 'text.format');
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') {
    if (typeof f.name !== 'string' || f.name === '') throw badRequest('text.format.name must be a non-empty string', 'text.format.name');
    if (!isObj(f.schema)) throw badRequest('text.format.schema must be a JSON Schema object', 'text.format.schema');
    const js: JsonObject = { name: f.name, schema: f.schema };
    if (typeof f.description === 'string') js.description = f.description;
    if (typeof f.strict === 'boolean') js.strict = f.strict;
    return { type: 'json_schema', json_schema: js };
  }
  throw badRequest(`text.format.type must be text, json_object or json_schema, got ${JSON.stringify(f.type)}`, 'text.format.type');
}

// ---------- entry point ----------

/** Translates a Responses API request body into a chat request. Throws a 400 GatewayError naming the bad field. */
export function fromResponsesRequest(body: unknown): ChatRequest {
  if (!isObj(body)) throw badRequest(`The request body must be a JSON object, got ${typeName(body)}`);
  if (typeof body.model !== 'string' || body.model === '') throw badRequest('model is required and must be a non-empty string', 'model');

  if (body.store !== undefined && body.store !== null && typeof body.store !== 'boolean') throw badRequest(`store must be true or false, got ${typeName(body.store)}`, 'store');
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
    if (typeof body.previous_response_id !== 'string') throw badRequest(`previous_response_id must be a response id string, got ${typeName(body.previous_response_id)}`, 'previous_response_id');
    // The pipeline replaces a previous_response_id the gateway kept with its history; one left here was not found.
    throw new GatewayError({
      status: 404, type: 'invalid_request_error', param: 'previous_response_id', code: 'previous_response_not_found',
      message: `Previous response with id '${String(body.previous_response_id).slice(0, 80)}' not found. The gateway keeps responses of providers without a native Responses API for RESPONSES_STORE_TTL_S, per workspace, unless they were created with store: false; send the whole conversation in input instead.`,
    });
  }
  if (body.conversation !== undefined && body.conversation !== null) throw badRequest(`conversation cannot be used: ${STATELESS}`, 'conversation', 'stateless_gateway');
  if (body.prompt !== undefined && body.prompt !== null) throw badRequest(`prompt (a stored prompt template) cannot be used: ${STATELESS}`, 'prompt', 'stateless_gateway');
  if (body.background === true) throw badRequest(`background: true needs stored responses: ${STATELESS}`, 'background', 'stateless_gateway');
  if (body.input === undefined || body.input === null) throw badRequest('input is required: a string or an array of input items', 'input');

  const messages: ChatMessage[] = [];
  const instructions = optString(body, 'instructions');
  if (instructions !== undefined) messages.push({ role: 'system', content: instructions });
  messages.push(...inputMessages(body.input));
  if (messages.length === 0) throw badRequest('input must contain at least one message', 'input');

  const req: ChatRequest = { model: body.model, messages };
  const { tools, tool_choice } = translateToolChoice(body.tool_choice, translateTools(body.tools));
  if (tools && tools.length > 0) req.tools = tools;
  if (tool_choice !== undefined) req.tool_choice = tool_choice;

  const maxOut = optNumber(body, 'max_output_tokens', 1, Number.MAX_SAFE_INTEGER, true);
  // max_tokens: the name every chat provider accepts (provider mappings translate it as needed).
  if (maxOut !== undefined) req.max_tokens = maxOut;
  const temperature = optNumber(body, 'temperature', 0, 2);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(body, 'top_p', 0, 1);
  if (topP !== undefined) req.top_p = topP;
  const topLogprobs = optNumber(body, 'top_logprobs', 0, 20, true);
  if (topLogprobs !== undefined) {
    req.logprobs = true;
    req.top_logprobs = topLogprobs;
  }
  const parallel = optBool(body, 'parallel_tool_calls');
  if (parallel !== undefined && req.tools) req.parallel_tool_calls = parallel;

  const format = responseFormat(body.text);
  if (format) req.response_format = format;
  if (isObj(body.text) && typeof body.text.verbosity === 'string') req.verbosity = body.text.verbosity;

  if (body.reasoning !== undefined && body.reasoning !== null) {
    if (!isObj(body.reasoning)) throw badRequest('reasoning must be an object', 'reasoning');
    const effort = body.reasoning.effort;
    if (effort !== undefined && effort !== null) {
      if (typeof effort !== 'string') throw badRequest('reasoning.effort must be a string', 'reasoning.effort');
      req.reasoning_effort = effort;
    }
  }

  const stream = optBool(body, 'stream');
  if (stream) {
    req.stream = true;
    // response.completed carries usage, so always ask for the final usage chunk.
    req.stream_options = { include_usage: true };
  }

  if (body.metadata !== undefined && body.metadata !== null) {
    if (!isObj(body.metadata) || Object.values(body.metadata).some((v) => typeof v !== 'string')) {
      throw badRequest('metadata must be an object of string values', 'metadata');
    }
    req.metadata = body.metadata;
  }
  const user = optString(body, 'user');
  if (user !== undefined) req.user = user;
  for (const key of ['safety_identifier', 'prompt_cache_key', 'service_tier'] as const) {
    const v = optString(body, key);
    if (v !== undefined) req[key] = v;
  }
  return req;
}
