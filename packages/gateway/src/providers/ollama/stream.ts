import { GatewayError } from '../../errors.js';
import type { ChatChunk, ChatChunkToolCallDelta, FramedEvent, StreamMapping, Usage } from '../types.js';
import { ollamaFinishReason, ollamaUsage, toOpenAIToolCall, type OllamaChatResponse } from './response.js';
import { randomUUID } from 'node:crypto';

export interface OllamaStreamState {
  id: string;
  model: string;
  created: number;
  includeUsage: boolean;
  sentRole: boolean;
  toolCalls: number;
  done: boolean;
  usage?: Usage;
}

export function createOllamaStreamState(req: { model: string; includeUsage: boolean }): OllamaStreamState {
  return { id: `chatcmpl-${randomUUID().replace(/-/g, '')}`, model: req.model, created: Math.floor(Date.now() / 1000), includeUsage: req.includeUsage, sentRole: false, toolCalls: 0, done: false };
}

function chunk(s: OllamaStreamState, delta: ChatChunk['choices'][number]['delta'], finish: ChatChunk['choices'][number]['finish_reason'] = null): ChatChunk {
  return { id: s.id, object: 'chat.completion.chunk', created: s.created, model: s.model, choices: [{ index: 0, delta, finish_reason: finish }] };
}

function upstreamStreamError(message: string): GatewayError {
  return new GatewayError({ status: 502, type: 'upstream_error', code: 'upstream_stream_error', provider: 'ollama', message });
}

/**
 * One NDJSON line of /api/chat (stream:true) → OpenAI chunks. An {"error": ...} line arrives with
 * HTTP 200 once streaming has begun; it becomes a thrown GatewayError for the pipeline to report.
 */
export function fromOllamaStreamEvent(s: OllamaStreamState, ev: FramedEvent): ChatChunk[] {
  let line: OllamaChatResponse;
  try {
    line = JSON.parse(ev.data) as OllamaChatResponse;
  } catch {
    throw upstreamStreamError(`ollama stream sent a line that is not JSON: ${ev.data.slice(0, 200)}`);
  }
  if (typeof line.error === 'string') throw upstreamStreamError(`ollama error mid-stream: ${line.error}`);
  if (s.done) return []; // nothing is expected after the done line
  if (line.model) s.model = line.model;

  const out: ChatChunk[] = [];
  const delta: ChatChunk['choices'][number]['delta'] = {};
  if (!s.sentRole) {
    delta.role = 'assistant';
    s.sentRole = true;
  }
  const msg = line.message;
  if (msg?.thinking) delta.reasoning_content = msg.thinking;
  if (msg?.content) delta.content = msg.content;
  if (msg?.tool_calls?.length) {
    delta.tool_calls = msg.tool_calls.map((tc): ChatChunkToolCallDelta => {
      const full = toOpenAIToolCall(tc);
      return { index: s.toolCalls++, id: full.id, type: 'function', function: full.function };
    });
  }
  if (Object.keys(delta).length) out.push(chunk(s, delta));

  if (line.done === true) {
    s.done = true;
    s.usage = ollamaUsage(line);
    const fin = chunk(s, {}, ollamaFinishReason(line.done_reason, s.toolCalls > 0));
    if (s.includeUsage) out.push(fin, { ...chunk(s, {}), choices: [], usage: s.usage });
    else out.push({ ...fin, usage: s.usage }); // usage rides on the last chunk for the gateway's logs
  }
  return out;
}

export function finishOllamaStream(s: OllamaStreamState): ChatChunk[] {
  if (!s.done) throw upstreamStreamError('ollama stream ended before its final "done": true line; the response is incomplete. Retry the request.');
  return [];
}

export const ollamaChatStream: StreamMapping<OllamaStreamState, ChatChunk> = {
  framer: 'ndjson',
  createState: createOllamaStreamState,
  fromEvent: fromOllamaStreamEvent,
  finish: finishOllamaStream,
};
