import type { ChatChunk, ChatCompletion, ChatToolCall, FinishReason, Usage } from '../providers/types.js';

/** Builds a chat completion from a stream of chunks (cache writes), and the reverse (cache hits as SSE). */
export class ChunkAssembler {
  private id = '';
  private model = '';
  private created = 0;
  private readonly choices = new Map<number, { content: string; reasoning: string; thinkingBlocks: unknown[]; tools: ChatToolCall[]; finish: FinishReason }>();
  private usage?: Usage;
  private bytes = 0;
  /** Stops assembling past this many bytes of content: such responses are not cached. */
  overflow = false;

  constructor(private readonly maxBytes = 4 * 1024 * 1024) {}

  push(chunk: ChatChunk): void {
    if (this.overflow) return;
    this.id ||= chunk.id;
    this.model ||= chunk.model;
    this.created ||= chunk.created;
    if (chunk.usage) this.usage = chunk.usage;
    for (const c of chunk.choices ?? []) {
      let acc = this.choices.get(c.index);
      if (!acc) {
        acc = { content: '', reasoning: '', thinkingBlocks: [], tools: [], finish: null };
        this.choices.set(c.index, acc);
      }
      const d = c.delta ?? {};
      if (typeof d.content === 'string') acc.content += d.content;
      if (typeof d.reasoning_content === 'string') acc.reasoning += d.reasoning_content;
      if (Array.isArray(d.thinking_blocks)) acc.thinkingBlocks.push(...(d.thinking_blocks as unknown[]));
      for (const t of d.tool_calls ?? []) {
        const slot = (acc.tools[t.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
        if (t.id) slot.id = t.id;
        if (t.function?.name) slot.function.name += t.function.name;
        if (t.function?.arguments) slot.function.arguments += t.function.arguments;
        // Provider data a client must send back with the call (Gemini's thought signature).
        const extra = (t as { extra_content?: unknown }).extra_content;
        if (extra !== undefined) (slot as { extra_content?: unknown }).extra_content = extra;
      }
      if (c.finish_reason) acc.finish = c.finish_reason;
      this.bytes += (d.content?.length ?? 0) + (d.reasoning_content?.length ?? 0);
    }
    if (this.bytes > this.maxBytes) this.overflow = true;
  }

  result(): ChatCompletion | undefined {
    if (this.overflow || this.choices.size === 0) return undefined;
    return {
      id: this.id,
      object: 'chat.completion',
      created: this.created,
      model: this.model,
      choices: [...this.choices.entries()].sort((a, b) => a[0] - b[0]).map(([index, acc]) => ({
        index,
        message: {
          role: 'assistant' as const,
          content: acc.content || (acc.tools.length ? null : ''),
          ...(acc.reasoning ? { reasoning_content: acc.reasoning } : {}),
          ...(acc.thinkingBlocks.length ? { thinking_blocks: acc.thinkingBlocks } : {}),
          ...(acc.tools.length ? { tool_calls: acc.tools.filter(Boolean) } : {}),
        },
        finish_reason: acc.finish,
        logprobs: null,
      })),
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }
}

/** Replays a completion as chunks: role, content, tool calls, finish, then usage. */
export function completionToChunks(res: ChatCompletion): ChatChunk[] {
  const base = { id: res.id, object: 'chat.completion.chunk' as const, created: res.created, model: res.model };
  const out: ChatChunk[] = [];
  for (const choice of res.choices) {
    const m = choice.message;
    out.push({ ...base, choices: [{ index: choice.index, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    if (m.reasoning_content) out.push({ ...base, choices: [{ index: choice.index, delta: { reasoning_content: m.reasoning_content }, finish_reason: null }] });
    if (Array.isArray(m.thinking_blocks)) out.push({ ...base, choices: [{ index: choice.index, delta: { thinking_blocks: m.thinking_blocks }, finish_reason: null }] });
    if (m.content) out.push({ ...base, choices: [{ index: choice.index, delta: { content: m.content }, finish_reason: null }] });
    (m.tool_calls ?? []).forEach((t, i) => {
      const extra = (t as { extra_content?: unknown }).extra_content;
      const call = { index: i, id: t.id, type: 'function' as const, function: { name: t.function.name, arguments: t.function.arguments }, ...(extra !== undefined ? { extra_content: extra } : {}) };
      out.push({ ...base, choices: [{ index: choice.index, delta: { tool_calls: [call] }, finish_reason: null }] });
    });
    out.push({ ...base, choices: [{ index: choice.index, delta: {}, finish_reason: choice.finish_reason }] });
  }
  if (res.usage) out.push({ ...base, choices: [], usage: res.usage });
  return out;
}
