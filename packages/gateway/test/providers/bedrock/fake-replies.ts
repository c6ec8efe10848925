/** Bodies and stream events the fake Bedrock answers with, in Bedrock's and Anthropic's published shapes. */
import type { JsonObj } from './fake-validate.js';

export interface FakeReply {
  text?: string;
  toolUse?: { toolUseId?: string; name: string; input: unknown };
  reasoning?: string;
  /** Converse stop reason (end_turn, tool_use, max_tokens, stop_sequence, guardrail_intervened, ...). */
  stopReason?: string;
  usage?: { inputTokens: number; outputTokens: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number };
}

const DEFAULT_TEXT = 'Hello from the fake Bedrock.';
const DEFAULT_USAGE: NonNullable<FakeReply['usage']> = { inputTokens: 11, outputTokens: 7 };

function parts(r: FakeReply) {
  const text = r.text ?? (r.toolUse ? undefined : DEFAULT_TEXT);
  const tool = r.toolUse ? { toolUseId: r.toolUse.toolUseId ?? 'tooluse_fake0001', name: r.toolUse.name, input: r.toolUse.input } : undefined;
  const stopReason = r.stopReason ?? (tool ? 'tool_use' : 'end_turn');
  const u = r.usage ?? DEFAULT_USAGE;
  const usage: JsonObj = { inputTokens: u.inputTokens, outputTokens: u.outputTokens, totalTokens: u.inputTokens + u.outputTokens + (u.cacheReadInputTokens ?? 0) + (u.cacheWriteInputTokens ?? 0) };
  if (u.cacheReadInputTokens !== undefined) usage.cacheReadInputTokens = u.cacheReadInputTokens;
  if (u.cacheWriteInputTokens !== undefined) usage.cacheWriteInputTokens = u.cacheWriteInputTokens;
  return { text, tool, stopReason, usage, u };
}

/** Splits text into small pieces, as models stream it. */
function pieces(s: string, size = 5): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/** Real ConverseStream events carry a random-length "p" member that pads them against size analysis. */
const pad = (n: number) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123'.slice(0, 1 + (n % 50));

export function converseResponse(r: FakeReply): JsonObj {
  const { text, tool, stopReason, usage } = parts(r);
  const content: JsonObj[] = [];
  if (r.reasoning) content.push({ reasoningContent: { reasoningText: { text: r.reasoning, signature: 'c2lnbmF0dXJl' } } });
  if (text !== undefined) content.push({ text });
  if (tool) content.push({ toolUse: tool });
  return { output: { message: { role: 'assistant', content } }, stopReason, usage, metrics: { latencyMs: 321 } };
}

export function converseStreamEvents(r: FakeReply): Array<[string, JsonObj]> {
  const { text, tool, stopReason, usage } = parts(r);
  const ev: Array<[string, JsonObj]> = [['messageStart', { role: 'assistant' }]];
  let block = 0;
  if (r.reasoning) {
    for (const t of pieces(r.reasoning)) ev.push(['contentBlockDelta', { contentBlockIndex: block, delta: { reasoningContent: { text: t } } }]);
    ev.push(['contentBlockDelta', { contentBlockIndex: block, delta: { reasoningContent: { signature: 'c2lnbmF0dXJl' } } }]);
    ev.push(['contentBlockStop', { contentBlockIndex: block }]);
    block++;
  }
  if (text !== undefined) {
    for (const t of pieces(text)) ev.push(['contentBlockDelta', { contentBlockIndex: block, delta: { text: t } }]);
    ev.push(['contentBlockStop', { contentBlockIndex: block }]);
    block++;
  }
  if (tool) {
    ev.push(['contentBlockStart', { contentBlockIndex: block, start: { toolUse: { toolUseId: tool.toolUseId, name: tool.name } } }]);
    for (const t of pieces(JSON.stringify(tool.input), 7)) ev.push(['contentBlockDelta', { contentBlockIndex: block, delta: { toolUse: { input: t } } }]);
    ev.push(['contentBlockStop', { contentBlockIndex: block }]);
  }
  ev.push(['messageStop', { stopReason }]);
  ev.push(['metadata', { usage, metrics: { latencyMs: 321 } }]);
  return ev.map(([type, payload], i) => [type, { ...payload, p: pad(i) }]);
}

const ANTHROPIC_STOP: Record<string, string> = { end_turn: 'end_turn', tool_use: 'tool_use', max_tokens: 'max_tokens', stop_sequence: 'stop_sequence' };

function anthropicUsage(u: NonNullable<FakeReply['usage']>, output: number): JsonObj {
  return { input_tokens: u.inputTokens, output_tokens: output, cache_creation_input_tokens: u.cacheWriteInputTokens ?? 0, cache_read_input_tokens: u.cacheReadInputTokens ?? 0 };
}

export function anthropicMessage(r: FakeReply, modelId: string): JsonObj {
  const { text, tool, stopReason, u } = parts(r);
  const content: JsonObj[] = [];
  if (r.reasoning) content.push({ type: 'thinking', thinking: r.reasoning, signature: 'c2lnbmF0dXJl' });
  if (text !== undefined) content.push({ type: 'text', text });
  if (tool) content.push({ type: 'tool_use', id: tool.toolUseId, name: tool.name, input: tool.input });
  return {
    id: 'msg_bdrk_01FAKE',
    type: 'message',
    role: 'assistant',
    model: modelId.replace(/^.*anthropic\./, '').replace(/-v\d+:\d+$/, ''),
    content,
    stop_reason: ANTHROPIC_STOP[stopReason] ?? 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(u, u.outputTokens),
  };
}

export function anthropicStreamEvents(r: FakeReply, modelId: string): Array<JsonObj & { type: string }> {
  const msg = anthropicMessage(r, modelId);
  const { u } = parts(r);
  const ev: Array<JsonObj & { type: string }> = [
    { type: 'message_start', message: { ...msg, content: [], stop_reason: null, usage: anthropicUsage(u, 1) } },
  ];
  (msg.content as JsonObj[]).forEach((b, index) => {
    if (b.type === 'thinking') {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const t of pieces(String(b.thinking))) ev.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: t } });
      ev.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: String(b.signature) } });
    } else if (b.type === 'text') {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const t of pieces(String(b.text))) ev.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } });
    } else {
      ev.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } });
      for (const t of pieces(JSON.stringify(b.input), 7)) ev.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: t } });
    }
    ev.push({ type: 'content_block_stop', index });
  });
  ev.push({ type: 'message_delta', delta: { stop_reason: msg.stop_reason, stop_sequence: null }, usage: { output_tokens: u.outputTokens } });
  ev.push({
    type: 'message_stop',
    'amazon-bedrock-invocationMetrics': { inputTokenCount: u.inputTokens, outputTokenCount: u.outputTokens, invocationLatency: 321, firstByteLatency: 120 },
  });
  return ev;
}

function vector(text: string, size: number): number[] {
  const v: number[] = [];
  for (let i = 0; i < size; i++) v.push(Math.round(Math.sin(text.charCodeAt(i % text.length) + i) * 1e6) / 1e6);
  return v;
}

export function embeddingResponse(modelId: string, body: JsonObj): JsonObj {
  if (/cohere\.embed/.test(modelId)) {
    const texts = body.texts as string[];
    return { id: 'emb-fake-0001', response_type: 'embeddings_floats', texts, embeddings: texts.map((t) => vector(t, 8)) };
  }
  const text = String(body.inputText);
  const size = typeof body.dimensions === 'number' ? body.dimensions : 8;
  return { embedding: vector(text, size), inputTextTokenCount: text.split(/\s+/).filter(Boolean).length };
}
