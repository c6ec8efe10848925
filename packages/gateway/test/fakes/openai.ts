/**
 * A fake OpenAI upstream that follows OpenAI's published formats: chat completions (JSON and SSE with
 * `data: [DONE]` and the include_usage chunk), legacy completions, embeddings, models, and the
 * {"error":{...}} shape. Requests are validated against the OpenAPI schema, as the real API rejects
 * malformed ones with 400.
 *
 * Scripting: `fake.enqueue(b)` queues a behaviour for the next request (FIFO); otherwise it answers
 * normally. A behaviour can fail with a status, delay, reset the socket, or cut / break a stream.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createFakeServer } from '../helpers/fake-server.js';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { validateOpenAI as validateOpenAISpec } from '../helpers/openai-schema.js';
import { checkedIfPresent } from '../helpers/specs.js';

const validateOpenAI = checkedIfPresent('openai/openapi.yaml', validateOpenAISpec, []);

export interface FakeBehaviour {
  status?: number;
  /** Error body for a failure status; defaults to OpenAI's error shape. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Destroy the socket before answering (connection reset). */
  reset?: boolean;
  /** Streams: destroy the socket after this many data events. */
  cutAfterEvents?: number;
  /** Streams: send an error event after this many data events, then end without [DONE]. */
  errorAfterEvents?: number;
  /** Streams: wait this long between events. */
  eventDelayMs?: number;
  /** Reply text instead of the echo. */
  text?: string;
  /** The model the reply names (a dated snapshot, say) instead of the one asked for. */
  servedModel?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export interface FakeOpenAI {
  url: string;
  /** Base URL with /v1, as a custom_host. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Body bytes received so far of the request being read (uploads: shows that they arrive streamed). */
  bytesReceived(): number;
  enqueue(...b: FakeBehaviour[]): void;
  setDefault(b: FakeBehaviour): void;
  reset(): void;
  close(): Promise<void>;
}

const API_KEY_RE = /^Bearer\s+\S+/;

function sendError(res: ServerResponse, status: number, message: string, type: string, code: string | null = null, param: string | null = null, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ error: { message, type, param, code } });
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

function lastUserText(messages: any[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.filter((p: any) => p.type === 'text').map((p: any) => p.text).join(' ');
  }
  return '';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeOpenAI(opts: { validate?: boolean } = {}): Promise<FakeOpenAI> {
  const queue: FakeBehaviour[] = [];
  let fallback: FakeBehaviour = {};
  const requests: RecordedRequest[] = [];
  let seq = 0;
  let received = 0;

  const server: Server = createFakeServer(async (req, res) => {
    const chunks: Buffer[] = [];
    received = 0;
    try {
      for await (const c of req) {
        chunks.push(c as Buffer);
        received += (c as Buffer).length;
      }
    } catch {
      return; // The client went away mid-body: there is no request to answer.
    }
    let body: any;
    const multipart = /^multipart\/form-data;\s*boundary=(?:"([^"]+)"|([^;]+))/i.exec(String(req.headers['content-type'] ?? ''));
    if (multipart) {
      body = parseMultipart(Buffer.concat(chunks), multipart[1] ?? multipart[2]);
      if (!body) return sendError(res, 400, 'Could not parse multipart form data.', 'invalid_request_error');
    } else {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return sendError(res, 400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
      }
    }
    const path = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    const b = queue.shift() ?? fallback;
    if (b.reset) return req.socket.destroy();
    if (b.delayMs) await sleep(b.delayMs);
    // Azure OpenAI paths: /openai/deployments/{deployment}/{op}?api-version=..., auth by api-key header.
    const azure = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings|completions)$/.exec(path);
    if (azure) {
      if (!req.headers['api-key'] && !API_KEY_RE.test(String(req.headers.authorization ?? ''))) {
        return sendError(res, 401, 'Access denied due to invalid subscription key or wrong API endpoint.', 'invalid_request_error', '401');
      }
      if (!/api-version=/.test(req.url ?? '')) return sendError(res, 404, 'Resource not found', 'invalid_request_error', '404');
    } else if (!API_KEY_RE.test(String(req.headers.authorization ?? ''))) {
      return sendError(res, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.", 'invalid_request_error', 'missing_api_key');
    }
    if (b.status && b.status >= 400) {
      const payload = JSON.stringify(b.body ?? { error: { message: `Scripted failure ${b.status}`, type: b.status === 429 ? 'rate_limit_exceeded' : 'server_error', param: null, code: null } });
      res.writeHead(b.status, { 'content-type': 'application/json', ...(b.headers ?? {}) });
      return res.end(payload);
    }
    const id = ++seq;
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-4o-mini', object: 'model', created: 1700000000, owned_by: 'openai' }] }));
    }
    if (req.method !== 'POST') return sendError(res, 404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error');
    if (path === '/v1/chat/completions' || azure?.[2] === 'chat/completions') return chat(req, res, body, b, id, opts.validate !== false);
    if (path === '/v1/embeddings' || azure?.[2] === 'embeddings') return embeddings(res, body);
    if (path === '/v1/completions') return completions(res, body, b, id);
    if (path === '/v1/audio/speech') return speech(res, body);
    if (path === '/v1/files') return createFile(res, body, id);
    if (path === '/v1/responses') return createResponse(res, body, id, opts.validate !== false);
    if (path === '/v1/audio/transcriptions') return transcribe(res, body);
    if (path === '/v1/assistants') return createAssistant(req, res, body, id);
    return sendError(res, 404, `Invalid URL (POST ${path})`, 'invalid_request_error');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    bytesReceived: () => received,
    enqueue: (...b) => queue.push(...b),
    setDefault: (b) => {
      fallback = b;
    },
    reset: () => {
      queue.length = 0;
      requests.length = 0;
      fallback = {};
    },
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

async function chat(req: IncomingMessage, res: ServerResponse, body: any, b: FakeBehaviour, id: number, validate: boolean) {
  if (validate) {
    const errors = validateOpenAI('CreateChatCompletionRequest', body);
    if (errors.length) return sendError(res, 400, `Invalid request: ${errors[0]}`, 'invalid_request_error', 'invalid_value');
  }
  const created = Math.floor(Date.now() / 1000);
  const model = b.servedModel ?? body.model;
  const tools = Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice !== 'none' && body.messages.at(-1)?.role === 'user';
  const text = b.text ?? `Echo: ${lastUserText(body.messages)}`;
  const usage = { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 };
  const toolCall = tools ? { id: `call_${id}`, type: 'function', function: { name: body.tools[0].function.name, arguments: JSON.stringify({ query: lastUserText(body.messages) }) } } : undefined;
  const base = { id: `chatcmpl-${id}`, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake' };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${id}` });
    return res.end(JSON.stringify({
      id: `chatcmpl-${id}`, object: 'chat.completion', created, model, system_fingerprint: 'fp_fake',
      choices: [{ index: 0, message: { role: 'assistant', content: toolCall ? null : text, refusal: null, ...(toolCall ? { tool_calls: [toolCall] } : {}) }, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
      usage,
    }));
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const events: string[] = [];
  const chunk = (delta: object, finish: string | null) => JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
  events.push(chunk({ role: 'assistant', content: '', refusal: null }, null));
  if (toolCall) {
    events.push(chunk({ tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: '' } }] }, null));
    const args = toolCall.function.arguments;
    const mid = Math.floor(args.length / 2);
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(0, mid) } }] }, null));
    events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(mid) } }] }, null));
  } else {
    for (const word of text.split(/(?<= )/)) events.push(chunk({ content: word }, null));
  }
  events.push(chunk({}, toolCall ? 'tool_calls' : 'stop'));
  if (includeUsage) events.push(JSON.stringify({ ...base, choices: [], usage }));
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': `req_${id}` });
  for (let i = 0; i < events.length; i++) {
    if (b.cutAfterEvents !== undefined && i >= b.cutAfterEvents) return req.socket.destroy();
    if (b.errorAfterEvents !== undefined && i >= b.errorAfterEvents) {
      res.write(`data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`);
      return res.end();
    }
    res.write(`data: ${events[i]}\n\n`);
    if (b.eventDelayMs) await sleep(b.eventDelayMs);
  }
  res.end('data: [DONE]\n\n');
}

function embeddings(res: ServerResponse, body: any) {
  if (typeof body?.model !== 'string' || body.input === undefined) {
    return sendError(res, 400, "'input' and 'model' are required properties.", 'invalid_request_error');
  }
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    object: 'list',
    data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, -0.2, 0.3 + index] })),
    model: body.model,
    usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length },
  }));
}

function completions(res: ServerResponse, body: any, b: FakeBehaviour, id: number) {
  if (typeof body?.model !== 'string' || body.prompt === undefined) return sendError(res, 400, "'model' and 'prompt' are required properties.", 'invalid_request_error');
  const created = Math.floor(Date.now() / 1000);
  const text = b.text ?? ` completion of ${String(body.prompt).slice(0, 20)}`;
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ id: `cmpl-${id}`, object: 'text_completion', created, model: body.model, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }));
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(`data: ${JSON.stringify({ id: `cmpl-${id}`, object: 'text_completion', created, model: body.model, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }] })}\n\n`);
  res.end('data: [DONE]\n\n');
}

/** Speech: chunked binary audio, sent in three parts 50 ms apart, as the real endpoint streams it. */
async function speech(res: ServerResponse, body: any) {
  if (typeof body?.input !== 'string' || typeof body?.model !== 'string') return sendError(res, 400, "'model' and 'input' are required properties.", 'invalid_request_error');
  res.writeHead(200, { 'content-type': 'audio/mpeg', 'transfer-encoding': 'chunked' });
  for (let i = 0; i < 3; i++) {
    res.write(Buffer.alloc(1000, i + 1));
    await sleep(50);
  }
  res.end();
}

/** A multipart/form-data part: a field's text, or a file's name and bytes (the fake records the size and a digest). */
export interface FormFile {
  filename: string;
  bytes: number;
  sha256: string;
}

/** multipart/form-data (RFC 7578) as OpenAI's upload endpoints take it: fields and files by name. */
function parseMultipart(raw: Buffer, boundary: string): { fields: Record<string, string>; files: Record<string, FormFile> } | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string> = {};
  const files: Record<string, FormFile> = {};
  let at = raw.indexOf(delimiter);
  if (at !== 0) return undefined;
  for (;;) {
    at += delimiter.length;
    if (raw.subarray(at, at + 2).toString() === '--') return { fields, files };
    const headEnd = raw.indexOf('\r\n\r\n', at);
    const next = raw.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd);
    if (headEnd === -1 || next === -1) return undefined;
    const head = raw.subarray(at + 2, headEnd).toString('utf8');
    const data = raw.subarray(headEnd + 4, next);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (!name) return undefined;
    if (filename !== undefined) files[name] = { filename, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    else fields[name] = data.toString('utf8');
    at = next + 2;
  }
}

const FILE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

/** POST /v1/files: multipart `file` and `purpose`; answers the File object. */
function createFile(res: ServerResponse, body: any, id: number) {
  const file: FormFile | undefined = body?.files?.file;
  const purpose: string | undefined = body?.fields?.purpose;
  if (!file || !purpose) return sendError(res, 400, "'file' and 'purpose' are required properties.", 'invalid_request_error');
  if (!FILE_PURPOSES.includes(purpose)) return sendError(res, 400, `'${purpose}' is not one of ${FILE_PURPOSES.map((p) => `'${p}'`).join(', ')} - 'purpose'`, 'invalid_request_error', null, 'purpose');
  res.writeHead(200, { 'content-type': 'application/json', 'x-file-sha256': file.sha256 });
  res.end(JSON.stringify({ id: `file-${id}`, object: 'file', bytes: file.bytes, created_at: Math.floor(Date.now() / 1000), filename: file.filename, purpose, status: 'processed' }));
}

/** POST /v1/audio/transcriptions: multipart `file` and `model`; answers {"text"} with the upload's size in it. */
function transcribe(res: ServerResponse, body: any) {
  const file: FormFile | undefined = body?.files?.file;
  if (!file || typeof body?.fields?.model !== 'string') return sendError(res, 400, "'file' and 'model' are required properties.", 'invalid_request_error');
  res.writeHead(200, { 'content-type': 'application/json', 'x-file-sha256': file.sha256 });
  res.end(JSON.stringify({ text: `Transcribed ${file.bytes} bytes of ${file.filename}.`, usage: { type: 'duration', seconds: 3 } }));
}

/** POST /v1/responses (non-streaming): a stored Response whose message echoes the last user input. */
function createResponse(res: ServerResponse, body: any, id: number, validate: boolean) {
  if (validate) {
    const errors = validateOpenAI('CreateResponse', body);
    if (errors.length) return sendError(res, 400, `Invalid request: ${errors[0]}`, 'invalid_request_error', 'invalid_value');
  }
  if (body.previous_response_id && !/^resp_fake_/.test(body.previous_response_id)) {
    return sendError(res, 404, `Previous response with id '${body.previous_response_id}' not found.`, 'invalid_request_error', 'previous_response_not_found', 'previous_response_id');
  }
  const items: any[] = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input;
  const lastUser = [...items].reverse().find((i) => i.role === 'user');
  const said = typeof lastUser?.content === 'string' ? lastUser.content : (lastUser?.content ?? []).map((p: any) => p.text ?? '').join(' ');
  const created = Math.floor(Date.now() / 1000);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: `resp_fake_${id}`, object: 'response', created_at: created, status: 'completed', completed_at: created, error: null, incomplete_details: null,
    instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, model: body.model,
    output: [{ type: 'message', id: `msg_fake_${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: `Echo: ${said}`, annotations: [], logprobs: [] }] }],
    parallel_tool_calls: true, previous_response_id: body.previous_response_id ?? null, reasoning: { effort: null, summary: null },
    store: body.store !== false, temperature: 1, text: { format: { type: 'text' } }, tool_choice: 'auto', tools: [], top_p: 1, truncation: 'disabled',
    usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
    metadata: {},
  }));
}

/** POST /v1/assistants: the Assistants API answers only requests that opt in with OpenAI-Beta: assistants=v2. */
function createAssistant(req: IncomingMessage, res: ServerResponse, body: any, id: number) {
  if (!/\bassistants=v2\b/.test(String(req.headers['openai-beta'] ?? ''))) {
    return sendError(res, 400, "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please try again by setting the header 'OpenAI-Beta: assistants=v2'.", 'invalid_request_error', 'invalid_beta');
  }
  if (typeof body?.model !== 'string') return sendError(res, 400, "Missing required parameter: 'model'.", 'invalid_request_error', 'missing_required_parameter');
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    id: `asst_${id}`, object: 'assistant', created_at: Math.floor(Date.now() / 1000), name: body.name ?? null, description: body.description ?? null,
    model: body.model, instructions: body.instructions ?? null, tools: body.tools ?? [], metadata: body.metadata ?? {}, top_p: 1, temperature: 1, response_format: 'auto',
  }));
}
