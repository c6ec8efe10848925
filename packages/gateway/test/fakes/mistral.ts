/**
 * Fake Mistral API (node:http): /v1/chat/completions, /v1/fim/completions (JSON or `data:` SSE ending
 * `data: [DONE]`, usage in the last chunk) and /v1/embeddings. Every request body is validated against
 * Mistral's published OpenAPI document and rejected as the API does: 401 without a key, 422 with
 * HTTPValidationError for schema violations (unknown fields included), 400 for an unknown model or a
 * tool call id that is not 9 alphanumerics. Every response and chunk it sends is validated too.
 */
import type http from 'node:http';
import { assertMistral as assertMistralSpec, validateMistral as validateMistralSpec } from '../providers/mistral-ai/spec.js';
import { checkedIfPresent } from '../helpers/specs.js';
import { sendJson, startHttpFake, type FakeRequest } from './cohere.js';

const validateMistral = checkedIfPresent('mistral/openapi-public-doc.yaml', validateMistralSpec, []);
const assertMistral = checkedIfPresent('mistral/openapi-public-doc.yaml', assertMistralSpec, undefined);

export type MistralFault = { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> } | { kind: 'cut-stream'; afterChunks: number };
export interface MistralReply { text?: string; thinking?: string; toolCalls?: Array<{ name: string; arguments: string }> }

export interface FakeMistral {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
  fault(f: MistralFault): void;
  reply(r: MistralReply): void;
}

const CHAT_MODEL = /^(mistral|open-m|ministral|pixtral|magistral|codestral|devstral)/;
const FIM_MODEL = /^(codestral|devstral)/;
const EMBED_MODEL = /^(mistral-embed|codestral-embed)/;
const TOOL_ID = /^[a-zA-Z0-9]{9}$/;
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const pieces = (s: string) => s.match(/\S+\s*|\s+/g) ?? [];
const apiError = (message: string, type: string, code: string | null = null) => ({ object: 'error', message, type, param: null, code });

/** Ajv errors → FastAPI-style HTTPValidationError, as Mistral's 422 responses carry. */
function validationError(errors: string[]) {
  return { detail: errors.slice(0, 10).map((e) => ({ loc: ['body', ...e.split(' ')[0].split('/').filter(Boolean)], msg: e, type: e.includes('additionalProperties') ? 'extra_forbidden' : 'value_error' })) };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p.text ?? '').join(' ');
  return '';
}

export async function startFakeMistral(): Promise<FakeMistral> {
  const faults: MistralFault[] = [];
  const replies: MistralReply[] = [];
  let seq = 0;

  const server = await startHttpFake(
    (req, res) => {
      if (!/^Bearer \S+$/.test(req.headers.authorization ?? '') || req.headers.authorization === 'Bearer bad-key') {
        return sendJson(res, 401, { message: 'Unauthorized', request_id: `req-${++seq}` });
      }
      const fault = faults.shift();
      if (fault?.kind === 'status') return sendJson(res, fault.status, fault.body ?? apiError(`fake status ${fault.status}`, 'fake_error'), fault.headers);
      if (req.method !== 'POST') return sendJson(res, 405, { detail: 'Method Not Allowed' });
      if (req.path === '/v1/chat/completions') return complete(req.body, res, fault, 'ChatCompletionRequest');
      if (req.path === '/v1/fim/completions') return complete(req.body, res, fault, 'FIMCompletionRequest');
      if (req.path === '/v1/embeddings') return embed(req.body, res);
      return sendJson(res, 404, { detail: 'Not Found' });
    },
    (res) => sendJson(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] }),
  );

  async function complete(body: unknown, res: http.ServerResponse, fault: MistralFault | undefined, schema: 'ChatCompletionRequest' | 'FIMCompletionRequest'): Promise<void> {
    const errors = validateMistral(schema, body);
    if (errors.length) return sendJson(res, 422, validationError(errors));
    const b = body as { model: string; stream?: boolean; max_tokens?: number | null; prompt?: string; suffix?: string | null; messages?: Array<{ role: string; content?: unknown; tool_calls?: Array<{ id?: string }>; tool_call_id?: string | null }>; tools?: Array<{ function?: { name: string } }> | null; tool_choice?: unknown };
    const fim = schema === 'FIMCompletionRequest';
    if (!(fim ? FIM_MODEL : CHAT_MODEL).test(b.model)) return sendJson(res, 400, apiError(`Invalid model: ${b.model}`, 'invalid_model', '1500'));

    let reply = replies.shift();
    let inTokens = 0;
    if (fim) {
      inTokens = words(b.prompt ?? '') + words(b.suffix ?? '');
      reply ??= { text: `return a + b${b.suffix ? '' : '\n'}` };
    } else {
      const ids = new Set<string>();
      for (const m of b.messages ?? []) {
        inTokens += words(textOf(m.content));
        for (const tc of m.tool_calls ?? []) {
          if (!TOOL_ID.test(tc.id ?? '')) return sendJson(res, 400, apiError(`Tool call id was ${tc.id} but must be a-z, A-Z, 0-9, with a length of 9.`, 'invalid_request_message_error', '3280'));
          ids.add(tc.id ?? '');
        }
        if (m.role === 'tool' && !ids.has(m.tool_call_id ?? '')) return sendJson(res, 400, apiError(`Unexpected tool call id ${m.tool_call_id} in tool results`, 'invalid_request_message_error', '3230'));
      }
      const last = b.messages?.[b.messages.length - 1];
      if (!reply) {
        if (b.tools?.length && last?.role === 'user' && b.tool_choice !== 'none') reply = { toolCalls: [{ name: b.tools[0].function?.name ?? 'tool', arguments: '{"location": "Paris"}' }] };
        else if (last?.role === 'tool') reply = { text: `The tool said: ${textOf(last.content)}` };
        else reply = { text: 'Bonjour from the fake Mistral. How can I help?' };
      }
    }
    let text = reply.text ?? '';
    let finish = reply.toolCalls?.length ? 'tool_calls' : 'stop';
    if (b.max_tokens != null && words(text) > b.max_tokens) {
      text = (text.match(/\S+\s*/g) ?? []).slice(0, b.max_tokens).join('').trimEnd();
      finish = 'length';
    }
    const outTokens = words(text) + words(reply.thinking ?? '') + (reply.toolCalls?.length ?? 0) * 10;
    const usage = { prompt_tokens: inTokens, completion_tokens: outTokens, total_tokens: inTokens + outTokens };
    const id = `fake${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls = (reply.toolCalls ?? []).map((tc, i) => ({ id: `T${String(seq).padStart(4, '0')}abc${i}`.slice(0, 9).padEnd(9, 'x'), type: 'function', function: tc, index: i }));
    const content = reply.thinking ? [{ type: 'thinking', thinking: [{ type: 'text', text: reply.thinking }] }, { type: 'text', text }] : text;

    if (!b.stream) {
      const out = { id, object: 'chat.completion', model: b.model, created, usage, choices: [{ index: 0, message: { role: 'assistant', content, tool_calls: toolCalls.length ? toolCalls : null, prefix: false }, finish_reason: finish }] };
      assertMistral(fim ? 'FIMCompletionResponse' : 'ChatCompletionResponse', out);
      return sendJson(res, 200, out);
    }

    const chunks: Array<Record<string, unknown>> = [];
    const base = { id, object: 'chat.completion.chunk', created, model: b.model };
    chunks.push({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    if (reply.thinking) for (const p of pieces(reply.thinking)) chunks.push({ ...base, choices: [{ index: 0, delta: { content: [{ type: 'thinking', thinking: [{ type: 'text', text: p }] }] }, finish_reason: null }] });
    for (const p of pieces(text)) chunks.push({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] });
    if (toolCalls.length) chunks.push({ ...base, choices: [{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: null }] });
    chunks.push({ ...base, choices: [{ index: 0, delta: { content: '' }, finish_reason: finish }], usage });
    for (const c of chunks) assertMistral('CompletionChunk', c);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const cutAt = fault?.kind === 'cut-stream' ? fault.afterChunks : Infinity;
    const wire = chunks.slice(0, cutAt).map((c) => `data: ${JSON.stringify(c)}\n\n`).join('');
    if (cutAt === Infinity) return void res.end(`${wire}data: [DONE]\n\n`);
    // Let the bytes reach the client before cutting the connection, as a dropped upstream would.
    await new Promise<void>((resolve) => res.write(wire, () => resolve()));
    await new Promise((r) => setTimeout(r, 20));
    res.destroy();
  }

  function embed(body: unknown, res: http.ServerResponse): void {
    const errors = validateMistral('EmbeddingRequest', body);
    if (errors.length) return sendJson(res, 422, validationError(errors));
    const b = body as { model: string; input: string | string[]; output_dimension?: number | null };
    if (!EMBED_MODEL.test(b.model)) return sendJson(res, 400, apiError(`Invalid model: ${b.model}`, 'invalid_model', '1500'));
    const inputs = typeof b.input === 'string' ? [b.input] : b.input;
    const dim = b.output_dimension ?? 8;
    const tokens = inputs.reduce((n, t) => n + words(t), 0);
    const out = {
      id: `emb${++seq}`,
      object: 'list',
      model: b.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
      data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: Array.from({ length: dim }, (_, i) => Number((((t.length + 3) * (i + 1)) % 89 / 89).toFixed(6))) })),
    };
    assertMistral('EmbeddingResponse', out);
    sendJson(res, 200, out);
  }

  return { ...server, fault: (f) => void faults.push(f), reply: (r) => void replies.push(r) };
}
