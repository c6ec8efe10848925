/**
 * Drives a provider mapping against a fake upstream with undici, the way the gateway does:
 * toRequest → HTTP → fromResponse, or bytes → framer → fromEvent → finish. Used by the cohere,
 * mistral-ai and ollama integration tests.
 */
import { request } from 'undici';
import type { ChatChunk, OperationMapping, ProviderTarget, StreamMapping, UpstreamRequest } from '../../../src/providers/types.js';
import type { GatewayError } from '../../../src/errors.js';
import { createSseFramer } from '../../../src/streaming/framers/sse.js';
import { createNdjsonFramer } from '../../../src/streaming/framers/ndjson.js';
import type { Framer } from '../../../src/streaming/types.js';

export async function send(up: UpstreamRequest): Promise<{ status: number; headers: Record<string, string>; text: string; body: AsyncIterable<Buffer> & { text(): Promise<string> } }> {
  const res = await request(up.url, { method: up.method, headers: up.headers, body: up.body });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers[k] = v;
  return { status: res.statusCode, headers, text: '', body: res.body as unknown as AsyncIterable<Buffer> & { text(): Promise<string> } };
}

/** Non-streaming call: returns the mapped response, or throws the provider's mapped error. */
export async function callOnce<Req, Res>(
  op: OperationMapping<Req, Res>,
  mapError: (status: number, body: string, headers: Record<string, string>) => GatewayError,
  req: Req,
  target: ProviderTarget,
): Promise<Res> {
  const up = op.toRequest(req, target, { stream: false });
  const res = await send(up);
  const text = await res.body.text();
  if (res.status >= 400) throw mapError(res.status, text, res.headers);
  return op.fromResponse(JSON.parse(text), req, target);
}

function framerFor(kind: StreamMapping['framer']): Framer {
  if (kind === 'sse') return createSseFramer();
  if (kind === 'ndjson') return createNdjsonFramer();
  throw new Error(`no framer for ${kind} in this harness`);
}

/**
 * Streaming call. Returns the chunks mapped so far and the error that ended the stream, if any
 * (an HTTP error, an error event mid-stream, or a truncated stream caught by finish()).
 */
export async function callStream<Req>(
  op: OperationMapping<Req, unknown>,
  mapError: (status: number, body: string, headers: Record<string, string>) => GatewayError,
  req: Req & { model: string },
  target: ProviderTarget,
  includeUsage = true,
): Promise<{ chunks: ChatChunk[]; error?: unknown; contentType?: string }> {
  const mapping = op.stream;
  if (!mapping) throw new Error('operation has no stream mapping');
  const up = op.toRequest(req, target, { stream: true });
  const res = await send(up);
  if (res.status >= 400) return { chunks: [], error: mapError(res.status, await res.body.text(), res.headers) };
  const framer = framerFor(mapping.framer);
  const state = mapping.createState({ model: req.model, includeUsage });
  const chunks: ChatChunk[] = [];
  try {
    for await (const bytes of res.body) {
      for (const ev of framer.push(bytes)) chunks.push(...mapping.fromEvent(state, ev));
    }
  } catch (e) {
    // A cut connection surfaces here as a socket error; the mapping must still report truncation.
    if (!(e instanceof Error) || !/terminated|closed|aborted|other side|socket/i.test(e.message)) return { chunks, error: e, contentType: res.headers['content-type'] };
  }
  try {
    for (const ev of framer.end()) chunks.push(...mapping.fromEvent(state, ev));
    chunks.push(...mapping.finish(state));
  } catch (e) {
    return { chunks, error: e, contentType: res.headers['content-type'] };
  }
  return { chunks, contentType: res.headers['content-type'] };
}

/** Joins streamed chunks back into text, reasoning, tool calls, finish reason and usage. */
export function collect(chunks: ChatChunk[]) {
  let content = '';
  let reasoning = '';
  const tools: Array<{ id?: string; name: string; arguments: string }> = [];
  let finish: string | null = null;
  let usage: ChatChunk['usage'] = undefined;
  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (typeof ch.delta.content === 'string') content += ch.delta.content;
      if (ch.delta.reasoning_content) reasoning += ch.delta.reasoning_content;
      for (const tc of ch.delta.tool_calls ?? []) {
        tools[tc.index] ??= { name: '', arguments: '' };
        if (tc.id) tools[tc.index].id = tc.id;
        if (tc.function?.name) tools[tc.index].name += tc.function.name;
        if (tc.function?.arguments) tools[tc.index].arguments += tc.function.arguments;
      }
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { content, reasoning, tools, finish, usage };
}
