/**
 * Fake Ollama native API (node:http): /api/chat (JSON, or NDJSON streaming by default as the real server
 * does; the last line has done:true with counts) and /api/embed. Requests are validated against Ollama's
 * published OpenAPI document and rejected as Ollama does: {"error": "..."} with 400 for bad bodies and
 * 404 for a model that was never pulled. Streams are written in small odd-sized slices so framers meet
 * lines (and UTF-8 characters) split across chunks. Faults: HTTP status, an {"error"} line mid-stream
 * with status 200, or a stream cut before its done line.
 */
import type http from 'node:http';
import { assertOllama as assertOllamaSpec, validateOllama as validateOllamaSpec } from '../providers/ollama/spec.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { sendJson, startHttpFake, type FakeRequest } from './cohere.js';

const validateOllama = checkedIfPresent('ollama/openapi.yaml', validateOllamaSpec, []);
const assertOllama = checkedIfPresent('ollama/openapi.yaml', assertOllamaSpec, undefined);

export type OllamaFault =
  | { kind: 'status'; status: number; error?: string }
  | { kind: 'stream-error'; afterLines: number; error: string }
  | { kind: 'cut-stream'; afterLines: number };
export interface OllamaReply { text?: string; thinking?: string; toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }> }

export interface FakeOllama {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
  fault(f: OllamaFault): void;
  reply(r: OllamaReply): void;
}

const PULLED = /^(llama|qwen|gemma|mistral|phi|gpt-oss|llava|nomic-embed|embeddinggemma|all-minilm|mxbai)/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const pieces = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];

async function writeSlowly(res: http.ServerResponse, text: string): Promise<void> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += 13) {
    res.write(buf.subarray(i, i + 13));
    await new Promise((r) => setImmediate(r));
  }
}

export async function startFakeOllama(opts: { requireKey?: string } = {}): Promise<FakeOllama> {
  const faults: OllamaFault[] = [];
  const replies: OllamaReply[] = [];

  const server = await startHttpFake(
    async (req, res) => {
      if (opts.requireKey && req.headers.authorization !== `Bearer ${opts.requireKey}`) return sendJson(res, 401, { error: 'unauthorized' });
      const fault = faults.shift();
      if (fault?.kind === 'status') return sendJson(res, fault.status, { error: fault.error ?? `fake status ${fault.status}` });
      if (req.method === 'POST' && req.path === '/api/chat') return chat(req.body, res, fault);
      if (req.method === 'POST' && req.path === '/api/embed') return embed(req.body, res);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    },
    (res) => sendJson(res, 400, { error: 'invalid character looking for beginning of value' }),
  );

  async function chat(body: unknown, res: http.ServerResponse, fault: OllamaFault | undefined): Promise<void> {
    const errors = validateOllama('ChatRequest', body);
    if (errors.length) return sendJson(res, 400, { error: `invalid request: ${errors[0]}` });
    const b = body as { model: string; stream?: boolean; format?: unknown; options?: { num_predict?: number }; messages: Array<{ role: string; content: string; images?: string[]; tool_calls?: unknown[] }>; tools?: Array<{ function: { name: string } }> };
    for (const m of b.messages) {
      for (const img of m.images ?? []) if (!BASE64.test(img) || img.length % 4 !== 0) return sendJson(res, 400, { error: 'illegal base64 data at input byte 0' });
    }
    if (!PULLED.test(b.model)) return sendJson(res, 404, { error: `model "${b.model}" not found, try pulling it first` });

    const last = b.messages[b.messages.length - 1];
    let reply = replies.shift();
    if (!reply) {
      if (b.tools?.length && last.role === 'user') reply = { toolCalls: [{ name: b.tools[0].function.name, arguments: { location: 'Paris' } }] };
      else if (last.role === 'tool') reply = { text: `The tool said: ${last.content}` };
      else if (b.format !== undefined) reply = { text: '{"answer": "ok"}' };
      else reply = { text: 'Héllo from the fake Ollama 👋 How can I help?' };
    }
    let text = reply.text ?? '';
    let doneReason = 'stop';
    const limit = b.options?.num_predict;
    if (typeof limit === 'number' && limit >= 0 && words(text) > limit) {
      text = (text.match(/\S+\s*/g) ?? []).slice(0, limit).join('').trimEnd();
      doneReason = 'length';
    }
    const counts = {
      total_duration: 123456789,
      load_duration: 1234567,
      prompt_eval_count: b.messages.reduce((n, m) => n + words(m.content), 0),
      prompt_eval_duration: 2345678,
      eval_count: words(text) + words(reply.thinking ?? '') + (reply.toolCalls?.length ?? 0) * 10,
      eval_duration: 3456789,
    };
    const now = () => new Date().toISOString();
    const toolCalls = (reply.toolCalls ?? []).map((tc) => ({ function: { name: tc.name, arguments: tc.arguments } }));

    if (b.stream === false) {
      const out = {
        model: b.model,
        created_at: now(),
        message: { role: 'assistant', content: text, ...(reply.thinking ? { thinking: reply.thinking } : {}), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
        done: true,
        done_reason: doneReason,
        ...counts,
      };
      assertOllama('ChatResponse', out);
      return sendJson(res, 200, out);
    }

    const lines: Array<Record<string, unknown>> = [];
    for (const p of pieces(reply.thinking ?? '')) lines.push({ model: b.model, created_at: now(), message: { role: 'assistant', content: '', thinking: p }, done: false });
    for (const p of pieces(text)) lines.push({ model: b.model, created_at: now(), message: { role: 'assistant', content: p }, done: false });
    if (toolCalls.length) lines.push({ model: b.model, created_at: now(), message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false });
    const final = { model: b.model, created_at: now(), message: { role: 'assistant', content: '' }, done: true, done_reason: doneReason, ...counts };
    assertOllama('ChatResponse', final);
    lines.push(final);
    for (const l of lines) assertOllama('ChatStreamEvent', l);

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    let out = lines;
    let tail = '';
    if (fault?.kind === 'stream-error') {
      out = lines.slice(0, fault.afterLines);
      tail = `${JSON.stringify({ error: fault.error })}\n`;
    } else if (fault?.kind === 'cut-stream') out = lines.slice(0, fault.afterLines);
    await writeSlowly(res, out.map((l) => `${JSON.stringify(l)}\n`).join('') + tail);
    if (fault?.kind === 'cut-stream') res.destroy();
    else res.end();
  }

  function embed(body: unknown, res: http.ServerResponse): void {
    const errors = validateOllama('EmbedRequest', body);
    if (errors.length) return sendJson(res, 400, { error: `invalid request: ${errors[0]}` });
    const b = body as { model: string; input: string | string[]; dimensions?: number };
    if (!PULLED.test(b.model)) return sendJson(res, 404, { error: `model "${b.model}" not found, try pulling it first` });
    const inputs = typeof b.input === 'string' ? [b.input] : b.input;
    const dim = b.dimensions ?? 8;
    const out = {
      model: b.model,
      embeddings: inputs.map((t) => Array.from({ length: dim }, (_, i) => Number((((t.length + 5) * (i + 1)) % 83 / 83).toFixed(6)))),
      total_duration: 14143917,
      load_duration: 1019500,
      prompt_eval_count: inputs.reduce((n, t) => n + words(t), 0),
    };
    assertOllama('EmbedResponse', out);
    sendJson(res, 200, out);
  }

  return { ...server, fault: (f) => void faults.push(f), reply: (r) => void replies.push(r) };
}
