/**
 * A fake Anthropic Messages API (anthropic-version 2023-06-01) on node:http, for integration and
 * end-to-end tests. It follows the published API: POST /v1/messages and /v1/messages/count_tokens,
 * `x-api-key` and `anthropic-version` required, errors as {"type":"error","error":{type,message},"request_id"}.
 * Bodies are checked the way the API does (required fields, roles, content blocks, tool_use/tool_result
 * pairing, tools, tool_choice, thinking budget, no extra fields) and then against the published schema.
 * One deliberate strictness: consecutive turns with the same role are rejected (the API would merge
 * them), so translators that forget to merge are caught.
 *
 * Replies are deterministic:
 *   - text "Hello from fake Anthropic. You said: <last user text>" (cut at stop_sequences / max_tokens);
 *   - a tool_use block when tools are given and tool_choice is any/tool, or the last user text names a tool;
 *   - "Tool result received: <content>" when the last user turn carries tool_result blocks;
 *   - a signed thinking block first when `thinking` is enabled or adaptive.
 * With stream:true it sends message_start, ping, content_block_start/delta/stop per block, message_delta,
 * message_stop, exactly as the API frames them.
 *
 * Scripting faults (first match wins):
 *   1. header `x-fake-behaviour: {"status":529}` (JSON of FakeAnthropicBehaviour) on the request;
 *   2. `fake.enqueue(b1, b2, ...)`: each /v1/messages request takes the next queued behaviour;
 *   3. `opts.behaviour`: the default for every request.
 * Examples: {status:429, retryAfter:'2'}; {status:500}; {status:529}; {delayMs:2000} (before headers);
 * {cutAfterEvents:3} (socket destroyed after 3 SSE events); {errorEventAfter:2, errorType:'overloaded_error'};
 * {text:'fixed reply'}; {toolUse:{name:'get_weather', input:{city:'Paris'}}}; {usage:{cache_read_input_tokens:50}}.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { validateAnthropic as validateAnthropicSpec } from '../helpers/anthropic-schema.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { answerFailure, createFakeServer } from '../helpers/fake-server.js';

const validateAnthropic = checkedIfPresent('anthropic/anthropic-messages-2023-06-01.sdk0.137.0.schema.json', validateAnthropicSpec, []);

export interface FakeAnthropicBehaviour {
  /** Answer with this status and an Anthropic error body instead of a message. */
  status?: number;
  errorType?: string;
  errorMessage?: string;
  /** Sent as the retry-after header (use with 429 / 529). */
  retryAfter?: string;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Wait this long between SSE events. */
  eventDelayMs?: number;
  /** Streaming: destroy the socket after this many SSE events (no message_stop). */
  cutAfterEvents?: number;
  /** Streaming: after this many events send an `error` event (errorType, default overloaded_error) and end. */
  errorEventAfter?: number;
  text?: string;
  toolUse?: { name: string; input: Record<string, unknown>; id?: string };
  thinking?: string;
  /** Overrides fields of the usage the fake reports (e.g. cache_read_input_tokens). */
  usage?: Record<string, number>;
}

export interface FakeAnthropicRequest { method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown; raw: string }

export interface FakeAnthropic {
  url: string;
  /** Base URL as the gateway's custom_host expects it (with /v1). */
  baseUrlV1: string;
  requests: FakeAnthropicRequest[];
  enqueue(...b: FakeAnthropicBehaviour[]): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeAnthropicOptions {
  /** When set, x-api-key must equal it. Otherwise any non-empty key is accepted. */
  apiKey?: string;
  behaviour?: FakeAnthropicBehaviour;
  /** Validate bodies against the published schema too (default true). */
  schemaCheck?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const STATUS_TYPE: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error', 403: 'permission_error', 404: 'not_found_error', 413: 'invalid_request_error', 429: 'rate_limit_error', 500: 'api_error', 504: 'timeout_error', 529: 'overloaded_error' };
const TOP_LEVEL = new Set(['model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'metadata', 'tools', 'tool_choice', 'thinking', 'cache_control', 'container', 'inference_geo', 'output_config', 'service_tier', 'speed', 'diagnostics', 'user_profile_id', 'workspace_id', 'mcp_servers', 'context_management']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly type = STATUS_TYPE[status] ?? 'api_error') {
    super(message);
  }
}
const invalid = (message: string) => new ApiError(400, message);
const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------- request checks, in the API's own words where known ----------

function checkBody(b: unknown, countTokens: boolean): Obj {
  if (!isObj(b)) throw invalid('There was an issue with your request body: expected a JSON object');
  for (const k of Object.keys(b)) if (!TOP_LEVEL.has(k) || (countTokens && ['max_tokens', 'stream', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'metadata', 'service_tier'].includes(k))) throw invalid(`${k}: Extra inputs are not permitted`);
  if (typeof b.model !== 'string' || !b.model) throw invalid('model: Field required');
  if (!countTokens && (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 0)) throw invalid('max_tokens: Field required (integer >= 0)');
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalid('messages: at least one message is required');
  if (b.system !== undefined && typeof b.system !== 'string') {
    if (!Array.isArray(b.system) || !b.system.every((s) => isObj(s) && s.type === 'text' && typeof s.text === 'string')) throw invalid('system: Input should be a valid string or a list of text blocks');
  }
  for (const k of ['temperature', 'top_p'] as const) {
    if (b[k] !== undefined && (typeof b[k] !== 'number' || (b[k] as number) < 0 || (b[k] as number) > 1)) throw invalid(`${k}: Input should be a number between 0 and 1`);
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw invalid('stream: Input should be a valid boolean');
  if (b.stop_sequences !== undefined && (!Array.isArray(b.stop_sequences) || !b.stop_sequences.every((s) => typeof s === 'string' && s.trim()))) throw invalid('stop_sequences: each stop sequence must be a non-whitespace string');
  if (b.metadata !== undefined && (!isObj(b.metadata) || Object.keys(b.metadata).some((k) => k !== 'user_id'))) throw invalid('metadata: only user_id is permitted');
  const toolNames = checkTools(b.tools);
  if (b.tool_choice !== undefined) {
    const c = b.tool_choice;
    if (!isObj(c) || !['auto', 'any', 'tool', 'none'].includes(String(c.type))) throw invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    if (toolNames.length === 0 && c.type !== 'none' && c.type !== 'auto') throw invalid('tool_choice may only be specified while providing tools');
    if (c.type === 'tool' && !toolNames.includes(String(c.name))) throw invalid(`tool_choice.name: tool "${String(c.name)}" is not in tools`);
  }
  if (b.thinking !== undefined) {
    const t = b.thinking;
    if (!isObj(t) || !['enabled', 'disabled', 'adaptive'].includes(String(t.type))) throw invalid("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'");
    if (t.type === 'enabled') {
      if (typeof t.budget_tokens !== 'number' || t.budget_tokens < 1024) throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (!countTokens && t.budget_tokens >= (b.max_tokens as number)) throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`');
    }
  }
  checkMessages(b.messages);
  return b;
}

function checkTools(tools: unknown): string[] {
  if (tools === undefined) return [];
  if (!Array.isArray(tools)) throw invalid('tools: Input should be a valid list');
  const names: string[] = [];
  tools.forEach((t, i) => {
    if (!isObj(t)) throw invalid(`tools.${i}: Input should be an object`);
    if (t.type !== undefined && t.type !== 'custom' && t.type !== null) {
      names.push(String(t.name));
      return; // server tools: shape owned by Anthropic
    }
    if (typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t.name)) throw invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
    if (!isObj(t.input_schema)) throw invalid(`tools.${i}.custom.input_schema: Field required`);
    if (t.input_schema.type !== 'object') throw invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
    if (names.includes(t.name)) throw invalid(`tools: Tool names must be unique (${t.name})`);
    names.push(t.name);
  });
  return names;
}

function checkMessages(messages: unknown[]): void {
  let prevRole: string | undefined;
  let pendingToolUse: string[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) throw invalid(`messages.${i}: Input should be an object`);
    if (m.role !== 'user' && m.role !== 'assistant') throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    if (m.role === prevRole) throw invalid(`messages.${i}: roles must alternate between "user" and "assistant" (fake: consecutive ${String(m.role)} turns)`);
    prevRole = m.role;
    const last = i === messages.length - 1;
    const blocks: Obj[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? (m.content as Obj[]) : [];
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw invalid(`messages.${i}.content: Field required`);
    if (typeof m.content === 'string' && m.content === '' && !(last && m.role === 'assistant')) throw invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    if (blocks.length === 0 && !(last && m.role === 'assistant')) throw invalid(`messages.${i}: all messages must have non-empty content except for the optional final assistant message`);
    const results: string[] = [];
    const uses: string[] = [];
    blocks.forEach((b, j) => checkBlock(b, `messages.${i}.content.${j}`, m.role as string, results, uses));
    if (m.role === 'user') {
      const missing = pendingToolUse.filter((t) => !results.includes(t));
      if (missing.length) throw invalid(`messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`);
      const unexpected = results.filter((r) => !pendingToolUse.includes(r));
      if (unexpected.length) throw invalid(`messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`);
      pendingToolUse = [];
    } else {
      pendingToolUse = uses;
    }
  });
}

function checkBlock(b: Obj, at: string, role: string, results: string[], uses: string[]): void {
  if (!isObj(b) || typeof b.type !== 'string') throw invalid(`${at}: Input should be a content block with a type`);
  switch (b.type) {
    case 'text':
      if (typeof b.text !== 'string') throw invalid(`${at}.text.text: Field required`);
      if (b.text === '') throw invalid(`messages: text content blocks must be non-empty`);
      return;
    case 'image': {
      const s = b.source;
      if (!isObj(s)) throw invalid(`${at}.image.source: Field required`);
      if (s.type === 'base64') {
        if (!IMAGE_TYPES.has(String(s.media_type))) throw invalid(`${at}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`);
        if (typeof s.data !== 'string' || !s.data || !/^[A-Za-z0-9+/=\s]+$/.test(s.data)) throw invalid(`${at}.image.source.base64.data: invalid base64 data`);
      } else if (s.type === 'url') {
        if (typeof s.url !== 'string' || !/^https?:\/\//.test(s.url)) throw invalid(`${at}.image.source.url.url: Input should be a valid URL`);
      } else if (s.type !== 'file') throw invalid(`${at}.image.source: Input tag '${String(s.type)}' does not match any of the expected tags: 'base64', 'url', 'file'`);
      return;
    }
    case 'document':
      if (!isObj(b.source)) throw invalid(`${at}.document.source: Field required`);
      return;
    case 'tool_use':
      if (role !== 'assistant') throw invalid(`${at}: tool_use blocks may only appear in assistant messages`);
      if (typeof b.id !== 'string' || typeof b.name !== 'string' || !isObj(b.input)) throw invalid(`${at}.tool_use: id, name and an object input are required`);
      uses.push(b.id);
      return;
    case 'tool_result':
      if (role !== 'user') throw invalid(`${at}: tool_result blocks may only appear in user messages`);
      if (typeof b.tool_use_id !== 'string') throw invalid(`${at}.tool_result.tool_use_id: Field required`);
      if (b.content !== undefined && typeof b.content !== 'string' && !Array.isArray(b.content)) throw invalid(`${at}.tool_result.content: Input should be a valid string or list`);
      if (Array.isArray(b.content)) (b.content as Obj[]).forEach((c, k) => checkBlock(c, `${at}.content.${k}`, 'tool_result', [], []));
      results.push(b.tool_use_id);
      return;
    case 'thinking':
      if (typeof b.thinking !== 'string' || typeof b.signature !== 'string') throw invalid(`${at}.thinking: thinking and signature are required`);
      return;
    case 'redacted_thinking':
      if (typeof b.data !== 'string') throw invalid(`${at}.redacted_thinking.data: Field required`);
      return;
    default:
      if (['search_result', 'server_tool_use', 'web_search_tool_result', 'container_upload'].includes(b.type)) return;
      throw invalid(`${at}: Input tag '${b.type}' found using 'type' does not match any of the expected tags`);
  }
}

// ---------- replies ----------

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Obj[]).map((b) => (b.type === 'text' ? String(b.text) : b.type === 'tool_result' ? textOf(b.content) : '')).join(' ');
}

function exampleInput(schema: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObj(schema) || !isObj(schema.properties)) return out;
  const req = Array.isArray(schema.required) ? (schema.required as string[]) : Object.keys(schema.properties);
  for (const k of req) {
    const p = (schema.properties as Obj)[k];
    const t = isObj(p) ? p.type : undefined;
    out[k] = isObj(p) && Array.isArray(p.enum) ? p.enum[0] : t === 'number' || t === 'integer' ? 1 : t === 'boolean' ? true : t === 'array' ? [] : t === 'object' ? {} : 'example';
  }
  return out;
}

interface Reply { content: Obj[]; stop_reason: string; stop_sequence: string | null; usage: Obj }

function buildReply(b: Obj, beh: FakeAnthropicBehaviour): Reply {
  const messages = b.messages as Obj[];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const lastText = textOf(lastUser?.content).trim();
  const hasToolResult = Array.isArray(lastUser?.content) && (lastUser.content as Obj[]).some((x) => x.type === 'tool_result');
  const tools = (Array.isArray(b.tools) ? b.tools : []) as Obj[];
  const choice = isObj(b.tool_choice) ? b.tool_choice : undefined;
  const content: Obj[] = [];
  const thinkingOn = isObj(b.thinking) && (b.thinking.type === 'enabled' || b.thinking.type === 'adaptive');
  if (beh.thinking !== undefined || thinkingOn) content.push({ type: 'thinking', thinking: beh.thinking ?? `The user wrote: ${lastText.slice(0, 80)}`, signature: `sig_${randomBytes(16).toString('base64')}` });

  let tool: Obj | undefined;
  if (beh.toolUse) tool = { name: beh.toolUse.name, input: beh.toolUse.input, id: beh.toolUse.id };
  else if (tools.length > 0 && choice?.type !== 'none' && !hasToolResult) {
    const pick = choice?.type === 'tool' ? tools.find((t) => t.name === choice.name) : choice?.type === 'any' ? tools[0] : tools.find((t) => typeof t.name === 'string' && lastText.includes(t.name));
    if (pick) tool = { name: pick.name, input: exampleInput(pick.input_schema) };
  }
  let stop_reason = tool ? 'tool_use' : 'end_turn';
  let stop_sequence: string | null = null;
  if (tool) {
    // A scripted text goes before the call, as models write a sentence beside a tool call.
    if (beh.text !== undefined && beh.toolUse) content.push({ type: 'text', text: beh.text });
    content.push({ type: 'tool_use', id: (tool.id as string | undefined) ?? id('toolu'), name: tool.name, input: tool.input, caller: { type: 'direct' } });
  } else {
    let text = beh.text ?? (hasToolResult ? `Tool result received: ${lastText}` : `Hello from fake Anthropic. You said: ${lastText.slice(0, 200)}`);
    for (const s of (b.stop_sequences as string[] | undefined) ?? []) {
      const at = text.indexOf(s);
      if (at >= 0) {
        text = text.slice(0, at);
        stop_reason = 'stop_sequence';
        stop_sequence = s;
        break;
      }
    }
    const words = text.split(/(?<= )/);
    if (words.length > (b.max_tokens as number)) {
      text = words.slice(0, b.max_tokens as number).join('');
      stop_reason = 'max_tokens';
      stop_sequence = null;
    }
    content.push({ type: 'text', text });
  }
  const output = content.reduce((n, c) => n + JSON.stringify(c).split(/\s+/).length, 0);
  const usage: Obj = {
    input_tokens: Math.ceil(JSON.stringify([b.system ?? '', b.messages, b.tools ?? []]).length / 4),
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
    service_tier: 'standard',
    ...beh.usage,
  };
  return { content, stop_reason, stop_sequence, usage };
}

/** Splits a string into about `n` pieces, for deltas. */
function pieces(s: string, n = 3): string[] {
  if (s.length <= 1) return [s];
  const size = Math.ceil(s.length / n);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

function streamEvents(msg: Obj, reply: Reply): Obj[] {
  const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens } = reply.usage;
  const ev: Obj[] = [
    { type: 'message_start', message: { ...msg, content: [], stop_reason: null, stop_sequence: null, usage: { ...reply.usage, output_tokens: 1 } } },
  ];
  reply.content.forEach((c, index) => {
    if (c.type === 'text') {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      if (index === 0) ev.push({ type: 'ping' });
      for (const p of pieces(String(c.text))) ev.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } });
    } else if (c.type === 'thinking') {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      if (index === 0) ev.push({ type: 'ping' });
      for (const p of pieces(String(c.thinking))) ev.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: p } });
      ev.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: c.signature } });
    } else if (c.type === 'tool_use') {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {}, caller: c.caller } });
      if (index === 0) ev.push({ type: 'ping' });
      ev.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
      for (const p of pieces(JSON.stringify(c.input), 4)) ev.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } });
    }
    ev.push({ type: 'content_block_stop', index });
  });
  ev.push({
    type: 'message_delta',
    delta: { stop_reason: reply.stop_reason, stop_sequence: reply.stop_sequence },
    usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens: reply.usage.output_tokens },
  });
  ev.push({ type: 'message_stop' });
  return ev;
}

// ---------- server ----------

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const requests: FakeAnthropicRequest[] = [];
  const queue: FakeAnthropicBehaviour[] = [];
  const sockets = new Set<Socket>();
  const schemaCheck = opts.schemaCheck ?? true;

  const sendError = (res: http.ServerResponse, e: ApiError, extra: Record<string, string> = {}) => {
    if (res.headersSent) return void res.destroy();
    res.writeHead(e.status, { 'content-type': 'application/json', 'request-id': id('req'), ...extra });
    res.end(JSON.stringify({ type: 'error', error: { type: e.type, message: e.message }, request_id: id('req') }));
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    requests.push({ method: req.method ?? '', path, headers: req.headers, body, raw });
    const countTokens = path === '/v1/messages/count_tokens';
    if (req.method !== 'POST' || (path !== '/v1/messages' && !countTokens)) throw new ApiError(404, `${req.method} ${path}: Not Found`);
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !key) throw new ApiError(401, 'x-api-key header is required');
    if (opts.apiKey !== undefined && key !== opts.apiKey) throw new ApiError(401, 'invalid x-api-key');
    if (!req.headers['anthropic-version']) throw invalid('anthropic-version: header is required');
    const headerBeh = req.headers['x-fake-behaviour'];
    let beh: FakeAnthropicBehaviour;
    try {
      beh = typeof headerBeh === 'string' ? (JSON.parse(headerBeh) as FakeAnthropicBehaviour) : (countTokens ? undefined : queue.shift()) ?? opts.behaviour ?? {};
    } catch {
      throw invalid('x-fake-behaviour: not valid JSON (fake Anthropic scripting header)');
    }
    if (beh.delayMs) await sleep(beh.delayMs);
    if (beh.status && beh.status >= 400) {
      const retry: Record<string, string> = beh.retryAfter ? { 'retry-after': beh.retryAfter } : {};
      throw Object.assign(new ApiError(beh.status, beh.errorMessage ?? `fake ${STATUS_TYPE[beh.status] ?? 'error'} (scripted)`, beh.errorType ?? STATUS_TYPE[beh.status]), { extra: retry });
    }
    if (!/^application\/json\b/.test(String(req.headers['content-type'] ?? ''))) throw invalid('content-type must be application/json');
    if (body === undefined) throw invalid('There was an issue with your request body: it is not valid JSON');
    const b = checkBody(body, countTokens);
    if (schemaCheck) {
      const schema = countTokens ? undefined : b.stream === true ? 'MessageCreateParamsStreaming' : 'MessageCreateParamsNonStreaming';
      const errs = schema ? validateAnthropic(schema, b) : [];
      if (errs.length) throw invalid(`request body does not match ${schema}: ${errs.slice(0, 3).join('; ')}`);
    }
    const reply = buildReply(b, beh);
    if (countTokens) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ input_tokens: reply.usage.input_tokens }));
    }
    const msg: Obj = { id: id('msg'), type: 'message', role: 'assistant', model: b.model, content: reply.content, stop_reason: reply.stop_reason, stop_sequence: reply.stop_sequence, usage: reply.usage };
    if (b.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': id('req') });
      return void res.end(JSON.stringify(msg));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': id('req') });
    const events = streamEvents(msg, reply);
    for (let n = 0; n < events.length; n++) {
      if (beh.cutAfterEvents !== undefined && n >= beh.cutAfterEvents) return void res.destroy();
      if (beh.errorEventAfter !== undefined && n >= beh.errorEventAfter) {
        const type = beh.errorType ?? 'overloaded_error';
        res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: beh.errorMessage ?? 'Overloaded' } })}\n\n`);
        return void res.end();
      }
      if (beh.eventDelayMs && n > 0) await sleep(beh.eventDelayMs);
      if (res.destroyed) return;
      // Wait for each write to flush, so a scripted cut happens after the earlier events really left.
      await new Promise<void>((resolve) => res.write(`event: ${String(events[n].type)}\ndata: ${JSON.stringify(events[n])}\n\n`, () => resolve()));
    }
    res.end();
  }

  const server = createFakeServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(parts).toString('utf8')).catch((e: unknown) => {
        if (res.headersSent) return answerFailure(res, e);
        const err = e instanceof ApiError ? e : new ApiError(500, `fake Anthropic internal error: ${(e as Error).message}`);
        sendError(res, err, (e as { extra?: Record<string, string> }).extra);
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrlV1: `${url}/v1`,
    requests,
    enqueue: (...b) => void queue.push(...b),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
